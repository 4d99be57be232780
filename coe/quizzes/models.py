"""Quizzes and their questions as synced from content/quizzes/, people's attempts and first passes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coe.auth.models import utcnow
from coe.extensions import db


class Quiz(db.Model):
    __tablename__ = "quiz"
    __table_args__ = (
        CheckConstraint("source_format IN ('yml', 'gift')", name="source_format_known"),
        CheckConstraint("grading IN ('highest', 'last')", name="grading_known"),
        CheckConstraint("review IN ('immediately', 'after_passing', 'never')", name="review_known"),
        CheckConstraint("pass_mark BETWEEN 0 AND 100", name="pass_mark_range"),
        CheckConstraint("attempts_allowed >= 0 AND wait_minutes >= 0 AND time_limit_minutes >= 0 AND draw >= 0",
                        name="settings_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    path: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(400), default="")
    source_format: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(200), default="")
    pass_mark: Mapped[int] = mapped_column(Integer)
    attempts_allowed: Mapped[int] = mapped_column(Integer)  # 0 = unlimited
    wait_minutes: Mapped[int] = mapped_column(Integer)
    time_limit_minutes: Mapped[int] = mapped_column(Integer)  # 0 = no limit
    shuffle_questions: Mapped[bool] = mapped_column(Boolean)
    shuffle_answers: Mapped[bool] = mapped_column(Boolean)
    draw: Mapped[int] = mapped_column(Integer)  # 0 = every question
    grading: Mapped[str] = mapped_column(String(10))
    review: Mapped[str] = mapped_column(String(16))
    checksum: Mapped[str] = mapped_column(String(64))
    # The content generation in which this quiz last changed (created, edited, archived).
    generation: Mapped[int] = mapped_column(Integer, index=True)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    competencies: Mapped[list[QuizCompetency]] = relationship(cascade="all, delete-orphan",
                                                              order_by="QuizCompetency.competency_code")


class QuizCompetency(db.Model):
    """A competency passing the quiz supports, and at which level."""

    __tablename__ = "quiz_competency"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True)
    competency_code: Mapped[str] = mapped_column(ForeignKey("competency.code"), primary_key=True, index=True)
    level: Mapped[int] = mapped_column(Integer)


class QuizQuestion(db.Model):
    """One question; ``key`` is its stable id in the file, so edits keep attempts that point at it."""

    __tablename__ = "quiz_question"
    __table_args__ = (UniqueConstraint("quiz_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16))
    graded: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict] = mapped_column(JSON)  # the question as written (grading and export read it)
    html: Mapped[dict] = mapped_column(JSON)  # the same with every text rendered to safe HTML (pages show it)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QuizAttempt(db.Model):
    """A person's attempt: the questions drawn for it, their answers, and once submitted its grade."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        UniqueConstraint("quiz_id", "person_id", "number"),
        CheckConstraint("state IN ('open', 'submitted')", name="state_known"),
        CheckConstraint("number >= 1", name="number_positive"),
        Index("ix_quiz_attempt_person_quiz", "person_id", "quiz_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default="open")
    seed: Mapped[int] = mapped_column(Integer)  # orders questions and answers the same way on every reload
    question_ids: Mapped[list[int]] = mapped_column(JSON)  # drawn for this attempt, in the order shown
    responses: Mapped[dict] = mapped_column(JSON, default=dict)  # question id -> response, as saved in time
    results: Mapped[dict] = mapped_column(JSON, default=dict)  # question id -> fraction (null: not graded)
    score: Mapped[float | None] = mapped_column(Float)  # percent of the maximum
    passed: Mapped[bool | None] = mapped_column(Boolean)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # answers arrived after the time limit and grace

    quiz: Mapped[Quiz] = relationship()


class QuizPass(db.Model):
    """The first time a person passed a quiz: evidence and track steps follow it, once."""

    __tablename__ = "quiz_pass"

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"))
    passed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuizAnswer(db.Model):
    """How one graded question of a submitted attempt went: what the lead's dashboard counts in SQL."""

    __tablename__ = "quiz_answer"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    fraction: Mapped[float] = mapped_column(Float)
