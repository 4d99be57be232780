"""People's data rights: everything stored about a person, exported; a person erased.

Each domain says what it holds about a person through a ``PersonalData`` provider in the registry
(export and erase). Erasure anonymises: the person's name, email, password, sessions and links go,
and so does every text they wrote (notes, bios, reflections); the numbers that team statistics are
made of (levels, dates, counts) stay, attached to "Former member #<id>", who can no longer sign in.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import delete, or_, select, update

from coe import audit
from coe.auth.models import LoginSession, Person, SignInLink, team_lead
from coe.errors import NotFound
from coe.extensions import db
from coe.registry import PersonalData, registry

ERASED_NAME = "Former member #{id}"
ERASED_EMAIL = "erased-{id}@erased.invalid"  # .invalid never resolves (RFC 2606): no mail can reach it


def find(email: str) -> Person:
    person = db.session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        raise NotFound(f"Nobody has the email address {email.strip()}.")
    return person


def export(person: Person) -> dict:
    """Everything stored about the person, by domain, ready for JSON."""
    data = {"exported_at": _iso(dt.datetime.now(dt.timezone.utc))}
    for provider in registry().personal_data:
        data[provider.name] = provider.export(person.id)
    audit.record("person.export", None, person)
    return data


def erase(person: Person) -> None:
    """Anonymise the person in every domain, in the caller's transaction."""
    for provider in registry().personal_data:
        provider.erase(person.id)
    audit.record("person.erase", None, person.id)


# --- the core domains ---------------------------------------------------------------------------

def register_core_providers(app: Flask) -> None:
    reg = registry(app)
    reg.personal_data.append(PersonalData("account", _export_account, _erase_account))
    reg.personal_data.append(PersonalData("competency", _export_competency, _erase_competency))


def _export_account(person_id: int) -> dict:
    from coe.audit import AuditEvent

    person = db.session.get(Person, person_id)
    sessions = db.session.scalars(select(LoginSession).where(LoginSession.person_id == person_id)
                                  .order_by(LoginSession.created_at))
    events = db.session.scalars(select(AuditEvent).where(
        or_(AuditEvent.subject_id == person_id, AuditEvent.actor_id == person_id)).order_by(AuditEvent.at))
    return {
        "person": {"id": person.id, "email": person.email, "display_name": person.display_name,
                   "active": person.active, "time_zone": person.time_zone, "role_profile": person.role_profile,
                   "team": person.team.name if person.team else None, "roles": person.roles,
                   "teams_led": [team.name for team in person.led_teams], "created_at": _iso(person.created_at),
                   "last_login_at": _iso(person.last_login_at), "has_password": person.password_hash is not None},
        "sign_ins": [{"started": _iso(s.created_at), "last_seen": _iso(s.last_seen_at), "ended": _iso(s.ended_at),
                      "device": s.user_agent, "address": s.address} for s in sessions],
        "audit_events": [{"at": _iso(e.at), "action": e.action, "as": "actor" if e.actor_id == person_id else "subject",
                          "detail": e.detail, "address": e.address} for e in events],
    }


def _erase_account(person_id: int) -> None:
    from coe.audit import AuditEvent

    from coe.auth.services import ensure_another_admin

    person = db.session.get(Person, person_id)
    if person.is_admin:
        ensure_another_admin(person)  # erasing the last admin would leave nobody to run the site
    old = {person.email.lower(), person.display_name.lower()}
    db.session.execute(delete(LoginSession).where(LoginSession.person_id == person_id))
    db.session.execute(delete(SignInLink).where(SignInLink.person_id == person_id))
    db.session.execute(delete(team_lead).where(team_lead.c.person_id == person_id))
    person.display_name = ERASED_NAME.format(id=person_id)
    person.email = ERASED_EMAIL.format(id=person_id)
    person.password_hash = None
    person.active = False
    person.is_admin = person.is_mentor = False
    person.session_version += 1
    person.last_login_at = None
    # Audit entries stay (who changed what, when), but carry no trace of the person's name or address.
    for event in db.session.scalars(select(AuditEvent).where(
            or_(AuditEvent.subject_id == person_id, AuditEvent.actor_id == person_id))):
        event.address = None
        event.detail = _scrub(event.detail, old)


def _export_competency(person_id: int) -> dict:
    from coe.competency.models import Competency, Evidence, Goal, Rating, RoleProfileChange

    code = {c.id: c.code for c in db.session.scalars(select(Competency))}
    ratings = db.session.scalars(select(Rating).where(Rating.person_id == person_id).order_by(Rating.created_at))
    evidence = db.session.scalars(select(Evidence).where(Evidence.person_id == person_id)
                                  .order_by(Evidence.recorded_at))
    goals = db.session.scalars(select(Goal).where(Goal.person_id == person_id).order_by(Goal.created_at))
    changes = db.session.scalars(select(RoleProfileChange).where(RoleProfileChange.person_id == person_id)
                                 .order_by(RoleProfileChange.changed_at))
    return {
        "ratings": [{"competency": code[r.competency_id], "level": r.level, "source": r.source, "note": r.note,
                     "evidence_url": r.evidence_url, "rated_by": r.rated_by_id, "at": _iso(r.created_at)}
                    for r in ratings],
        "evidence": [{"competency": code[e.competency_id], "level": e.level, "source": e.source, "title": e.title,
                      "url": e.url, "at": _iso(e.recorded_at)} for e in evidence],
        "goals": [{"competency": code[g.competency_id], "title": g.title, "kind": g.kind, "url": g.url,
                   "target_date": g.target_date.isoformat(), "done_at": _iso(g.done_at)} for g in goals],
        "role_profile_changes": [{"from": c.from_profile, "to": c.to_profile, "at": _iso(c.changed_at)}
                                 for c in changes],
    }


def _erase_competency(person_id: int) -> None:
    from coe.competency.models import Evidence, Goal, Rating

    # Levels, sources and dates stay for the team's statistics; the person's own words go.
    db.session.execute(update(Rating).where(Rating.person_id == person_id).values(note="", evidence_url=""))
    db.session.execute(update(Evidence).where(Evidence.person_id == person_id, Evidence.source == "manual")
                       .values(title="Evidence", url=""))
    db.session.execute(delete(Goal).where(Goal.person_id == person_id))


def _scrub(value, old: set[str]):
    if isinstance(value, str):
        return "[erased]" if any(word and word in value.lower() for word in old) else value
    if isinstance(value, dict):
        return {key: _scrub(item, old) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, old) for item in value]
    return value


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.isoformat()
