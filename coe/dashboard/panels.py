"""The home page's panels for leads, validators and admins (each returns None to stay hidden from others)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from coe.auth.models import Person
from coe.competency.models import Competency, CurrentLevel
from coe.dashboard import admin, services
from coe.extensions import db
from coe.registry import registry

ATTENTION = 5
AWAITING = 8


def lead_panel(person: Person) -> dict | None:
    """A lead's teams at a glance: the summary cards and the people with the largest gaps."""
    if not person.led_team_ids:
        return None
    # The teams they lead, also for an admin who leads some (the organisation is on /team).
    scope = services.Scope([(team.id, team.name) for team in person.led_teams], None, False)
    filters = services.Filters(sort="gap")
    rows, _ = services.people_rows(scope, filters, ATTENTION + 1)
    # A lead in their own team is not someone who needs their attention.
    attention = [row for row in rows if row.total_gap > 0 and row.person_id != person.id][:ATTENTION]
    return {"summary": services.summary(scope, filters), "attention": attention,
            "scope": scope}


@dataclass(frozen=True)
class Awaiting:
    person_id: int
    person: str
    competency: str
    competency_name: str
    self_level: int
    validated_level: int | None
    since: datetime


def validation_panel(person: Person) -> dict | None:
    """Self-assessments newer than any validation, of the people this person validates (their team, their mentees)."""
    led = [team.id for team in person.led_teams]
    mentees = registry().mentee_ids(person.id) if person.is_mentor else []
    if not led and not mentees:
        return None
    whose = or_(Person.team_id.in_(led or [-1]), Person.id.in_(mentees or [-1]))
    pending = and_(CurrentLevel.self_at.is_not(None),
                   or_(CurrentLevel.validated_at.is_(None), CurrentLevel.self_at > CurrentLevel.validated_at))
    stmt = (select(Person.id, Person.display_name, Competency.code, Competency.name, CurrentLevel.self_level,
                   CurrentLevel.validated_level, CurrentLevel.self_at)
            .join(Person, Person.id == CurrentLevel.person_id)
            .join(Competency, and_(Competency.id == CurrentLevel.competency_id, Competency.archived_at.is_(None)))
            .where(whose, Person.active.is_(True), Person.id != person.id, pending))
    items = [Awaiting(*row) for row in db.session.execute(
        stmt.order_by(CurrentLevel.self_at.desc(), Person.display_name).limit(AWAITING + 1))]
    return {"items": items[:AWAITING], "more": len(items) > AWAITING}


def admin_panel(person: Person) -> dict | None:
    """What needs an admin: content past its review date and people who never signed in."""
    if not person.is_admin:
        return None
    grouped, review_total = admin.review_by_owner()
    people, people_total = admin.never_signed_in(limit=5)
    return {"review": grouped[:5], "review_total": review_total, "people": people, "people_total": people_total}
