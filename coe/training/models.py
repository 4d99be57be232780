"""Training tracks as synced from content/tracks/, and each person's progress through them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coe.auth.models import utcnow
from coe.extensions import db

STEP_KINDS = ("read", "quiz", "task", "mentor")
STEP_KIND_LABELS = {"read": "Read", "quiz": "Quiz", "task": "Practice task", "mentor": "Mentor session"}
SUBMISSION_STATES = ("submitted", "approved", "returned")


class Track(db.Model):
    __tablename__ = "track"
    __table_args__ = (CheckConstraint("hours > 0", name="hours_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(400))
    description_html: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")  # plain text for the search index
    hours: Mapped[int] = mapped_column(Integer)
    ordered: Mapped[bool] = mapped_column(Boolean, default=True)
    prerequisites: Mapped[list[str]] = mapped_column(JSON, default=list)  # slugs of tracks to complete first
    position: Mapped[int] = mapped_column(Integer, default=0)
    checksum: Mapped[str] = mapped_column(String(64))
    # The content generation in which this track last changed (created, edited, archived).
    generation: Mapped[int] = mapped_column(Integer, index=True)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    audience: Mapped[list[TrackAudience]] = relationship(cascade="all, delete-orphan", order_by="TrackAudience.role_code")
    competencies: Mapped[list[TrackCompetency]] = relationship(cascade="all, delete-orphan",
                                                              order_by="TrackCompetency.position")
    steps: Mapped[list[TrackStep]] = relationship(back_populates="track", order_by="TrackStep.position")

    @property
    def live_steps(self) -> list[TrackStep]:
        return [step for step in self.steps if step.archived_at is None]

    @property
    def role_codes(self) -> list[str]:
        return [a.role_code for a in self.audience]


class TrackAudience(db.Model):
    __tablename__ = "track_audience"

    track_id: Mapped[int] = mapped_column(ForeignKey("track.id", ondelete="CASCADE"), primary_key=True)
    # Not a foreign key: role profiles are archived, never deleted, and a sync refuses unknown codes.
    role_code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class TrackCompetency(db.Model):
    """A competency the track builds, and the level completing it supports."""

    __tablename__ = "track_competency"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    track_id: Mapped[int] = mapped_column(ForeignKey("track.id", ondelete="CASCADE"), primary_key=True)
    competency_code: Mapped[str] = mapped_column(ForeignKey("competency.code"), primary_key=True, index=True)
    level: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class TrackStep(db.Model):
    """One step; ``key`` is the stable id from the file. A step removed from the file is archived, so that
    completions pointing at it stay."""

    __tablename__ = "track_step"
    __table_args__ = (
        UniqueConstraint("track_id", "key"),
        CheckConstraint("kind IN ('read', 'quiz', 'task', 'mentor')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200), default="")
    document_ref: Mapped[str | None] = mapped_column(String(200), index=True)
    quiz_slug: Mapped[str | None] = mapped_column(String(120), index=True)
    competency_code: Mapped[str | None] = mapped_column(String(64))
    html: Mapped[str] = mapped_column(Text, default="")  # the note or instructions, rendered
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    track: Mapped[Track] = relationship(back_populates="steps")


class Enrolment(db.Model):
    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("person_id", "track_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # left; completions are kept

    track: Mapped[Track] = relationship()


class StepCompletion(db.Model):
    """A person completed a step (kept when they leave the track or the step leaves the file)."""

    __tablename__ = "step_completion"
    __table_args__ = (
        UniqueConstraint("person_id", "step_id"),
        Index("ix_step_completion_person_completed", "person_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("track_step.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class StepSubmission(db.Model):
    """A practice task's submission (text or link), or a request to sign off a mentor session, and its review."""

    __tablename__ = "step_submission"
    __table_args__ = (
        CheckConstraint("state IN ('submitted', 'approved', 'returned')", name="state_known"),
        Index("ix_step_submission_state", "state", "submitted_at"),
        Index("ix_step_submission_person_step", "person_id", "step_id"),
        # One submission awaiting review per person and step, also when two tabs submit at once.
        Index("uq_step_submission_pending", "person_id", "step_id", unique=True,
              sqlite_where=text("state = 'submitted'"), postgresql_where=text("state = 'submitted'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("track_step.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(10), default="submitted")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str] = mapped_column(Text, default="")

    step: Mapped[TrackStep] = relationship()
    person = relationship("Person", foreign_keys=[person_id])
    reviewed_by = relationship("Person", foreign_keys=[reviewed_by_id])


class Certificate(db.Model):
    """Issued when a person completes a track; anyone with its code can check it."""

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("person_id", "track_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id", ondelete="CASCADE"))
    # As they were at the time: a later rename of the track or the person does not rewrite a certificate.
    track_title: Mapped[str] = mapped_column(String(200))
    person_name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    track: Mapped[Track] = relationship()
