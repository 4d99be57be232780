"""What the auth domain stores about a person, for export and erasure (coe.data_rights).

Kept on erasure: the person's row and id (every rating and attempt still counts for their team),
their team and role profile (what team statistics group by), and audit events, whose actor or
subject now reads "Former member #<id>".
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from coe.audit import AuditEvent
from coe.auth.models import LoginSession, Person, SignInLink
from coe.data_rights import json_value
from coe.errors import NotFound
from coe.extensions import db
from coe.registry import PersonalData

ERASED_DOMAIN = "erased.invalid"  # .invalid never resolves (RFC 2606): no mail can reach it


def erased_name(person_id: int) -> str:
    return f"Former member #{person_id}"


def erased_email(person_id: int) -> str:
    return f"former-member-{person_id}@{ERASED_DOMAIN}"


def _person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound(f"There is no person {person_id}.")
    return person


def export(person_id: int) -> dict:
    person = _person(person_id)
    sessions = db.session.scalars(select(LoginSession).where(LoginSession.person_id == person_id)
                                  .order_by(LoginSession.created_at))
    links = db.session.scalars(select(SignInLink).where(SignInLink.person_id == person_id)
                               .order_by(SignInLink.created_at))
    events = db.session.scalars(select(AuditEvent).where(or_(AuditEvent.actor_id == person_id,
                                                             AuditEvent.subject_id == person_id))
                                .order_by(AuditEvent.at, AuditEvent.id))
    return {
        "person": {
            "id": person.id, "email": person.email, "display_name": person.display_name,
            "team": person.team.name if person.team else None, "role_profile": person.role_profile,
            "roles": person.roles, "leads_teams": [team.name for team in person.led_teams],
            "time_zone": person.time_zone, "active": person.active, "has_password": bool(person.password_hash),
            "created_at": json_value(person.created_at), "last_login_at": json_value(person.last_login_at),
        },
        "sign_ins": [{
            "created_at": json_value(s.created_at), "last_seen_at": json_value(s.last_seen_at),
            "expires_at": json_value(s.expires_at), "ended_at": json_value(s.ended_at), "remember": s.remember,
            "device": s.user_agent, "address": s.address} for s in sessions],
        # Never the links' secrets (only their hashes are stored, and those stay out of exports).
        "sign_in_links": [{
            "purpose": link.purpose, "created_at": json_value(link.created_at),
            "expires_at": json_value(link.expires_at), "used_at": json_value(link.used_at),
            "revoked_at": json_value(link.revoked_at)} for link in links],
        "audit_events": [{
            "at": json_value(e.at), "action": e.action, "description": e.description,
            "as": "actor" if e.actor_id == person_id else "subject", "actor_id": e.actor_id,
            "subject_id": e.subject_id, "detail": e.detail,
            "address": e.address if e.actor_id == person_id else None} for e in events],
    }


def _scrub(value, words: tuple[str, ...]):
    """``value`` (an audit detail) with every mention of ``words`` (the old name and email) removed."""
    if isinstance(value, str):
        for word in words:
            if word:
                value = value.replace(word, "[erased]")
        return value
    if isinstance(value, list):
        return [_scrub(item, words) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, words) for key, item in value.items()}
    return value


def erase(person_id: int) -> None:
    from coe.auth.services import _ensure_another_admin

    person = _person(person_id)
    if person.is_admin:
        _ensure_another_admin(person)  # never erase the last admin who can sign in
    words = (person.email, person.display_name)
    person.display_name = erased_name(person.id)
    person.email = erased_email(person.id)
    person.password_hash = None
    person.active = False
    person.is_admin = person.is_mentor = False
    person.led_teams = []
    person.time_zone = "UTC"
    person.last_login_at = None
    person.session_version += 1  # any cookie still out there is refused
    db.session.execute(delete(LoginSession).where(LoginSession.person_id == person_id))
    db.session.execute(delete(SignInLink).where(SignInLink.person_id == person_id))
    for event in db.session.scalars(select(AuditEvent).where(or_(AuditEvent.actor_id == person_id,
                                                                 AuditEvent.subject_id == person_id))):
        if event.actor_id == person_id:
            event.address = None  # the address they acted from
        scrubbed = _scrub(event.detail, words)
        if scrubbed != event.detail:
            event.detail = scrubbed
    db.session.flush()


PROVIDER = PersonalData("account", export, erase)
