"""A mentor with a profile and wide availability, and helpers to pair and book."""

from __future__ import annotations

import datetime as dt

import pytest

from coe.auth.models import Person
from coe.extensions import db


@pytest.fixture
def mentoring(app, make_person, make_team):
    """Return a small world: a team, its lead, a mentor (UTC, every day 06:00-22:00, 60-minute sessions) and a PM."""
    from coe.mentoring import services

    team = make_team("Digital Delivery")
    ids = {
        "team": team,
        "lead": make_person("lead@example.org", name="Lee Lead", team_id=team, leads=(team,)),
        "mentor": make_person("mentor@example.org", name="Maria Mentor", mentor=True, role_profile="senior-pm"),
        "pm": make_person("pm@example.org", name="Priya Patel", team_id=team),
        "other": make_person("other@example.org", name="Omar Other", team_id=team),
        "admin": make_person("admin@example.org", name="Ada Admin", admin=True),
    }
    with app.app_context():
        mentor = db.session.get(Person, ids["mentor"])
        services.save_profile(mentor, services.ProfileData(
            "Twelve years of **gate reviews**.", ("risk-management", "stakeholder-engagement"), ("en", "fr"), "UTC",
            3, True, 60, 0, 1, 30))
        for weekday in range(7):
            services.add_window(mentor, weekday, dt.time(6), dt.time(22))
        db.session.commit()
    return ids


def pair(app, world, mentee_key: str = "pm") -> None:
    from coe.mentoring import services

    with app.app_context():
        services.assign_mentor(db.session.get(Person, world["admin"]), world[mentee_key], world["mentor"])
        db.session.commit()


def logged_in(app, email: str):
    client = app.test_client()
    assert client.login(email).status_code == 302
    return client
