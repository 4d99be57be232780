"""The competency framework and role profiles, loaded from content/competencies/."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coe.extensions import db

LEVEL_NAMES = {1: "Awareness", 2: "Foundation", 3: "Practitioner", 4: "Advanced", 5: "Expert"}


class CompetencyArea(db.Model):
    __tablename__ = "competency_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    competencies: Mapped[list[Competency]] = relationship(back_populates="area", order_by="Competency.position")


class Competency(db.Model):
    __tablename__ = "competency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("competency_area.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    talent_triangle: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # References to the standards it maps to (element names only).
    icb4: Mapped[list[str]] = mapped_column(JSON, default=list)
    gapps: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Listed under `retired:` in framework.yml: kept so that ratings and history pointing here stay intact.
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    area: Mapped[CompetencyArea] = relationship(back_populates="competencies")
    levels: Mapped[list[CompetencyLevel]] = relationship(
        back_populates="competency", order_by="CompetencyLevel.level", cascade="all, delete-orphan"
    )


class CompetencyLevel(db.Model):
    __tablename__ = "competency_level"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    descriptor: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)  # examples of evidence that support it

    competency: Mapped[Competency] = relationship(back_populates="levels")


class RoleProfile(db.Model):
    __tablename__ = "role_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    targets: Mapped[list[RoleTarget]] = relationship(back_populates="role_profile", cascade="all, delete-orphan")


class RoleTarget(db.Model):
    __tablename__ = "role_target"
    __table_args__ = (
        UniqueConstraint("role_profile_id", "competency_id"),
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role_profile_id: Mapped[int] = mapped_column(ForeignKey("role_profile.id", ondelete="CASCADE"), index=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)

    role_profile: Mapped[RoleProfile] = relationship(back_populates="targets")
    competency: Mapped[Competency] = relationship()
