"""Mentoring operations: they take plain values, flush, and leave the commit to the caller."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from coe.auth.models import Person, utcnow
from coe.auth.people import time_zone_names
from coe.competency import current
from coe.competency.profile import levels_and_gaps, record_evidence
from coe.competency.services import competency_names
from coe.errors import Conflict, InvalidInput, NotAllowed, NotFound
from coe.extensions import db
from coe.mentoring import matching, slots
from coe.mentoring.models import (REQUEST_EXPIRES_AFTER, AvailabilityException, AvailabilityWindow, Booking,
                                  MentoringSettings, MentorProfile, Mentorship, Notification, SessionNote,
                                  SessionRating, SignOff)
from coe.registry import registry

TEXT_MAX = 2000
TOPIC_MAX = 200
BIO_MAX = 5000
CAPACITY_MAX = 20
JUST_TAKEN = "That slot was just taken by someone else. Pick another one."


def now() -> dt.datetime:
    return utcnow()


def is_active_mentor(mentor_id: int, mentee_id: int) -> bool:
    return db.session.scalar(select(Mentorship.id).where(
        Mentorship.mentor_id == mentor_id, Mentorship.mentee_id == mentee_id, Mentorship.state == "active")) is not None


def active_mentee_ids(mentor_id: int) -> list[int]:
    """The people this mentor mentors now (the lead's dashboard shows a mentor their self-assessments)."""
    return list(db.session.scalars(select(Mentorship.mentee_id).where(
        Mentorship.mentor_id == mentor_id, Mentorship.state == "active")))


def _text(value: str, limit: int, what: str, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"Write the {what}.")
    if len(value) > limit:
        raise InvalidInput(f"Keep the {what} to {limit} characters.")
    return value


# --- Profiles --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileData:
    bio: str
    competencies: tuple[str, ...]
    languages: tuple[str, ...]
    time_zone: str
    capacity: int
    accepting: bool
    session_minutes: int = 60
    buffer_minutes: int = 15
    notice_hours: int = 24
    horizon_days: int = 42


def get_profile(person_id: int) -> MentorProfile | None:
    return db.session.get(MentorProfile, person_id)


def mentor_profile(person_id: int) -> MentorProfile:
    """The profile of an active mentor, or NotFound."""
    profile = db.session.get(MentorProfile, person_id)
    if profile is None or not profile.person.is_mentor or not profile.person.active:
        raise NotFound("There is no mentor with this address.")
    return profile


def _languages(values) -> list[str]:
    found = []
    for value in values:
        code = (value or "").strip().lower()
        if not code:
            continue
        if not code.isalpha() or len(code) > 8:
            raise InvalidInput(f"“{value[:20]}” is not a language code: use two letters, such as en or fr.")
        if code not in found:
            found.append(code)
    return found


def save_profile(person: Person, data: ProfileData) -> MentorProfile:
    """Create or change a mentor's profile."""
    if not person.is_mentor:
        raise NotAllowed("Only mentors have a mentor profile. Ask a CoE admin to make you a mentor.")
    if data.time_zone not in time_zone_names():
        raise InvalidInput(f"“{data.time_zone[:64]}” is not a time zone: pick one from the list.")
    known = competency_names()
    unknown = [code for code in data.competencies if code not in known]
    if unknown:
        raise InvalidInput(f"Unknown competency: {', '.join(unknown)}.")
    if not 0 <= data.capacity <= CAPACITY_MAX:
        raise InvalidInput(f"Capacity is a number of mentees from 0 to {CAPACITY_MAX}.")
    if not 15 <= data.session_minutes <= 240 or not 0 <= data.buffer_minutes <= 120:
        raise InvalidInput("Sessions last 15 to 240 minutes, with a buffer of 0 to 120 minutes.")
    if not 0 <= data.notice_hours <= 336 or not 1 <= data.horizon_days <= 180:
        raise InvalidInput("Notice is 0 to 336 hours; the booking horizon 1 to 180 days.")
    profile = db.session.get(MentorProfile, person.id) or MentorProfile(person_id=person.id)
    profile.bio = _text(data.bio, BIO_MAX, "bio")
    profile.competencies = list(dict.fromkeys(data.competencies))
    profile.languages = _languages(data.languages)
    profile.time_zone = data.time_zone
    profile.capacity = data.capacity
    profile.accepting = data.accepting
    profile.session_minutes, profile.buffer_minutes = data.session_minutes, data.buffer_minutes
    profile.notice_hours, profile.horizon_days = data.notice_hours, data.horizon_days
    profile.updated_at = now()
    db.session.add(profile)
    db.session.flush()
    forget_open_mentors()
    return profile


@functools.lru_cache(maxsize=256)
def bio_html(bio: str) -> str:
    """The bio as sanitized HTML, through the library's renderer. Remembered by its text: a mentor's page
    is read far more often than a bio changes, and Markdown cost a tenth of the page."""
    from coe.library.rendering import Renderer

    return Renderer(set()).render(bio or "", "").html


def settings_for(person_id: int) -> MentoringSettings:
    settings = db.session.get(MentoringSettings, person_id)
    if settings is None:
        settings = MentoringSettings(person_id=person_id, languages=[])
        db.session.add(settings)
    return settings


def languages_of(person_id: int) -> list[str]:
    settings = db.session.get(MentoringSettings, person_id)
    return list(settings.languages or []) if settings else []


def save_languages(person: Person, languages: Sequence[str]) -> MentoringSettings:
    settings = settings_for(person.id)
    settings.languages = _languages(languages)
    db.session.flush()
    return settings


# --- Matching --------------------------------------------------------------------------------------------------------


def validated_levels(person_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """The newest validated level of each person in each competency they have one in, in one query."""
    from coe.competency.models import Competency, CurrentLevel

    levels: dict[int, dict[str, int]] = {}
    if not person_ids:
        return levels
    for person_id, code, level in db.session.execute(
            select(CurrentLevel.person_id, Competency.code, CurrentLevel.validated_level)
            .join(Competency, Competency.id == CurrentLevel.competency_id)
            .where(CurrentLevel.person_id.in_(person_ids), CurrentLevel.validated_level.is_not(None))):
        levels.setdefault(person_id, {})[code] = level
    return levels


def _open_or_active(mentee_id: int):
    """Mentorships that count as "already has": active, or a request younger than 7 days."""
    cutoff = now() - REQUEST_EXPIRES_AFTER
    return select(Mentorship).where(Mentorship.mentee_id == mentee_id, or_(
        Mentorship.state == "active", (Mentorship.state == "requested") & (Mentorship.requested_at > cutoff)))


def mentee_needs(person: Person, focus: Sequence[str] = ()) -> matching.Mentee:
    _, gaps = levels_and_gaps(person)
    settings = db.session.get(MentoringSettings, person.id)
    has = frozenset(db.session.scalars(select(Mentorship.mentor_id).where(
        Mentorship.id.in_(_open_or_active(person.id).with_only_columns(Mentorship.id)))))
    return matching.Mentee(person.id, {g.competency: (g.target, g.current.level) for g in gaps},
                           frozenset(settings.languages if settings else ()), person.time_zone or "UTC",
                           frozenset(focus), has, person.display_name)


def mentor_offers(mentor_ids: Sequence[int] | None = None) -> list[matching.Mentor]:
    """Every active mentor with a profile (or those of ``mentor_ids``), as matching reads them: 4 queries."""
    # Plain rows, not entities: matching reads a handful of columns of every mentor on every search.
    query = (select(MentorProfile.person_id, MentorProfile.competencies, MentorProfile.languages,
                    MentorProfile.time_zone, MentorProfile.capacity, MentorProfile.accepting, Person.display_name)
             .join(Person, Person.id == MentorProfile.person_id)
             .where(Person.active.is_(True), Person.is_mentor.is_(True)))
    if mentor_ids is not None:
        query = query.where(MentorProfile.person_id.in_(mentor_ids))
    rows = db.session.execute(query).all()
    ids = [row.person_id for row in rows]
    levels = validated_levels(ids)
    active = dict(db.session.execute(select(Mentorship.mentor_id, func.count()).where(
        Mentorship.state == "active", Mentorship.mentor_id.in_(ids)).group_by(Mentorship.mentor_id)).all()) if ids else {}
    ratings = {mentor_id: (float(avg), count) for mentor_id, avg, count in db.session.execute(
        select(SessionRating.mentor_id, func.avg(SessionRating.stars), func.count()).where(
            SessionRating.mentor_id.in_(ids)).group_by(SessionRating.mentor_id))} if ids else {}
    offers = []
    for profile in rows:
        own = levels.get(profile.person_id, {})
        rating, count = ratings.get(profile.person_id, (None, 0))
        offers.append(matching.Mentor(
            profile.person_id, profile.display_name, {code: own.get(code, 0) for code in profile.competencies or ()},
            frozenset(profile.languages or ()), profile.time_zone, profile.capacity, active.get(profile.person_id, 0),
            profile.accepting, round(rating, 2) if rating is not None else None, count))
    return offers


MATCHES_SHOWN = 50


def matches_for(person: Person, competency: str | None = None, language: str | None = None,
                focus: Sequence[str] = (), limit: int = MATCHES_SHOWN) -> list[matching.Match]:
    """The best mentors for the person, with reasons (the first ``limit``)."""
    return matching.rank(mentee_needs(person, focus), mentor_offers(), competency_names(), now().date(),
                         competency or None, language or None, limit)


# --- Notifications ---------------------------------------------------------------------------------------------------


def notify(person_id: int, text: str, url: str, key: str, mail_template: str | None = None,
           booking: Booking | None = None, method: str = "REQUEST", **mail_context) -> None:
    """Add an in-app notification (once per key) and, when mail is on, send it by email after the commit."""
    from coe.mail import Attachment, mail_enabled, render_mail, send

    exists = db.session.scalar(select(Notification.id).where(Notification.key == key))
    if exists is not None:
        return
    db.session.add(Notification(person_id=person_id, text=text[:500], url=url[:300], key=key[:120]))
    db.session.flush()
    if mail_template and mail_enabled():
        person = db.session.get(Person, person_id)
        attachments = ()
        if booking is not None:
            from coe.mentoring.calendar import booking_ics

            attachments = (Attachment(f"mentoring-session-{booking.id}.ics", f"text/calendar; method={method}",
                                      booking_ics(booking, method)),)
        send([render_mail(key, person.email, mail_template, attachments, person=person, text=text, url=url,
                          booking=booking, site=_site(), **mail_context)])


def _site() -> str:
    """The site's address for links in mail: the request's, or COE_BASE_URL in a background task."""
    from flask import current_app, has_request_context, request

    if has_request_context():
        return request.host_url.rstrip("/")
    return (current_app.config.get("COE_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")


# Built once: the navigation of every signed-in page shows the count.
_UNREAD = select(func.count()).select_from(Notification).where(
    Notification.person_id == bindparam("person_id"), Notification.read_at.is_(None))


def unread_count(person_id: int) -> int:
    return db.session.scalar(_UNREAD, {"person_id": person_id}) or 0


def notifications(person_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.person_id == person_id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(person_id: int) -> int:
    result = db.session.execute(update(Notification).where(Notification.person_id == person_id,
                                                           Notification.read_at.is_(None)).values(read_at=now()))
    return result.rowcount


# --- Mentorships -----------------------------------------------------------------------------------------------------


def request_mentor(mentee: Person, mentor_id: int, goals: str, focus: Sequence[str]) -> Mentorship:
    """Ask a mentor: they answer within 7 days, or the request expires."""
    profile = mentor_profile(mentor_id)
    if mentor_id == mentee.id:
        raise InvalidInput("You cannot be your own mentor.")
    if not profile.accepting or profile.capacity <= 0:
        raise Conflict(f"{profile.person.display_name} is not accepting mentees at the moment.")
    if db.session.scalar(_open_or_active(mentee.id).where(Mentorship.mentor_id == mentor_id)) is not None:
        raise Conflict(f"You already have {profile.person.display_name} as a mentor, or a request waiting for them.")
    known = competency_names()
    focus = [code for code in dict.fromkeys(focus) if code]
    if any(code not in known for code in focus):
        raise InvalidInput("Choose focus competencies from the framework.")
    mentorship = Mentorship(mentor_id=mentor_id, mentee_id=mentee.id, state="requested", focus=focus,
                            goals=_text(goals, TEXT_MAX, "goals", required=True), requested_at=now())
    db.session.add(mentorship)
    db.session.flush()
    notify(mentor_id, f"{mentee.display_name} asks you to be their mentor.", "/mentor/requests",
           f"mentorship:{mentorship.id}:requested", "mentoring_request", mentee=mentee, mentorship=mentorship)
    return mentorship


def _lock_mentor(mentor_id: int) -> MentorProfile:
    """Take the mentor's row for writing: concurrent acceptances of the same mentor queue here.

    A write is what serialises on SQLite (one writer at a time; reads after it see every commit
    before it), and FOR UPDATE on PostgreSQL.
    """
    db.session.execute(update(MentorProfile).where(MentorProfile.person_id == mentor_id)
                       .values(updated_at=now()))
    profile = db.session.scalar(select(MentorProfile).where(MentorProfile.person_id == mentor_id)
                                .with_for_update().execution_options(populate_existing=True))
    if profile is None:
        raise NotFound("There is no mentor with this address.")
    return profile


def _activate(mentorship: Mentorship, profile: MentorProfile) -> None:
    active = db.session.scalar(select(func.count()).select_from(Mentorship).where(
        Mentorship.mentor_id == profile.person_id, Mentorship.state == "active")) or 0
    if active >= profile.capacity:
        raise Conflict(f"All {profile.capacity} places are taken: end a mentorship or raise the capacity first.")
    mentorship.state = "active"
    mentorship.answered_at = now()
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict("These two people already have an active mentorship.") from None
    forget_open_mentors()


def answer_request(mentor: Person, mentorship_id: int, accept: bool, message: str) -> Mentorship:
    """Accept (if a place is left) or decline a request, with a message to the mentee."""
    profile = _lock_mentor(mentor.id) if accept else None
    mentorship = db.session.scalar(select(Mentorship).where(Mentorship.id == mentorship_id,
                                                            Mentorship.mentor_id == mentor.id)
                                   .execution_options(populate_existing=True))
    if mentorship is None:
        raise NotFound("There is no such request for you.")
    status = mentorship.status(now())
    if status != "requested":
        raise Conflict(f"This request is {status} already: it cannot be answered any more.")
    mentorship.reply = _text(message, TEXT_MAX, "message")
    if accept:
        _activate(mentorship, profile)
        text = f"{mentor.display_name} accepted to be your mentor. Book your first session."
        url = f"/mentors/{mentor.id}"
    else:
        mentorship.state = "declined"
        mentorship.answered_at = now()
        text = f"{mentor.display_name} cannot take you as a mentee. Ask another mentor."
        url = "/mentors"
    db.session.flush()
    notify(mentorship.mentee_id, text, url, f"mentorship:{mentorship.id}:{mentorship.state}", "mentoring_answer",
           mentor=mentor, mentorship=mentorship)
    return mentorship


def assign_mentor(lead: Person, mentee_id: int, mentor_id: int, goals: str = "") -> Mentorship:
    """A lead (of the mentee's team) or an admin pairs a mentee with a mentor directly."""
    from coe.auth import policy

    mentee = db.session.get(Person, mentee_id)
    if mentee is None or not mentee.active:
        raise NotFound("There is no such person.")
    if not policy.can(lead, "mentoring.assign", mentee):
        raise NotAllowed("Only the mentee's lead or an admin assigns them a mentor.")
    if mentee_id == mentor_id:
        raise InvalidInput("A person cannot mentor themself.")
    profile = _lock_mentor(mentor_profile(mentor_id).person_id)
    if is_active_mentor(mentor_id, mentee_id):
        raise Conflict(f"{profile.person.display_name} already mentors {mentee.display_name}.")
    mentorship = Mentorship(mentor_id=mentor_id, mentee_id=mentee_id, state="requested", assigned_by_id=lead.id,
                            goals=_text(goals, TEXT_MAX, "goals") or "Assigned by the CoE.", requested_at=now())
    db.session.add(mentorship)
    _activate(mentorship, profile)
    notify(mentee_id, f"{profile.person.display_name} is now your mentor (assigned by {lead.display_name}).",
           f"/mentors/{mentor_id}", f"mentorship:{mentorship.id}:assigned:mentee", "mentoring_answer",
           mentor=profile.person, mentorship=mentorship)
    notify(mentor_id, f"{mentee.display_name} is now your mentee (assigned by {lead.display_name}).",
           "/mentor/mentees", f"mentorship:{mentorship.id}:assigned:mentor")
    return mentorship


def end_mentorship(person: Person, mentorship_id: int, reflection: str) -> Mentorship:
    mentorship = db.session.get(Mentorship, mentorship_id)
    if mentorship is None or person.id not in (mentorship.mentor_id, mentorship.mentee_id):
        raise NotFound("There is no such mentorship of yours.")
    if mentorship.state != "active":
        raise Conflict("Only an active mentorship can be ended.")
    mentorship.state, mentorship.ended_at, mentorship.ended_by_id = "ended", now(), person.id
    mentorship.reflection = _text(reflection, TEXT_MAX, "reflection", required=True)
    forget_open_mentors()
    for booking in db.session.scalars(select(Booking).where(Booking.mentorship_id == mentorship.id,
                                                            Booking.state == "booked", Booking.starts_at > now())):
        booking.state, booking.cancelled_at, booking.sequence = "cancelled", now(), booking.sequence + 1
        booking.change_reason = "The mentorship ended."
    db.session.flush()
    other = mentorship.mentee_id if person.id == mentorship.mentor_id else mentorship.mentor_id
    notify(other, f"{person.display_name} ended your mentorship.", "/bookings", f"mentorship:{mentorship.id}:ended")
    return mentorship


def expire_requests() -> int:
    """Store the expiry of requests older than 7 days and tell the mentees (idempotent)."""
    cutoff = now() - REQUEST_EXPIRES_AFTER
    stale = list(db.session.scalars(select(Mentorship).where(Mentorship.state == "requested",
                                                             Mentorship.requested_at <= cutoff)))
    for mentorship in stale:
        mentorship.state = "expired"
        notify(mentorship.mentee_id, f"Your request to {mentorship.mentor.display_name} expired unanswered. "
               "Ask another mentor.", "/mentors", f"mentorship:{mentorship.id}:expired", "mentoring_expired",
               mentorship=mentorship)
    db.session.flush()
    return len(stale)


def requests_for(mentor: Person) -> list[Mentorship]:
    """Requests waiting for the mentor's answer (not yet expired)."""
    cutoff = now() - REQUEST_EXPIRES_AFTER
    return list(db.session.scalars(select(Mentorship).where(
        Mentorship.mentor_id == mentor.id, Mentorship.state == "requested", Mentorship.requested_at > cutoff)
        .order_by(Mentorship.requested_at)))


def mentorships_of(person: Person) -> list[Mentorship]:
    """The person's mentorships, as mentee or mentor, newest first."""
    return list(db.session.scalars(select(Mentorship).where(or_(
        Mentorship.mentee_id == person.id, Mentorship.mentor_id == person.id))
        .order_by(Mentorship.requested_at.desc()).limit(100)))


def mentees_of(mentor: Person) -> list[Mentorship]:
    return list(db.session.scalars(select(Mentorship).where(Mentorship.mentor_id == mentor.id,
                                                            Mentorship.state == "active")
                                   .order_by(Mentorship.answered_at.desc())))


# Built once: a mentor's page runs these on every view.
_ACTIVE_MENTORSHIP = select(Mentorship).where(Mentorship.mentor_id == bindparam("mentor_id"),
                                              Mentorship.mentee_id == bindparam("mentee_id"),
                                              Mentorship.state == "active")
_WINDOWS = select(AvailabilityWindow).where(AvailabilityWindow.mentor_id == bindparam("mentor_id")).order_by(
    AvailabilityWindow.weekday, AvailabilityWindow.start_time)
_EXCEPTIONS = select(AvailabilityException).where(
    AvailabilityException.mentor_id == bindparam("mentor_id"), AvailabilityException.day >= bindparam("since")
).order_by(AvailabilityException.day)
_BUSY = select(Booking.starts_at, Booking.ends_at).where(
    Booking.mentor_id == bindparam("mentor_id"), Booking.state == "booked", Booking.ends_at > bindparam("after"),
    Booking.starts_at < bindparam("before"), Booking.id != bindparam("ignore"))


def active_mentorship(mentor_id: int, mentee_id: int) -> Mentorship | None:
    return db.session.scalar(_ACTIVE_MENTORSHIP, {"mentor_id": mentor_id, "mentee_id": mentee_id})


# --- Availability ----------------------------------------------------------------------------------------------------


def add_window(mentor: Person, weekday: int, start: dt.time, end: dt.time) -> AvailabilityWindow:
    if not 0 <= weekday <= 6:
        raise InvalidInput("Choose a day of the week.")
    if start >= end:
        raise InvalidInput("A window ends after it starts.")
    window = AvailabilityWindow(mentor_id=mentor.id, weekday=weekday, start_time=start, end_time=end)
    db.session.add(window)
    db.session.flush()
    return window


def add_exception(mentor: Person, day: dt.date, blocked: bool, start: dt.time | None,
                  end: dt.time | None) -> AvailabilityException:
    if not blocked and (start is None or end is None or start >= end):
        raise InvalidInput("An extra window needs a start and an end after it; or block the whole day.")
    exception = AvailabilityException(mentor_id=mentor.id, day=day, blocked=blocked,
                                      start_time=None if blocked else start, end_time=None if blocked else end)
    db.session.add(exception)
    db.session.flush()
    return exception


def remove_availability(mentor: Person, kind: str, item_id: int) -> None:
    model = AvailabilityWindow if kind == "window" else AvailabilityException
    item = db.session.get(model, item_id)
    if item is None or item.mentor_id != mentor.id:
        raise NotFound("There is no such window of yours.")
    db.session.delete(item)
    db.session.flush()


def availability(mentor_id: int) -> tuple[list[AvailabilityWindow], list[AvailabilityException]]:
    windows = list(db.session.scalars(_WINDOWS, {"mentor_id": mentor_id}))
    exceptions = list(db.session.scalars(_EXCEPTIONS, {"mentor_id": mentor_id,
                                                       "since": now().date() - dt.timedelta(days=1)}))
    return windows, exceptions


def rules_of(profile: MentorProfile) -> slots.Rules:
    return slots.Rules(profile.time_zone, profile.session_minutes, profile.buffer_minutes, profile.notice_hours,
                       profile.horizon_days)


def free_slots(mentor_id: int, at: dt.datetime | None = None, ignore_booking: int | None = None) -> list[slots.Slot]:
    """The mentor's free slots from now on (3 queries)."""
    profile = mentor_profile(mentor_id)
    at = at or now()
    windows, exceptions = availability(mentor_id)
    busy = [(_utc(start), _utc(end)) for start, end in db.session.execute(_BUSY, {
        "mentor_id": mentor_id, "after": at - dt.timedelta(days=1),
        "before": at + dt.timedelta(days=profile.horizon_days + 1),
        "ignore": ignore_booking if ignore_booking is not None else 0})]  # ids start at 1
    return slots.free_slots(
        [slots.Window(w.weekday, w.start_time, w.end_time) for w in windows],
        [slots.Exception_(e.day, e.blocked, e.start_time, e.end_time) for e in exceptions],
        rules_of(profile), busy, at)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


# --- Bookings --------------------------------------------------------------------------------------------------------


def _offered(mentor_id: int, start: dt.datetime, ignore_booking: int | None = None) -> slots.Slot:
    start = _utc(start).astimezone(dt.timezone.utc)
    for slot in free_slots(mentor_id, ignore_booking=ignore_booking):
        if slot.start == start:
            return slot
    # Taken by a live booking: the loser of a race lands here when the winner committed first.
    raise Conflict(JUST_TAKEN)


def book(mentee: Person, mentor_id: int, start: dt.datetime, topic: str, competency: str = "") -> Booking:
    """Book a free slot of the mentee's mentor; the database refuses a second booking of the same slot."""
    mentorship = active_mentorship(mentor_id, mentee.id)
    if mentorship is None:
        raise NotAllowed("Only a mentee with an active mentorship books this mentor's time.")
    if competency and competency not in competency_names():
        raise InvalidInput("Choose a competency from the framework.")
    topic = _text(topic, TOPIC_MAX, "topic", required=True)
    slot = _offered(mentor_id, start)
    booking = Booking(mentorship_id=mentorship.id, mentor_id=mentor_id, mentee_id=mentee.id, starts_at=slot.start,
                      ends_at=slot.end, topic=topic, competency=competency, state="booked", sequence=0,
                      created_at=now(), updated_at=now())
    try:
        with db.session.begin_nested():
            db.session.add(booking)
    except IntegrityError:
        raise Conflict(JUST_TAKEN) from None
    notify(mentor_id, f"{mentee.display_name} booked a session: {topic}.", "/bookings",
           f"booking:{booking.id}:booked", "mentoring_booking", booking=booking, change="booked")
    notify(mentee.id, f"Your session with {mentorship.mentor.display_name} is booked.", "/bookings",
           f"booking:{booking.id}:booked:mentee", "mentoring_booking", booking=booking, change="booked")
    return booking


def booking_of(person: Person, booking_id: int) -> Booking:
    """A booking the person is party to; anyone else finds none (its existence is private)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or person.id not in (booking.mentor_id, booking.mentee_id):
        raise NotFound("There is no such booking of yours.")
    return booking


def _before_notice(booking: Booking) -> None:
    profile = db.session.get(MentorProfile, booking.mentor_id)
    notice = dt.timedelta(hours=profile.notice_hours if profile else 0)
    if booking.state != "booked":
        raise Conflict("This session is cancelled already.")
    if booking.start - notice <= now():
        raise Conflict(f"Sessions change up to {profile.notice_hours if profile else 0} hours before they start. "
                       "Write to the other person instead.")


def cancel(person: Person, booking_id: int, reason: str) -> Booking:
    booking = booking_of(person, booking_id)
    _before_notice(booking)
    booking.change_reason = _text(reason, TEXT_MAX, "reason", required=True)
    booking.state, booking.cancelled_at, booking.updated_at = "cancelled", now(), now()
    booking.sequence += 1
    db.session.flush()
    other = booking.mentee_id if person.id == booking.mentor_id else booking.mentor_id
    notify(other, f"{person.display_name} cancelled the session of {booking.start:%d %b %H:%M} UTC: "
           f"{booking.change_reason[:200]}", "/bookings", f"booking:{booking.id}:cancelled", "mentoring_booking",
           booking=booking, method="CANCEL", change="cancelled")
    return booking


def reschedule(person: Person, booking_id: int, start: dt.datetime, reason: str) -> Booking:
    booking = booking_of(person, booking_id)
    _before_notice(booking)
    reason = _text(reason, TEXT_MAX, "reason", required=True)
    slot = _offered(booking.mentor_id, start, ignore_booking=booking.id)
    booking.starts_at, booking.ends_at = slot.start, slot.end
    booking.change_reason, booking.updated_at = reason, now()
    booking.sequence += 1
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(JUST_TAKEN) from None
    other = booking.mentee_id if person.id == booking.mentor_id else booking.mentor_id
    notify(other, f"{person.display_name} moved your session to {slot.start:%d %b %H:%M} UTC: {reason[:200]}",
           "/bookings", f"booking:{booking.id}:moved:{booking.sequence}", "mentoring_booking", booking=booking,
           change="moved")
    return booking


@dataclass(frozen=True)
class BookingLists:
    upcoming: list[Booking]
    past: list[Booking]


def bookings_of(person: Person, limit: int = 50) -> BookingLists:
    mine = or_(Booking.mentee_id == person.id, Booking.mentor_id == person.id)
    moment = now()
    upcoming = list(db.session.scalars(select(Booking).where(mine, Booking.ends_at > moment)
                                       .order_by(Booking.starts_at).limit(limit)))
    past = list(db.session.scalars(select(Booking).where(mine, Booking.ends_at <= moment)
                                   .order_by(Booking.starts_at.desc()).limit(limit)))
    return BookingLists(upcoming, past)


# --- After a session -------------------------------------------------------------------------------------------------


def add_note(person: Person, booking_id: int, body: str) -> SessionNote:
    booking = booking_of(person, booking_id)
    note = SessionNote(booking_id=booking.id, author_id=person.id, body=_text(body, TEXT_MAX, "note", required=True),
                       created_at=now())
    db.session.add(note)
    db.session.flush()
    return note


def notes_of(person: Person, booking_id: int) -> list[SessionNote]:
    booking = booking_of(person, booking_id)
    return list(db.session.scalars(select(SessionNote).where(SessionNote.booking_id == booking.id)
                                   .order_by(SessionNote.created_at)))


def _held(booking: Booking) -> None:
    if booking.state != "booked" or booking.start > now():
        raise Conflict("This can be done once the session has started.")


def rate(mentee: Person, booking_id: int, stars: int, comment: str) -> SessionRating:
    booking = booking_of(mentee, booking_id)
    if booking.mentee_id != mentee.id:
        raise NotAllowed("The mentee rates the session.")
    _held(booking)
    if not 1 <= stars <= 5:
        raise InvalidInput("Rate the session from 1 to 5.")
    if db.session.get(SessionRating, booking.id) is not None:
        raise Conflict("You have rated this session already.")
    rating = SessionRating(booking_id=booking.id, mentor_id=booking.mentor_id, stars=stars,
                           comment=_text(comment, TEXT_MAX, "comment"), created_at=now())
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except IntegrityError:
        raise Conflict("You have rated this session already.") from None
    return rating


def sign_off(mentor: Person, booking_id: int, competency: str, level: int, note: str) -> SignOff:
    """The mentor signs off progress: evidence for the mentee's competency, and any track step it completes."""
    booking = booking_of(mentor, booking_id)
    if booking.mentor_id != mentor.id:
        raise NotAllowed("The mentor signs off progress.")
    _held(booking)
    if competency not in competency_names():
        raise InvalidInput("Choose a competency from the framework.")
    if not 1 <= level <= 5:
        raise InvalidInput("Choose a level from 1 to 5.")
    signoff = SignOff(booking_id=booking.id, mentee_id=booking.mentee_id, mentor_id=mentor.id, competency=competency,
                      level=level, note=_text(note, TEXT_MAX, "note"), created_at=now())
    db.session.add(signoff)
    db.session.flush()
    record_evidence(booking.mentee_id, competency, "mentor", level,
                    f"Mentor sign-off by {mentor.display_name}: {booking.topic}", "/bookings",
                    f"mentoring:signoff:{signoff.id}", mentor.id)
    for listener in registry().mentor_signoff_listeners:
        listener(booking.mentee_id, competency, mentor.id)
    notify(booking.mentee_id, f"{mentor.display_name} signed off your progress in "
           f"{competency_names().get(competency, competency)} (level {level}).", "/me/competencies",
           f"signoff:{signoff.id}")
    return signoff


@dataclass(frozen=True)
class SessionRecord:
    notes: list[SessionNote]
    rating: SessionRating | None
    signoffs: list[SignOff]


def session_records(person: Person, booking_ids: Sequence[int]) -> dict[int, SessionRecord]:
    """Notes, rating and sign-offs of the person's sessions (3 queries)."""
    ids = [b for b in booking_ids]
    if not ids:
        return {}
    notes: dict[int, list[SessionNote]] = {i: [] for i in ids}
    for note in db.session.scalars(select(SessionNote).join(Booking, Booking.id == SessionNote.booking_id).where(
            SessionNote.booking_id.in_(ids), or_(Booking.mentor_id == person.id, Booking.mentee_id == person.id))
            .order_by(SessionNote.created_at)):
        notes[note.booking_id].append(note)
    ratings = {r.booking_id: r for r in db.session.scalars(select(SessionRating).where(SessionRating.booking_id.in_(ids)))}
    signoffs: dict[int, list[SignOff]] = {i: [] for i in ids}
    for signoff in db.session.scalars(select(SignOff).where(SignOff.booking_id.in_(ids))):
        signoffs[signoff.booking_id].append(signoff)
    return {i: SessionRecord(notes[i], ratings.get(i), signoffs[i]) for i in ids}


# --- Calendar feed ---------------------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def regenerate_feed(person: Person) -> str:
    """A new secret for the person's calendar feed; the old address stops working. Return the secret."""
    token = secrets.token_urlsafe(24)
    settings_for(person.id).feed_token_hash = _hash(token)
    db.session.flush()
    return token


def has_feed(person: Person) -> bool:
    settings = db.session.get(MentoringSettings, person.id)
    return bool(settings and settings.feed_token_hash)


def feed_bookings(token: str) -> tuple[Person, list[Booking]]:
    settings = db.session.scalar(select(MentoringSettings).where(MentoringSettings.feed_token_hash == _hash(token)))
    person = db.session.get(Person, settings.person_id) if settings else None
    if person is None or not person.active:
        raise NotFound("There is no calendar at this address.")
    bookings = list(db.session.scalars(select(Booking).where(
        or_(Booking.mentee_id == person.id, Booking.mentor_id == person.id),
        Booking.starts_at > now() - dt.timedelta(days=90)).order_by(Booking.starts_at).limit(500)))
    return person, bookings


# --- Reminders -------------------------------------------------------------------------------------------------------


def send_reminders(at: dt.datetime | None = None) -> int:
    """Remind both sides of each session starting in the next 24 hours, once."""
    at = at or now()
    due = list(db.session.scalars(select(Booking).where(
        Booking.state == "booked", Booking.reminded_at.is_(None), Booking.starts_at > at,
        Booking.starts_at <= at + dt.timedelta(hours=24))))
    for booking in due:
        booking.reminded_at = at
        for person_id, other in ((booking.mentee_id, booking.mentor), (booking.mentor_id, booking.mentee)):
            notify(person_id, f"Reminder: mentoring session with {other.display_name} on "
                   f"{booking.start:%d %b %H:%M} UTC: {booking.topic}", "/bookings",
                   f"booking:{booking.id}:{booking.sequence}:reminder:{person_id}", "mentoring_booking",
                   booking=booking, change="reminder")
    db.session.flush()
    return len(due)


# --- Cohort matching -------------------------------------------------------------------------------------------------


def mentees_needs_many(people: Sequence[Person]) -> list[matching.Mentee]:
    """What matching reads of many mentees, in a fixed number of queries."""
    from coe.competency import levels as lv
    from coe.competency.services import role_profiles, role_targets

    ids = [p.id for p in people]
    levels = current.levels_of(ids)
    targets = role_targets(role_profiles())
    languages = dict(db.session.execute(select(MentoringSettings.person_id, MentoringSettings.languages)
                                        .where(MentoringSettings.person_id.in_(ids))).all()) if ids else {}
    cutoff = now() - REQUEST_EXPIRES_AFTER
    has: dict[int, set[int]] = {pid: set() for pid in ids}
    for mentee_id, mentor_id in db.session.execute(select(Mentorship.mentee_id, Mentorship.mentor_id).where(
            Mentorship.mentee_id.in_(ids), or_(Mentorship.state == "active", (Mentorship.state == "requested")
                                               & (Mentorship.requested_at > cutoff)))) if ids else ():
        has[mentee_id].add(mentor_id)
    needs = []
    for person in people:
        gaps = lv.gaps(targets.get(person.role_profile or "", {}), levels.get(person.id, {}))
        needs.append(matching.Mentee(person.id, {g.competency: (g.target, g.current.level) for g in gaps},
                                     frozenset(languages.get(person.id) or ()), person.time_zone or "UTC",
                                     frozenset(), frozenset(has[person.id]), person.display_name))
    return needs


def cohort_choices(viewer: Person) -> tuple[list[Person], list[Person]]:
    """Who a lead or admin may put in a cohort: their team's people (everyone for an admin), and every mentor."""
    people = select(Person).where(Person.active.is_(True)).order_by(Person.display_name)
    if not viewer.is_admin:
        people = people.where(Person.team_id.in_([team.id for team in viewer.led_teams]))
    mentors = (select(Person).join(MentorProfile, MentorProfile.person_id == Person.id)
               .where(Person.active.is_(True), Person.is_mentor.is_(True)).order_by(Person.display_name))
    return list(db.session.scalars(people.limit(2000))), list(db.session.scalars(mentors.limit(2000)))


def cohort_preview(viewer: Person, mentee_ids: Sequence[int], mentor_ids: Sequence[int]) -> matching.Cohort:
    people, mentors = cohort_choices(viewer)
    allowed = {p.id: p for p in people}
    if any(pid not in allowed for pid in mentee_ids):
        raise NotAllowed("You may put only your team's people in a cohort.")
    chosen = [allowed[pid] for pid in dict.fromkeys(mentee_ids)]
    return matching.assign(mentees_needs_many(chosen), mentor_offers(list(dict.fromkeys(mentor_ids))),
                           competency_names(), now().date())


def cohort_publish(viewer: Person, mentee_ids: Sequence[int], mentor_ids: Sequence[int]) -> list[Mentorship]:
    """Create the previewed assignment's mentorships in one transaction and tell both sides."""
    cohort = cohort_preview(viewer, mentee_ids, mentor_ids)
    created = []
    for pair in cohort.pairs:
        created.append(assign_mentor(viewer, pair.mentee.person_id, pair.match.mentor.person_id,
                                     ("Paired in a mentoring programme: " + pair.match.explanation)[:TEXT_MAX]))
    return created


# --- What builds a competency ----------------------------------------------------------------------------------------

MENTORS_OFFERED = 3  # mentors a development plan lists per competency
OPEN_MENTORS_KEY = "coe_mentoring_open_mentors"
OPEN_MENTORS_SECONDS = 60  # a plan may list a mentor who filled up this long ago; the request is refused then


def forget_open_mentors() -> None:
    """Drop this worker's list of mentors with a place left (a profile or a mentorship changed)."""
    from flask import current_app

    current_app.extensions.pop(OPEN_MENTORS_KEY, None)


def _open_mentors() -> list[tuple[int, str, list[str]]]:
    """(id, name, competencies) of active mentors accepting mentees with a place left, by name.

    Kept for a minute per worker, so that a development plan costs no query for it most of the time.
    """
    import time

    from flask import current_app

    cached = current_app.extensions.get(OPEN_MENTORS_KEY)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    found = _read_open_mentors()
    current_app.extensions[OPEN_MENTORS_KEY] = (time.monotonic() + OPEN_MENTORS_SECONDS, found)
    return found


def _read_open_mentors() -> list[tuple[int, str, list[str]]]:
    rows = db.session.execute(
        select(MentorProfile.person_id, Person.display_name, MentorProfile.competencies, MentorProfile.capacity)
        .join(Person, Person.id == MentorProfile.person_id)
        .where(Person.active.is_(True), Person.is_mentor.is_(True), MentorProfile.accepting.is_(True),
               MentorProfile.capacity > 0).order_by(Person.display_name, Person.id)).all()
    active = dict(db.session.execute(select(Mentorship.mentor_id, func.count()).where(
        Mentorship.state == "active").group_by(Mentorship.mentor_id)).all())
    return [(pid, name, list(codes or [])) for pid, name, codes, capacity in rows if active.get(pid, 0) < capacity]


def mentors_for_competencies(codes: list[str]):
    """The mentoring domain's answer to "what builds this competency?": mentors with a place left."""
    from flask import url_for

    from coe.registry import Offering

    wanted = set(codes)
    found: dict[str, list] = {}
    for person_id, name, competencies in _open_mentors():
        for code in competencies:
            if code in wanted and len(found.setdefault(code, [])) < MENTORS_OFFERED:
                found[code].append(Offering("Mentor", name, url_for("mentoring.mentor", mentor_id=person_id)))
    return found


def mentor_counts_for_competencies(codes: list[str]) -> dict[str, int]:
    wanted = set(codes)
    counts: dict[str, int] = {}
    for _person_id, _name, competencies in _open_mentors():
        for code in competencies:
            if code in wanted:
                counts[code] = counts.get(code, 0) + 1
    return counts
