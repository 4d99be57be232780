"""Demo mentoring: mentors with profiles and availability, active mentorships, past and upcoming sessions."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from coe.auth.models import Person
from coe.extensions import db
from coe.mentoring import services
from coe.mentoring.models import (AvailabilityWindow, Booking, MentoringSettings, MentorProfile, Mentorship,
                                  SessionNote, SessionRating)

SEED = 20261127
BIOS = [
    "Programme manager for twelve years in **regulated delivery**: two core-banking replacements and a payments "
    "migration. I help with stage-gate packs that a steering committee can decide on, and with risk registers "
    "that carry owners and dates rather than worries.",
    "Started as a business analyst, now run hybrid portfolios. Ask me about **stakeholder maps** for programmes "
    "with more sponsors than deliverables, and about moving a waterfall team to two-week increments without "
    "losing the governance.",
    "Delivery lead on infrastructure and data-centre exits. I mentor on **scheduling and estimation** "
    "(critical path, three-point estimates, honest contingency) and on writing a status report that says red "
    "when it is red.",
    "Certified agile coach and former PMO head. I help new project managers set up a **RAID log**, run "
    "retrospectives that change something, and prepare for their first gate review.",
]
TOPICS = ["Preparing the gate 2 pack", "Re-baselining after the supplier delay", "First steering committee",
          "Risk workshop with the vendor", "Stakeholder map for the merger programme", "Status report that says amber",
          "Estimating the data migration", "Handing over to operations"]
NOTES = ["Agreed to split the benefits table by owner; next time we review the draft charter.",
         "Walked through the top five risks: two had no owner. Assign them before Friday.",
         "Practised the opening of the steering update: lead with the decision needed, not the history."]
LANGUAGES = [["en"], ["en", "fr"], ["en", "de"], ["en", "es"]]


def _strongest(person_id: int, count: int = 4) -> list[str]:
    levels = services.validated_levels([person_id]).get(person_id, {})
    ranked = sorted(levels.items(), key=lambda item: (-item[1], item[0]))
    return [code for code, level in ranked[:count] if level >= 3]


def give_profiles(mentor_ids, rng: random.Random, zones: dict[int, str]) -> None:
    """A profile and weekly availability for each mentor."""
    from coe.competency.services import competency_names

    codes = sorted(competency_names())
    for index, mentor_id in enumerate(mentor_ids):
        competencies = _strongest(mentor_id) or rng.sample(codes, min(4, len(codes)))
        db.session.add(MentorProfile(person_id=mentor_id, bio=BIOS[index % len(BIOS)], competencies=competencies,
                                     languages=LANGUAGES[index % len(LANGUAGES)], time_zone=zones.get(mentor_id, "UTC"),
                                     capacity=rng.choice([3, 4, 5]), accepting=True, session_minutes=60,
                                     buffer_minutes=15, notice_hours=12, horizon_days=42))
        for weekday, start, end in [(1, 14, 17), (3, 9, 12), (rng.choice([0, 2, 4]), 10, 12)]:
            db.session.add(AvailabilityWindow(mentor_id=mentor_id, weekday=weekday, start_time=dt.time(start),
                                              end_time=dt.time(end)))
    db.session.flush()


def pair_and_book(pairs, bookings: int, rng: random.Random, now: dt.datetime) -> list[Booking]:
    """Active mentorships for (mentor, mentee) pairs, and ``bookings`` sessions among them, past and upcoming."""
    mentorships = []
    for mentor_id, mentee_id in pairs:
        mentorship = Mentorship(mentor_id=mentor_id, mentee_id=mentee_id, state="active",
                                goals="Run my next gate review without help, and own the project's risk register.",
                                requested_at=now - dt.timedelta(days=rng.randint(60, 120)),
                                answered_at=now - dt.timedelta(days=rng.randint(30, 59)))
        db.session.add(mentorship)
        mentorships.append(mentorship)
    db.session.flush()
    made: list[Booking] = []
    taken: set[tuple[int, dt.datetime]] = set()
    for n in range(bookings):
        mentorship = mentorships[n % len(mentorships)]
        days = rng.randint(-56, 28)
        start = (now + dt.timedelta(days=days)).replace(hour=rng.choice([9, 10, 13, 14, 15]), minute=0, second=0,
                                                        microsecond=0)
        if (mentorship.mentor_id, start) in taken or abs((start - now).total_seconds()) < 86400:
            continue
        taken.add((mentorship.mentor_id, start))
        booking = Booking(mentorship_id=mentorship.id, mentor_id=mentorship.mentor_id, mentee_id=mentorship.mentee_id,
                          starts_at=start, ends_at=start + dt.timedelta(hours=1), topic=rng.choice(TOPICS),
                          state="booked", sequence=0, created_at=start - dt.timedelta(days=7),
                          updated_at=start - dt.timedelta(days=7))
        db.session.add(booking)
        made.append(booking)
    db.session.flush()
    return made


def seed_mentoring(password: str) -> list[tuple[str, str]]:
    """Mentors with availability, two or so mentees each, past sessions with notes and ratings, upcoming sessions."""
    rng = random.Random(SEED)
    now = services.now()
    people = list(db.session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.id)))
    mentors = [p for p in people if p.is_mentor]
    mentees = [p for p in people if not p.is_mentor and not p.is_admin and p.role_profile]
    if not mentors:
        return []
    give_profiles([m.id for m in mentors], rng, {p.id: p.time_zone or "UTC" for p in people})
    # Leave a third of the mentees without a mentor, so that matching and the lead's view have work to show.
    pairs = [(mentors[i % len(mentors)].id, mentee.id) for i, mentee in enumerate(mentees[: 2 * len(mentees) // 3])]
    if not pairs:
        return []
    made = pair_and_book(pairs, 4 * len(pairs), rng, now)
    for booking in made:
        if booking.starts_at < now:
            db.session.add(SessionNote(booking_id=booking.id, author_id=booking.mentor_id, body=rng.choice(NOTES),
                                       created_at=booking.ends_at))
            if rng.random() < 0.8:
                db.session.add(SessionRating(booking_id=booking.id, mentor_id=booking.mentor_id,
                                             stars=rng.choice([4, 4, 5, 5, 3]), created_at=booking.ends_at,
                                             comment=rng.choice(["", "Concrete and to the point.",
                                                                 "Left with a plan for the next two weeks."])))
    for mentee in mentees[2 * len(mentees) // 3:][:2]:
        db.session.add(MentoringSettings(person_id=mentee.id, languages=["en"]))
        db.session.add(Mentorship(mentor_id=mentors[-1].id, mentee_id=mentee.id, state="requested",
                                  goals="Get ready to lead my first project with an external supplier.",
                                  requested_at=now - dt.timedelta(days=2)))
    db.session.flush()
    return []
