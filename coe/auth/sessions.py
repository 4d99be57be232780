"""Sign-in sessions kept on the server: one row per sign-in on one device.

The browser's session (and its remember-me cookie, when asked for) holds ``<person>:<version>:<key>``.
A request is signed in only while:

- the person is active and their session version is the one in the token (ending every session
  of a person, as a password change or deactivation does, is one increment);
- the row for the key exists and has not ended (logout ends it);
- the sign-in is younger than its absolute lifetime (``COE_SESSION_MAX_HOURS``, or the remember
  duration for a remembered sign-in);
- a sign-in that is not remembered was used within ``COE_SESSION_IDLE_MINUTES``.

Each sign-in gets a new random key, so no token outlives its sign-in or is shared between two.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from huey import crontab
from sqlalchemy import bindparam, select, update

from coe.auth.models import LoginSession, Person, team_lead, utcnow
from coe.extensions import db
from coe.tasks import huey, task_app

# Last-seen times are written at most this often, so a busy page costs no write per request.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _limits(remember: bool) -> tuple[timedelta, timedelta]:
    """(absolute lifetime, idle limit) of a sign-in."""
    config = current_app.config
    if remember:
        lifetime = timedelta(seconds=int(config["REMEMBER_COOKIE_DURATION"]))
        return lifetime, lifetime
    return (timedelta(hours=float(config["COE_SESSION_MAX_HOURS"])),
            timedelta(minutes=float(config["COE_SESSION_IDLE_MINUTES"])))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time stored here is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def start(person: Person, remember: bool = False) -> str:
    """Record a new sign-in of ``person`` and return its token, which the person object now carries."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime, _idle = _limits(remember)
    agent, address = "", ""
    if has_request_context():
        agent = (request.user_agent.string or "")[:200]
        address = (request.remote_addr or "")[:64]
    db.session.add(LoginSession(person_id=person.id, key_hash=_hash(key), remember=remember, created_at=now,
                                last_seen_at=now, expires_at=now + lifetime, user_agent=agent, address=address))
    db.session.flush()
    token = f"{person.id}:{person.session_version}:{key}"
    person._session_token = token
    return token


# Built once: every signed-in request runs it, and building the statement costs more than running it.
# One row per team the person leads (one row with None for everyone else): every page asks whether its
# viewer leads a team, for the navigation at least.
_SIGNED_IN = (select(LoginSession, Person, team_lead.c.team_id).join(Person, Person.id == LoginSession.person_id)
              .outerjoin(team_lead, team_lead.c.person_id == Person.id)
              .where(LoginSession.key_hash == bindparam("key_hash"), LoginSession.person_id == bindparam("person_id")))


def load(token: str) -> Person | None:
    """Return the person a token signs in, or None if the sign-in has ended, expired or idled out."""
    parts = (token or "").split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or not parts[2]:
        return None
    person_id, version, key = int(parts[0]), int(parts[1]), parts[2]
    rows = db.session.execute(_SIGNED_IN, {"key_hash": _hash(key), "person_id": person_id}).all()
    if not rows:
        return None
    login, person, _ = rows[0]
    if login.ended_at is not None or not person.active or person.session_version != version:
        return None
    now = utcnow()
    _lifetime, idle = _limits(login.remember)
    if now >= _aware(login.expires_at) or now - _aware(login.last_seen_at) > idle:
        _end(login.id, now)
        return None
    if now - _aware(login.last_seen_at) >= TOUCH_EVERY:
        db.session.execute(update(LoginSession).where(LoginSession.id == login.id).values(last_seen_at=now))
        db.session.commit()
    person._session_token = token
    person._login_session_id = login.id
    person._led_team_ids = frozenset(team_id for _, _, team_id in rows if team_id is not None)
    return person


def _end(session_id: int, now: datetime) -> None:
    db.session.execute(update(LoginSession).where(LoginSession.id == session_id, LoginSession.ended_at.is_(None))
                       .values(ended_at=now))
    db.session.commit()


def end_current(person: Person) -> None:
    """End the sign-in this request came with (logout on this device); the caller commits."""
    session_id = getattr(person, "_login_session_id", None)
    if session_id is not None:
        db.session.execute(update(LoginSession).where(LoginSession.id == session_id).values(ended_at=utcnow()))


def end_all(person: Person) -> None:
    """End every sign-in of the person, on every device; the caller commits."""
    person.session_version = (person.session_version or 1) + 1
    db.session.execute(update(LoginSession).where(LoginSession.person_id == person.id,
                                                  LoginSession.ended_at.is_(None)).values(ended_at=utcnow()))


@dataclass(frozen=True)
class ActiveSession:
    id: int
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    address: str
    remember: bool
    current: bool


def active_sessions(person: Person) -> list[ActiveSession]:
    """The person's sign-ins that still let someone in, newest use first, for the account page."""
    now = utcnow()
    current = getattr(person, "_login_session_id", None)
    rows = db.session.scalars(select(LoginSession).where(
        LoginSession.person_id == person.id, LoginSession.ended_at.is_(None), LoginSession.expires_at > now)
        .order_by(LoginSession.last_seen_at.desc()))
    found = []
    for login in rows:
        _lifetime, idle = _limits(login.remember)
        if now - _aware(login.last_seen_at) > idle:
            continue
        found.append(ActiveSession(login.id, _aware(login.created_at), _aware(login.last_seen_at), login.user_agent,
                                   login.address, login.remember, login.id == current))
    return found


def purge(older_than: timedelta = timedelta(days=30)) -> int:
    """Delete sign-ins that ended or expired over ``older_than`` ago; return how many."""
    cutoff = utcnow() - older_than
    result = db.session.execute(LoginSession.__table__.delete().where(
        (LoginSession.expires_at < cutoff) | (LoginSession.ended_at < cutoff)))
    return result.rowcount or 0


@huey.periodic_task(crontab(hour="3", minute="17"))
def purge_ended_sessions() -> int:
    """Nightly: forget sign-ins that ended or expired a month ago (the account page shows only live ones)."""
    with task_app().app_context():
        removed = purge()
        db.session.commit()
        return removed
