"""The competency framework and role profiles, loaded from content/competencies/."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coe.auth.models import utcnow
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


RATING_SOURCES = ("self", "mentor", "lead", "quiz", "track", "import")
# A validated rating outranks a self-rating; quiz and track results are evidence, not validation.
VALIDATING_SOURCES = ("mentor", "lead", "import")
EVIDENCE_SOURCES = ("quiz", "track", "mentor", "manual")


class Rating(db.Model):
    """One rating of a person in a competency: append-only history (a correction is a new rating)."""

    __tablename__ = "rating"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        CheckConstraint("source IN ('self', 'mentor', 'lead', 'quiz', 'track', 'import')", name="source_known"),
        Index("ix_rating_person_competency_created", "person_id", "competency_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"))
    level: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_url: Mapped[str] = mapped_column(String(500), default="")
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Evidence(db.Model):
    """Something that supports a level in a competency: a quiz passed, a track completed, a mentor's sign-off."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        CheckConstraint("source IN ('quiz', 'track', 'mentor', 'manual')", name="source_known"),
        # The same achievement is recorded once, however often its domain reports it.
        UniqueConstraint("person_id", "competency_id", "ref"),
        Index("ix_evidence_person_recorded", "person_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"))
    source: Mapped[str] = mapped_column(String(10))
    level: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500), default="")
    ref: Mapped[str] = mapped_column(String(200))  # what produced it, unique per person and competency
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Goal(db.Model):
    """An item of a person's development plan they committed to, with a target date."""

    __tablename__ = "goal"
    __table_args__ = (Index("ix_goal_person_due", "person_id", "target_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # what the item is: Template, Track, Quiz, Mentor, ...
    url: Mapped[str] = mapped_column(String(500), default="")
    target_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    competency: Mapped[Competency] = relationship()


class RoleProfileChange(db.Model):
    """A person moved to another role profile (a promotion): their targets move with it."""

    __tablename__ = "role_profile_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    from_profile: Mapped[str | None] = mapped_column(String(64))
    to_profile: Mapped[str | None] = mapped_column(String(64))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CurrentLevel(db.Model):
    """Where a person stands in a competency, kept in step with their ratings (coe.competency.current).

    Derived data: the newest validated and the newest self-rating, so that team views aggregate
    thousands of people without ranking their whole rating history on every request.
    """

    __tablename__ = "current_level"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        Index("ix_current_level_competency", "competency_id"),
    )

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)  # the validated level if any, else the self-assessed one
    validated_level: Mapped[int | None] = mapped_column(Integer)
    self_level: Mapped[int | None] = mapped_column(Integer)
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    self_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
