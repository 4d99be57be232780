"""Races: many people booking one slot through a real HTTP server, and concurrent acceptances of one mentor."""

from __future__ import annotations

import re
import threading

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from coe.auth.models import Person
from coe.extensions import db
from tests.mentoring.conftest import pair

RACERS = 20


@pytest.fixture
def server(app):
    """The app behind a real threaded HTTP server on a free port (plain HTTP, so cookies without Secure)."""
    from coe.config import cookie_settings

    app.config.update(cookie_settings(secure=False))
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(10)




def test_twenty_concurrent_bookings_of_one_slot_make_exactly_one_booking(app, make_person, mentoring, server):
    from coe.mentoring import services
    from coe.mentoring.models import Booking, MentorProfile
    from tests.conftest import PASSWORD

    with app.app_context():
        db.session.execute(db.update(MentorProfile).values(capacity=RACERS + 1))
        db.session.commit()
    emails = [f"racer{n}@example.org" for n in range(RACERS)]
    for n, email in enumerate(emails):
        mentoring[f"racer{n}"] = make_person(email, name=f"Racer {n}")
        pair(app, mentoring, f"racer{n}")
    with app.app_context():
        start = services.free_slots(mentoring["mentor"])[0].start.isoformat()
    sessions = []
    for email in emails:
        session = requests.Session()
        page = session.get(f"{server}/login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        assert session.post(f"{server}/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                            allow_redirects=False).status_code == 302
        page = session.get(f"{server}/mentors/{mentoring['mentor']}").text
        sessions.append((session, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)))
    barrier = threading.Barrier(RACERS)
    statuses: list[int] = []

    def race(session, token):
        barrier.wait()
        response = session.post(f"{server}/mentors/{mentoring['mentor']}/book", allow_redirects=False,
                                data={"start": start, "topic": "Gate pack", "book": "y", "csrf_token": token})
        statuses.append(response.status_code)
        if response.status_code == 409:
            assert "just taken" in response.text

    threads = [threading.Thread(target=race, args=pair_) for pair_ in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [302] + [409] * (RACERS - 1), statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.state == "booked")) == 1


def test_concurrent_acceptances_never_exceed_the_mentors_capacity(app, make_person, mentoring):
    from coe.errors import Conflict
    from coe.mentoring import services
    from coe.mentoring.models import MentorProfile, Mentorship

    applicants = [make_person(f"applicant{n}@example.org", name=f"Applicant {n}") for n in range(8)]
    with app.app_context():
        db.session.execute(db.update(MentorProfile).values(capacity=2))
        ids = [services.request_mentor(db.session.get(Person, pid), mentoring["mentor"], "Grow.", []).id
               for pid in applicants]
        db.session.commit()
    barrier = threading.Barrier(len(ids))
    outcomes: list[str] = []

    def accept(mentorship_id):
        with app.app_context():
            mentor = db.session.get(Person, mentoring["mentor"])
            barrier.wait()
            try:
                services.answer_request(mentor, mentorship_id, True, "Welcome.")
                db.session.commit()
                outcomes.append("accepted")
            except Conflict:
                db.session.rollback()
                outcomes.append("full")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(mentorship_id,)) for mentorship_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["accepted"] * 2 + ["full"] * 6
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Mentorship).where(
            Mentorship.mentor_id == mentoring["mentor"], Mentorship.state == "active")) == 2
