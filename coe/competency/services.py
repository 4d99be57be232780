"""Reading the framework, and what other domains offer to build each competency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coe.competency.models import Competency, CompetencyArea, RoleProfile, RoleTarget
from coe.extensions import db


@dataclass(frozen=True)
class Offering:
    """Something that builds a competency: a document, a track, a quiz, a mentor."""

    kind: str
    title: str
    url: str


# A provider maps competency codes to what its domain offers for each.
Provider = Callable[[list[str]], dict[str, list[Offering]]]


def register_provider(app: Flask, provider: Provider) -> None:
    """Let a domain say what it offers for each competency, without competency importing it."""
    app.extensions.setdefault("coe.competency_providers", []).append(provider)


def offerings(codes: list[str]) -> dict[str, list[Offering]]:
    """Ask every registered provider what builds each of ``codes``."""
    merged: dict[str, list[Offering]] = {code: [] for code in codes}
    for provider in current_app.extensions.get("coe.competency_providers", []):
        for code, items in provider(codes).items():
            merged.setdefault(code, []).extend(items)
    return merged


def framework() -> list[tuple[CompetencyArea, list[Competency]]]:
    """Return the areas in order, each with its live competencies and their level descriptors."""
    areas = db.session.scalars(
        select(CompetencyArea).order_by(CompetencyArea.position)
        .options(selectinload(CompetencyArea.competencies).selectinload(Competency.levels))
    ).all()
    pairs = [(area, [c for c in area.competencies if c.archived_at is None]) for area in areas]
    return [(area, live) for area, live in pairs if live]


def competency_names() -> dict[str, str]:
    return dict(db.session.execute(
        select(Competency.code, Competency.name).where(Competency.archived_at.is_(None))).all())


def role_profile_choices() -> list[tuple[str, str]]:
    """Return (code, name) of the role profiles defined in content, in their file order."""
    return list(db.session.execute(
        select(RoleProfile.code, RoleProfile.name).where(RoleProfile.archived_at.is_(None))
        .order_by(RoleProfile.position)).all())


def role_profiles() -> list[RoleProfile]:
    return list(db.session.scalars(
        select(RoleProfile).where(RoleProfile.archived_at.is_(None)).order_by(RoleProfile.position)
        .options(selectinload(RoleProfile.targets).selectinload(RoleTarget.competency))))


def role_targets(profiles: list[RoleProfile]) -> dict[str, dict[str, int]]:
    """Return {role profile code: {competency code: target level}}."""
    return {p.code: {t.competency.code: t.level for t in p.targets} for p in profiles}
