"""Mentor profiles, mentorships, availability, bookings, notes, ratings, sign-offs and notifications."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, Time,
                        text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coe.auth.models import Person, utcnow
from coe.extensions import db

REQUEST_EXPIRES_AFTER = timedelta(days=7)
MENTORSHIP_STATES = ("requested", "active", "declined", "expired", "ended")
BOOKING_STATES = ("booked", "cancelled")


class MentorProfile(db.Model):
    """What a mentor offers: bio, competencies, languages, zone, places, and how their sessions are booked."""

    __tablename__ = "mentor_profile"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("session_minutes BETWEEN 15 AND 240", name="session_length"),
        CheckConstraint("buffer_minutes BETWEEN 0 AND 120", name="buffer_range"),
        CheckConstraint("notice_hours BETWEEN 0 AND 336", name="notice_range"),
        CheckConstraint("horizon_days BETWEEN 1 AND 180", name="horizon_range"),
    )

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    competencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    accepting: Mapped[bool] = mapped_column(Boolean, default=True)
    session_minutes: Mapped[int] = mapped_column(Integer, default=60)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=15)
    notice_hours: Mapped[int] = mapped_column(Integer, default=24)
    horizon_days: Mapped[int] = mapped_column(Integer, default=42)
    # Written at every acceptance: the row each acceptance locks, so that capacity holds under concurrency.
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship()


class Mentorship(db.Model):
    """A mentee's request to a mentor, and the mentorship it becomes."""

    __tablename__ = "mentorship"
    __table_args__ = (
        CheckConstraint("state IN ('requested', 'active', 'declined', 'expired', 'ended')", name="state_known"),
        CheckConstraint("mentor_id <> mentee_id", name="not_self"),
        # One active mentorship per pair, whatever races.
        Index("uq_mentorship_active_pair", "mentor_id", "mentee_id", unique=True,
              sqlite_where=text("state = 'active'"), postgresql_where=text("state = 'active'")),
        Index("ix_mentorship_mentee_state", "mentee_id", "state"),
        Index("ix_mentorship_mentor_state", "mentor_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10), default="requested")
    goals: Mapped[str] = mapped_column(Text, default="")
    focus: Mapped[list[str]] = mapped_column(JSON, default=list)
    reply: Mapped[str] = mapped_column(Text, default="")  # the mentor's message on accepting or declining
    reflection: Mapped[str] = mapped_column(Text, default="")  # said by whoever ended it
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])
    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id])

    def status(self, now: datetime) -> str:
        """The state as people see it: a request unanswered for 7 days is expired, task or no task."""
        if self.state == "requested" and _aware(self.requested_at) + REQUEST_EXPIRES_AFTER <= now:
            return "expired"
        return self.state


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class AvailabilityWindow(db.Model):
    """A weekly window, wall-clock time in the mentor's zone."""

    __tablename__ = "availability_window"
    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
                      CheckConstraint("start_time < end_time", name="start_before_end"))

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class AvailabilityException(db.Model):
    """A date off (``blocked``) or an extra window on a date."""

    __tablename__ = "availability_exception"
    __table_args__ = (CheckConstraint("blocked OR (start_time IS NOT NULL AND end_time IS NOT NULL "
                                      "AND start_time < end_time)", name="window_or_blocked"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    blocked: Mapped[bool] = mapped_column(Boolean, default=True)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)


class Booking(db.Model):
    """A session booked in a mentor's free slot; times in UTC."""

    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("state IN ('booked', 'cancelled')", name="state_known"),
        CheckConstraint("starts_at < ends_at", name="start_before_end"),
        # A slot is never booked twice: the database refuses a second live booking at the same start.
        Index("uq_booking_mentor_start_live", "mentor_id", "starts_at", unique=True,
              sqlite_where=text("state = 'booked'"), postgresql_where=text("state = 'booked'")),
        Index("ix_booking_mentee_start", "mentee_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorship.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    topic: Mapped[str] = mapped_column(String(200))
    competency: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(10), default="booked")
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # the .ics SEQUENCE: raised at each change
    change_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])
    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id])

    @property
    def start(self) -> datetime:
        return _aware(self.starts_at)

    @property
    def end(self) -> datetime:
        return _aware(self.ends_at)


class SessionNote(db.Model):
    """A note on a session, visible to the mentor and the mentee only."""

    __tablename__ = "session_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[Person | None] = relationship()


class SessionRating(db.Model):
    """The mentee's rating of a session (once per session)."""

    __tablename__ = "session_rating"
    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),)

    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SignOff(db.Model):
    """A mentor's sign-off of a mentee's progress in a competency after a session."""

    __tablename__ = "mentor_signoff"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    competency: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notification(db.Model):
    """A line in a person's in-app notifications."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_person_read", "person_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(300), default="")
    # Unique per event ("booking:12:reminder"): a retried task does not notify twice.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MentoringSettings(db.Model):
    """A person's mentoring preferences: the languages they speak, and their calendar feed's secret (hashed)."""

    __tablename__ = "mentoring_settings"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
