"""Mentoring: mentor profiles, matching, mentorships, availability, bookings, calendar and notifications."""

from __future__ import annotations

from flask import Flask

from coe.registry import registry


def init_app(app: Flask) -> None:
    """Answer whether a mentorship is active; show sessions at home; seed the demo's mentoring."""
    from coe.mentoring import models  # noqa: F401 - the tables belong to the metadata
    from coe.mentoring.services import is_active_mentor

    reg = registry(app)
    reg.is_active_mentor = is_active_mentor
