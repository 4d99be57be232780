"""People, teams and the roles they hold."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (Boolean, CheckConstraint, Column, DateTime, ForeignKey, Integer, String, Table, event, false,
                        true)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coe.extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


team_lead = Table(
    "team_lead",
    db.metadata,
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
)


class Team(db.Model):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # The name in lower case: team names are unique regardless of case.
    name_key: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    members: Mapped[list[Person]] = relationship(back_populates="team", order_by="Person.display_name")
    leads: Mapped[list[Person]] = relationship(
        secondary=team_lead, back_populates="led_teams", order_by="Person.display_name"
    )

    def __repr__(self) -> str:
        return f"<Team {self.name!r}>"


class Person(db.Model):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("session_version >= 1", name="session_version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    role_profile: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"), index=True)
    is_mentor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    team: Mapped[Team | None] = relationship(back_populates="members")
    led_teams: Mapped[list[Team]] = relationship(
        secondary=team_lead, back_populates="leads", order_by="Team.name"
    )

    # Flask-Login protocol. The id it stores names one server-side sign-in (LoginSession) and
    # carries the session version, so bumping the version (log out everywhere, password change,
    # deactivation) invalidates every session and remember cookie at once.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The token of the sign-in this object was loaded through (see coe.auth.sessions).
        token = getattr(self, "_session_token", None)
        if token is None:
            raise RuntimeError("sign the person in through coe.auth.sessions.start, which makes their session")
        return token

    @property
    def led_team_ids(self) -> frozenset[int]:
        """The ids of the teams this person leads: read with their sign-in on every request
        (``sessions.load``), otherwise from ``led_teams``."""
        known = getattr(self, "_led_team_ids", None)
        return known if known is not None else frozenset(team.id for team in self.led_teams)

    @property
    def roles(self) -> list[str]:
        """Return the role names held, learner first."""
        roles = ["learner"]
        if self.is_mentor:
            roles.append("mentor")
        if self.led_team_ids:
            roles.append("lead")
        if self.is_admin:
            roles.append("admin")
        return roles

    def __repr__(self) -> str:
        return f"<Person {self.email!r}>"



@event.listens_for(Person.led_teams, "set")
@event.listens_for(Person.led_teams, "append")
@event.listens_for(Person.led_teams, "remove")
def _forget_led_team_ids(person: Person, *_args) -> None:
    """The ids read with the sign-in no longer hold once the teams change (an admin editing themselves)."""
    person._led_team_ids = None


class SignInLink(db.Model):
    """A one-time link to set a password; only the hash of its secret is kept."""

    __tablename__ = "sign_in_link"
    __table_args__ = (CheckConstraint("purpose IN ('invitation', 'reset')", name="purpose_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The person's password fingerprint when the link was made: a later change voids the link.
    password_marker: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class LoginSession(db.Model):
    """One sign-in on one device: ended by its logout, by idling, by its age, or by ending them all.

    The browser holds a random key; the table holds only its SHA-256, so a copy of the database
    signs nobody in.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
