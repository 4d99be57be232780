"""Reading the framework, and what other domains offer to build each competency."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coe.competency.models import Competency, CompetencyArea, RoleProfile, RoleTarget
from coe.content.cache import per_generation
from coe.extensions import db
from coe.registry import Offering, registry


def offerings(codes: list[str]) -> dict[str, list[Offering]]:
    """Ask every registered provider what builds each of ``codes``."""
    merged: dict[str, list[Offering]] = {code: [] for code in codes}
    for provider in registry().competency_providers:
        for code, items in provider.offerings(codes).items():
            merged.setdefault(code, []).extend(items)
    return merged


@dataclass(frozen=True)
class OfferingCount:
    label: str
    count: int
    url: str


def offering_counts(codes: list[str]) -> dict[str, list[OfferingCount]]:
    """For each competency, how many items of each kind build it, with a link to them (one query per kind)."""
    counts: dict[str, list[OfferingCount]] = {code: [] for code in codes}
    for provider in registry().competency_providers:
        for code, count in provider.counts(codes).items():
            if count and code in counts:
                counts[code].append(OfferingCount(provider.label, count, provider.browse_url(code)))
    return counts


@dataclass(frozen=True)
class LevelDescriptor:
    level: int
    descriptor: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class FrameworkCompetency:
    id: int
    code: str
    name: str
    description: str
    talent_triangle: str
    icb4: tuple[str, ...]
    gapps: tuple[str, ...]
    levels: tuple[LevelDescriptor, ...]


@dataclass(frozen=True)
class FrameworkArea:
    id: int
    code: str
    name: str
    description: str


def framework() -> list[tuple[FrameworkArea, list[FrameworkCompetency]]]:
    """Return the areas in order, each with its live competencies and their level descriptors.

    Plain, read-only records, read once per content generation (the framework changes only with a sync):
    the profile and framework pages show every descriptor, and reading them cost more than the rest.
    """
    return [(area, list(competencies)) for area, competencies in _framework()]


@per_generation(maxsize=4)
def _framework() -> tuple[tuple[FrameworkArea, tuple[FrameworkCompetency, ...]], ...]:
    areas = db.session.scalars(
        select(CompetencyArea).order_by(CompetencyArea.position)
        .options(selectinload(CompetencyArea.competencies).selectinload(Competency.levels))
    ).all()
    found = []
    for area in areas:
        live = tuple(FrameworkCompetency(
            c.id, c.code, c.name, c.description, c.talent_triangle, tuple(c.icb4 or ()), tuple(c.gapps or ()),
            tuple(LevelDescriptor(lvl.level, lvl.descriptor, tuple(lvl.evidence or ())) for lvl in c.levels))
            for c in area.competencies if c.archived_at is None)
        if live:
            found.append((FrameworkArea(area.id, area.code, area.name, area.description), live))
    return tuple(found)


def competency_names() -> Mapping[str, str]:
    """Code -> name of every live competency (read once per content generation; read-only)."""
    return _competency_names()


@per_generation(maxsize=8)
def _competency_names() -> Mapping[str, str]:
    return MappingProxyType(dict(db.session.execute(
        select(Competency.code, Competency.name).where(Competency.archived_at.is_(None))).all()))


def role_profile_choices() -> list[tuple[str, str]]:
    """Return (code, name) of the role profiles defined in content, in their file order."""
    return list(_role_profile_choices())


@per_generation(maxsize=4)
def _role_profile_choices() -> tuple[tuple[str, str], ...]:
    return tuple((code, name) for code, name in db.session.execute(
        select(RoleProfile.code, RoleProfile.name).where(RoleProfile.archived_at.is_(None))
        .order_by(RoleProfile.position)))


def role_profiles() -> list[RoleProfile]:
    return list(db.session.scalars(
        select(RoleProfile).where(RoleProfile.archived_at.is_(None)).order_by(RoleProfile.position)
        .options(selectinload(RoleProfile.targets).selectinload(RoleTarget.competency))))


def role_targets(profiles: list[RoleProfile]) -> dict[str, dict[str, int]]:
    """Return {role profile code: {competency code: target level}}."""
    return {p.code: {t.competency.code: t.level for t in p.targets} for p in profiles}
