"""The competency framework, role profiles, ratings, evidence and gaps."""

from __future__ import annotations

from flask import Flask

from coe.registry import ContentSource, registry


def init_app(app: Flask) -> None:
    """Sync the framework first of all content, and offer its role profiles to the people admin."""
    from coe.competency.content import apply_framework, parse_framework
    from coe.competency.services import role_profile_choices

    reg = registry(app)
    reg.add_content_source(ContentSource("competency framework", 0, parse_framework, apply_framework))
    reg.role_profiles = role_profile_choices
