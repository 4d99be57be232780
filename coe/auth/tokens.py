"""One-time links to set a password: an invitation (valid 7 days) or a reset (valid 1 hour).

Only a hash of each link's secret is stored. A link works once, and stops working when it expires,
when a newer link of its kind is issued, or when the person's password changes in any other way.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select, update

from coe.auth.models import Person, SignInLink, utcnow
from coe.errors import InvalidInput
from coe.extensions import db

VALID_FOR = {"invitation": timedelta(days=7), "reset": timedelta(hours=1)}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def password_marker(person: Person) -> str:
    """A fingerprint of the person's current password: a link made before a change no longer matches it."""
    return _hash(person.password_hash or "no password")[:32]


@dataclass(frozen=True)
class IssuedLink:
    link_id: int
    person_id: int
    secret: str  # goes into the URL; never stored


def issue(person: Person, purpose: str, issued_by: Person | None = None) -> IssuedLink:
    """Make a new link of ``purpose`` for the person; their older unused links of that kind stop working."""
    return issue_many([person], purpose, issued_by)[0]


def issue_many(people: list[Person] | list[tuple[int, str | None]], purpose: str,
               issued_by: Person | None = None) -> list[IssuedLink]:
    """Make links in bulk (an import invites hundreds): people as Person objects or (id, password_hash) pairs."""
    now = utcnow()
    pairs = [(p.id, p.password_hash) if isinstance(p, Person) else p for p in people]
    ids = [person_id for person_id, _ in pairs]
    for start in range(0, len(ids), 500):
        db.session.execute(update(SignInLink).where(
            SignInLink.person_id.in_(ids[start:start + 500]), SignInLink.purpose == purpose,
            SignInLink.used_at.is_(None), SignInLink.revoked_at.is_(None)).values(revoked_at=now))
    secrets_ = [secrets.token_urlsafe(32) for _ in pairs]
    rows = [{"person_id": person_id, "purpose": purpose, "secret_hash": _hash(secret),
             "password_marker": _hash(password_hash or "no password")[:32], "created_at": now,
             "expires_at": now + VALID_FOR[purpose], "issued_by_id": issued_by.id if issued_by else None}
            for (person_id, password_hash), secret in zip(pairs, secrets_)]
    link_ids = list(db.session.scalars(insert(SignInLink).returning(SignInLink.id, sort_by_parameter_order=True),
                                       rows))
    return [IssuedLink(link_id, person_id, secret)
            for link_id, (person_id, _), secret in zip(link_ids, pairs, secrets_)]


class LinkInvalid(InvalidInput):
    pass


def find_usable(secret: str) -> SignInLink:
    """The link this secret opens, if it may still be used; else raise LinkInvalid saying why."""
    link = db.session.scalar(select(SignInLink).where(SignInLink.secret_hash == _hash(secret or "")))
    if link is None:
        raise LinkInvalid("This link is not valid. Check that you copied all of it, or ask for a new one.")
    person = db.session.get(Person, link.person_id)
    if link.used_at is not None:
        raise LinkInvalid("This link has already been used. Sign in, or ask for a new link.")
    if link.revoked_at is not None:
        raise LinkInvalid("A newer link was sent after this one; use the newest, or ask for a new one.")
    if _aware(link.expires_at) <= utcnow():
        raise LinkInvalid("This link has expired. Ask for a new one.")
    if person is None or not person.active:
        raise LinkInvalid("This account cannot be used. Ask a CoE admin.")
    if link.password_marker != password_marker(person):
        raise LinkInvalid("The password of this account changed after the link was made, so it no longer "
                          "works. Ask for a new one.")
    return link


def redeem(secret: str, new_password: str) -> Person:
    """Set the password through a link: the link is used up and every other session ends."""
    from coe.auth.services import set_password

    link = find_usable(secret)
    person = db.session.get(Person, link.person_id)
    set_password(person, new_password)
    link.used_at = utcnow()
    db.session.flush()
    return person


@dataclass(frozen=True)
class InvitationState:
    state: str  # none | pending | used | expired | replaced
    created_at: datetime | None = None
    expires_at: datetime | None = None


def invitation_state(person: Person) -> InvitationState:
    """Where the person's newest invitation stands, for the admin's page."""
    link = db.session.scalar(select(SignInLink).where(SignInLink.person_id == person.id,
                                                      SignInLink.purpose == "invitation")
                             .order_by(SignInLink.created_at.desc(), SignInLink.id.desc()).limit(1))
    if link is None:
        return InvitationState("none")
    if link.used_at is not None:
        state = "used"
    elif link.revoked_at is not None or link.password_marker != password_marker(person):
        state = "replaced"
    elif _aware(link.expires_at) <= utcnow():
        state = "expired"
    else:
        state = "pending"
    return InvitationState(state, link.created_at, link.expires_at)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

