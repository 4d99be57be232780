"""The competency framework, role profiles and (later) ratings, evidence and gaps."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Offer the role profiles defined in content to the people admin."""
    from coe.competency.services import role_profile_choices

    app.extensions["coe.role_profiles"] = role_profile_choices
