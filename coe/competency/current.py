"""Keeping ``current_level`` in step with the ratings, by the rules of ``levels.current_levels``, in SQL.

Every path that adds a rating of source self/mentor/lead/import calls ``refresh`` for the pair (the
profile services do); bulk loaders (demo data, imports, benchmarks) call ``rebuild`` once after.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from coe.auth.models import Person
from coe.competency import levels as lv
from coe.competency.levels import VALIDATING
from coe.competency.models import Competency, CurrentLevel, Rating, RoleProfile, RoleTarget
from coe.extensions import db

COUNTED = ("self", *sorted(VALIDATING))


def _newest(condition):
    """(person, competency, level, validated level, self level, validated at, self at) for the pairs matching."""
    validated = case((Rating.source.in_(sorted(VALIDATING)), 1), else_=0)
    ranked = (select(Rating.person_id, Rating.competency_id, Rating.level, Rating.created_at,
                     validated.label("validated"),
                     func.row_number().over(partition_by=(Rating.person_id, Rating.competency_id, validated),
                                            order_by=(Rating.created_at.desc(), Rating.id.desc())).label("rank"))
              .where(Rating.source.in_(COUNTED), condition).subquery())
    validated_level = func.max(case((ranked.c.validated == 1, ranked.c.level)))
    self_level = func.max(case((ranked.c.validated == 0, ranked.c.level)))
    return (select(ranked.c.person_id, ranked.c.competency_id,
                   func.coalesce(validated_level, self_level).label("level"),
                   validated_level.label("validated_level"), self_level.label("self_level"),
                   func.max(case((ranked.c.validated == 1, ranked.c.created_at))).label("validated_at"),
                   func.max(case((ranked.c.validated == 0, ranked.c.created_at))).label("self_at"))
            .where(ranked.c.rank == 1).group_by(ranked.c.person_id, ranked.c.competency_id))


COLUMNS = ("person_id", "competency_id", "level", "validated_level", "self_level", "validated_at", "self_at")


def _upsert(rows):
    """Insert, or merge into the row there: each kind keeps its newest rating, whichever transaction commits last.

    Two validations of the same person and competency at the same moment each see only their own
    new rating; merging by time (rather than overwriting) leaves the newest of both in place.
    """
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(CurrentLevel).from_select(COLUMNS, rows)
    new = stmt.excluded
    newer_validated = or_(CurrentLevel.validated_at.is_(None),
                          and_(new.validated_at.is_not(None), new.validated_at >= CurrentLevel.validated_at))
    newer_self = or_(CurrentLevel.self_at.is_(None), and_(new.self_at.is_not(None), new.self_at >= CurrentLevel.self_at))
    validated_level = case((newer_validated, new.validated_level), else_=CurrentLevel.validated_level)
    self_level = case((newer_self, new.self_level), else_=CurrentLevel.self_level)
    return stmt.on_conflict_do_update(
        index_elements=[CurrentLevel.person_id, CurrentLevel.competency_id],
        set_={"level": func.coalesce(validated_level, self_level), "validated_level": validated_level,
              "self_level": self_level,
              "validated_at": case((newer_validated, new.validated_at), else_=CurrentLevel.validated_at),
              "self_at": case((newer_self, new.self_at), else_=CurrentLevel.self_at)})


def refresh(person_id: int, competency_id: int) -> None:
    """Bring one person's level in one competency up to date after a rating (an upsert, safe when concurrent)."""
    db.session.execute(_upsert(_newest(and_(Rating.person_id == person_id, Rating.competency_id == competency_id))))


def rebuild(person_ids: Iterable[int] | None = None) -> None:
    """Recompute the levels of these people (default: everyone) from their whole rating history."""
    ids = None if person_ids is None else list(person_ids)
    if ids is None:
        db.session.execute(delete(CurrentLevel))
        db.session.execute(_upsert(_newest(Rating.id.is_not(None))))
        return
    db.session.execute(delete(CurrentLevel).where(CurrentLevel.person_id.in_(ids)))
    db.session.execute(_upsert(_newest(Rating.person_id.in_(ids))))


def levels_of(person_ids: Sequence[int]) -> dict[int, dict[str, lv.Current]]:
    """Where each of these people stands (``levels.Current`` per competency code), in one query over the
    table: one row per rated competency, whatever the length of their rating history."""
    found: dict[int, dict[str, lv.Current]] = {person_id: {} for person_id in person_ids}
    if not found:
        return found
    for person_id, code, level, validated_level, self_level in db.session.execute(
            select(CurrentLevel.person_id, Competency.code, CurrentLevel.level, CurrentLevel.validated_level,
                   CurrentLevel.self_level)
            .join(Competency, Competency.id == CurrentLevel.competency_id)
            .where(CurrentLevel.person_id.in_(list(found)))):
        found[person_id][code] = lv.Current(level, validated_level is not None, self_level, validated_level)
    return found


def open_gap_counts(person_ids: Sequence[int]) -> dict[int, int]:
    """How many live competencies each of these people is below their role's target in (``levels.gaps``
    with a size above 0), counted in SQL; people with no open gap are left out."""
    if not person_ids:
        return {}
    return dict(db.session.execute(
        select(Person.id, func.count())
        .join(RoleProfile, and_(RoleProfile.code == Person.role_profile, RoleProfile.archived_at.is_(None)))
        .join(RoleTarget, RoleTarget.role_profile_id == RoleProfile.id)
        .join(Competency, and_(Competency.id == RoleTarget.competency_id, Competency.archived_at.is_(None)))
        .outerjoin(CurrentLevel, and_(CurrentLevel.person_id == Person.id,
                                      CurrentLevel.competency_id == RoleTarget.competency_id))
        .where(Person.id.in_(list(person_ids)), RoleTarget.level > func.coalesce(CurrentLevel.level, 0))
        .group_by(Person.id)).all())
