"""The admins' overview lists tracks whose completions are falling, quarter on quarter."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from coe.extensions import db
from coe.training import services
from coe.training.models import Enrolment, Track


def test_a_track_completed_less_often_this_quarter_than_last_is_listed(app, make_person):
    people = [make_person(f"pm{n}@example.org") for n in range(5)]
    today = dt.date(2026, 11, 26)
    at = lambda days_ago: dt.datetime.combine(today, dt.time(12), dt.timezone.utc) - dt.timedelta(days=days_ago)  # noqa: E731
    with app.test_request_context():
        onboarding = db.session.scalar(select(Track).where(Track.slug == "new-pm-onboarding"))
        risk = db.session.scalar(select(Track).where(Track.slug == "risk-management"))
        # Onboarding: 3 completions in the quarter before, 1 in this one. Risk: 1 before, 2 now.
        for person, days_ago in zip(people[:4], (150, 120, 100, 10)):
            db.session.add(Enrolment(person_id=person, track_id=onboarding.id, enrolled_at=at(days_ago + 20),
                                     completed_at=at(days_ago)))
        for person, days_ago in zip(people[:3], (100, 30, 5)):
            db.session.add(Enrolment(person_id=person, track_id=risk.id, enrolled_at=at(days_ago + 20),
                                     completed_at=at(days_ago)))
        db.session.commit()
        falling = services.falling_completion(today)
        assert [(f.title, f.detail) for f in falling] == [
            (onboarding.title, "3 completions in the previous 91 days, 1 in the last 91")]
        assert falling[0].url == "/tracks/new-pm-onboarding"
