"""What mentoring shows elsewhere: home panels, the lead's team section, and a person's data (export, erase)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from coe.auth.models import Person
from coe.competency import current
from coe.extensions import db
from coe.mentoring import services
from coe.mentoring.models import (Booking, MentoringSettings, MentorProfile, Mentorship, Notification, SessionNote,
                                  SessionRating, SignOff)


def home_panel(person: Person) -> dict | None:
    """The next sessions with .ics links; for a PM without a mentor, their top match and a request button."""
    upcoming = list(db.session.scalars(
        select(Booking).where(or_(Booking.mentee_id == person.id, Booking.mentor_id == person.id),
                              Booking.state == "booked", Booking.ends_at > services.now())
        .options(selectinload(Booking.mentor), selectinload(Booking.mentee)).order_by(Booking.starts_at).limit(3)))
    has_mentor = db.session.scalar(select(Mentorship.id).where(Mentorship.mentee_id == person.id,
                                                               Mentorship.state == "active").limit(1)) is not None
    top = None
    if not has_mentor and person.role_profile:
        matches = services.matches_for(person, limit=1)
        top = matches[0] if matches else None
    if not upcoming and top is None and has_mentor is False and not person.role_profile:
        return None
    return {"upcoming": upcoming, "top": top, "has_mentor": has_mentor, "zone": person.time_zone or "UTC"}


def mentor_panel(person: Person) -> dict | None:
    """For a mentor: pending requests and their mentees' recent progress (sign-offs and evidence)."""
    if not person.is_mentor:
        return None
    pending = services.requests_for(person)
    mentee_ids = [m.mentee_id for m in services.mentees_of(person)]
    from coe.competency.models import Evidence
    from coe.competency.services import competency_names

    recent = []
    if mentee_ids:
        recent = db.session.execute(
            select(Person.display_name, Evidence.title, Evidence.competency_id, Evidence.recorded_at)
            .join(Person, Person.id == Evidence.person_id).where(Evidence.person_id.in_(mentee_ids))
            .order_by(Evidence.recorded_at.desc()).limit(5)).all()
    return {"pending": pending, "mentees": len(mentee_ids), "recent": recent, "names": competency_names()}


def _quarter_start(today: dt.date) -> dt.datetime:
    return dt.datetime(today.year, 3 * ((today.month - 1) // 3) + 1, 1, tzinfo=dt.timezone.utc)


SHOWN = 10  # people named on the dashboard in a list that could hold a whole organisation


def team_section(person_ids: Sequence[int]) -> dict | None:
    """Who has a mentor, who has gaps and none, mentors' load, sessions this quarter, average rating: 6 queries."""
    if not person_ids:
        return None
    ids = list(person_ids)
    people = list(db.session.execute(select(Person.id, Person.display_name, Person.role_profile)
                                     .where(Person.id.in_(ids)).order_by(Person.display_name)))
    mentor_of = dict(db.session.execute(
        select(Mentorship.mentee_id, Person.display_name).join(Person, Person.id == Mentorship.mentor_id)
        .where(Mentorship.mentee_id.in_(ids), Mentorship.state == "active")).all())
    load = db.session.execute(
        select(Person.display_name, MentorProfile.capacity, func.count(Mentorship.id))
        .join(MentorProfile, MentorProfile.person_id == Person.id)
        .outerjoin(Mentorship, (Mentorship.mentor_id == Person.id) & (Mentorship.state == "active"))
        .where(Person.id.in_(ids)).group_by(Person.id, Person.display_name, MentorProfile.capacity)
        .order_by(Person.display_name)).all()
    quarter = _quarter_start(services.now().date())
    sessions = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.mentee_id.in_(ids), Booking.state == "booked", Booking.starts_at >= quarter,
        Booking.starts_at <= services.now())) or 0
    average = db.session.scalar(select(func.avg(SessionRating.stars)).join(Booking, Booking.id == SessionRating.booking_id)
                                .where(Booking.mentee_id.in_(ids)))
    open_gaps = current.open_gap_counts(ids)
    rows = [{"id": person_id, "name": name, "mentor": mentor_of.get(person_id), "gaps": open_gaps.get(person_id, 0)}
            for person_id, name, _ in people]
    without = sorted((r for r in rows if r["gaps"] and not r["mentor"]), key=lambda r: (-r["gaps"], r["name"]))
    # The page names those with the most open gaps; the Excel export has everyone.
    return {"rows": rows, "with_mentor": sum(1 for r in rows if r["mentor"]),
            "gaps_without": without[:SHOWN], "gaps_without_count": len(without),
            "load": load, "sessions": sessions, "average": round(float(average), 1) if average is not None else None}


def team_sheet(person_ids: Sequence[int]):
    context = team_section(person_ids)
    if context is None:
        return None
    return ("Mentoring", ["Person", "Mentor", "Open gaps"],
            [[r["name"], r["mentor"] or "", r["gaps"]] for r in context["rows"]])


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export_personal_data(person_id: int) -> dict:
    """The person's mentoring records: profile, mentorships, sessions, their notes, ratings, sign-offs."""
    profile = db.session.get(MentorProfile, person_id)
    mine = or_(Booking.mentee_id == person_id, Booking.mentor_id == person_id)
    bookings = list(db.session.scalars(select(Booking).where(mine).order_by(Booking.starts_at)))
    booking_ids = [b.id for b in bookings]
    return {
        "mentor_profile": None if profile is None else {
            "bio": profile.bio, "competencies": profile.competencies, "languages": profile.languages,
            "time_zone": profile.time_zone, "capacity": profile.capacity, "accepting": profile.accepting},
        "languages": services.languages_of(person_id),
        "mentorships": [{"mentor_id": m.mentor_id, "mentee_id": m.mentee_id, "state": m.state, "goals": m.goals,
                         "reply": m.reply, "reflection": m.reflection, "requested_at": _iso(m.requested_at)}
                        for m in db.session.scalars(select(Mentorship).where(or_(
                            Mentorship.mentee_id == person_id, Mentorship.mentor_id == person_id)))],
        "bookings": [{"id": b.id, "start": _iso(b.starts_at), "end": _iso(b.ends_at), "topic": b.topic,
                      "state": b.state, "reason": b.change_reason} for b in bookings],
        "notes": [{"booking_id": n.booking_id, "body": n.body, "at": _iso(n.created_at)}
                  for n in db.session.scalars(select(SessionNote).where(SessionNote.author_id == person_id))],
        "ratings": [{"booking_id": r.booking_id, "stars": r.stars, "comment": r.comment}
                    for r in db.session.scalars(select(SessionRating).where(SessionRating.booking_id.in_(booking_ids)))]
        if booking_ids else [],
        "signoffs": [{"competency": s.competency, "level": s.level, "note": s.note}
                     for s in db.session.scalars(select(SignOff).where(or_(SignOff.mentee_id == person_id,
                                                                           SignOff.mentor_id == person_id)))],
        "notifications": [{"text": n.text, "at": _iso(n.created_at)} for n in db.session.scalars(
            select(Notification).where(Notification.person_id == person_id))],
    }


def erase_personal_data(person_id: int) -> None:
    """Blank the person's own words (bio, notes, goals, replies, reflections, topics, comments); keep the numbers."""
    db.session.execute(update(MentorProfile).where(MentorProfile.person_id == person_id).values(bio=""))
    db.session.execute(update(SessionNote).where(SessionNote.author_id == person_id).values(body="(erased)"))
    db.session.execute(update(Mentorship).where(Mentorship.mentee_id == person_id).values(goals=""))
    db.session.execute(update(Mentorship).where(Mentorship.mentor_id == person_id).values(reply=""))
    db.session.execute(update(Mentorship).where(Mentorship.ended_by_id == person_id).values(reflection=""))
    mentee_bookings = select(Booking.id).where(Booking.mentee_id == person_id)
    db.session.execute(update(Booking).where(Booking.mentee_id == person_id).values(topic="(erased)", change_reason=""))
    db.session.execute(update(SessionRating).where(SessionRating.booking_id.in_(mentee_bookings)).values(comment=""))
    db.session.execute(update(SignOff).where(SignOff.mentor_id == person_id).values(note=""))
    db.session.execute(update(Notification).where(Notification.person_id == person_id).values(text="(erased)"))
    db.session.execute(update(MentoringSettings).where(MentoringSettings.person_id == person_id)
                       .values(feed_token_hash=None))
    db.session.flush()
