"""The audit log: who changed a role, validated a rating, deactivated, exported or erased whom, and when.

``record`` adds an event to the caller's transaction, so an event exists exactly when the change
it describes was committed. Events never hold secrets: no passwords, no link secrets, no tokens.
Admins read the log at /admin/audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import JSON, DateTime, ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coe.auth.models import Person, utcnow
from coe.extensions import db

# The actions the log knows, with the words the admin page uses for each.
ACTIONS: dict[str, str] = {
    "role.admin": "changed the admin role of",
    "role.mentor": "changed the mentor role of",
    "role.lead": "changed the teams led by",
    "role.profile": "changed the role profile of",
    "person.create": "added",
    "person.deactivate": "deactivated",
    "person.reactivate": "reactivated",
    "person.sign_in_link": "made a sign-in link for",
    "person.sessions_ended": "signed out every session of",
    "person.export": "exported the personal data of",
    "person.erase": "erased the personal data of",
    "people.import": "imported people from a file",
    "competency.validate": "validated a rating of",
    "data.export": "exported",
    "team.export": "exported the team dashboard",
    "content.sync": "synced the content",
    "backup.create": "made a backup",
    "backup.restore": "restored a backup",
}


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # Who acted; None for the command line and background tasks.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    # Whom it concerned, if a person.
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    # What changed, in words and values that carry no secret: {"from": false, "to": true}.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[Person | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[Person | None] = relationship(foreign_keys=[subject_id])

    @property
    def description(self) -> str:
        return ACTIONS.get(self.action, self.action)


def record(action: str, actor: Person | None = None, subject: Person | int | None = None,
           **detail) -> AuditEvent:
    """Add an event to the current transaction; it is written when the caller commits."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    subject_id = subject.id if isinstance(subject, Person) else subject
    event = AuditEvent(action=action, actor_id=actor.id if actor is not None else None, subject_id=subject_id,
                       detail=detail, address=request.remote_addr if has_request_context() else None)
    db.session.add(event)
    return event


PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int
    pages: int


def events_page(page: int = 1, action: str | None = None, person_id: int | None = None) -> AuditPage:
    """Newest first, one page, with actor and subject loaded in the same query."""
    from sqlalchemy.orm import joinedload

    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if person_id:
        stmt = stmt.where((AuditEvent.subject_id == person_id) | (AuditEvent.actor_id == person_id))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    events = list(db.session.scalars(
        stmt.options(joinedload(AuditEvent.actor), joinedload(AuditEvent.subject))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return AuditPage(events, total, page, pages)
