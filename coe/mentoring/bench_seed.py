"""Mentoring data for load benchmarks: profiles, availability, mentorships and bookings for existing people."""

from __future__ import annotations

import random
from collections.abc import Sequence

from coe.extensions import db
from coe.mentoring import demo, services


def seed(mentor_ids: Sequence[int], people_ids: Sequence[int], bookings: int, rng: random.Random) -> int:
    """Give ``mentor_ids`` mentor profiles with weekly availability, pair ``people_ids`` with them, and spread
    ``bookings`` sessions over the past and the next weeks. Return a mentor id for /mentors/<id>."""
    from sqlalchemy import update

    from coe.auth.models import Person

    mentor_ids = list(mentor_ids)
    db.session.execute(update(Person).where(Person.id.in_(mentor_ids)).values(is_mentor=True))
    demo.give_profiles(mentor_ids, rng, {})
    mentees = [pid for pid in people_ids if pid not in set(mentor_ids)]
    pairs = [(mentor_ids[i % len(mentor_ids)], mentee) for i, mentee in enumerate(mentees)]
    if pairs and bookings:
        demo.pair_and_book(pairs, bookings, rng, services.now())
    db.session.flush()
    return mentor_ids[0]
