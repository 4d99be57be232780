"""The admins' overview of the CoE: content to review, searches that found nothing, unread documents,
falling track completion, and people who never signed in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from coe.auth.models import Person
from coe.extensions import db
from coe.library import services as library
from coe.registry import FallingCompletion, registry

UNOPENED_DAYS = 90
LISTED = 20


@dataclass(frozen=True)
class Overview:
    review_by_owner: list[tuple[str, list]]  # owner -> [(document, was due)], owners with most first
    review_total: int
    misses: list
    unopened: list
    unopened_total: int
    falling: list[FallingCompletion]
    never_signed_in: list[Person]
    never_signed_in_total: int


def review_by_owner() -> tuple[list[tuple[str, list]], int]:
    """Documents past their review date, grouped by the role that owns them (most overdue owner first)."""
    due = library.documents_needing_review()
    grouped: dict[str, list] = {}
    for doc, was_due in due:
        grouped.setdefault(doc.owner, []).append((doc, was_due))
    return sorted(grouped.items(), key=lambda item: (-len(item[1]), item[0])), len(due)


def never_signed_in(limit: int = LISTED) -> tuple[list[Person], int]:
    condition = (Person.active.is_(True), Person.last_login_at.is_(None))
    total = db.session.scalar(select(func.count(Person.id)).where(*condition)) or 0
    people = list(db.session.scalars(select(Person).where(*condition).order_by(Person.created_at, Person.id)
                                     .limit(limit)))
    return people, total


def overview() -> Overview:
    grouped, review_total = review_by_owner()
    unopened, unopened_total = library.unopened_documents(UNOPENED_DAYS, limit=LISTED)
    people, people_total = never_signed_in()
    return Overview(grouped, review_total, library.frequent_misses(10), unopened, unopened_total,
                    registry().falling_completion(), people, people_total)
