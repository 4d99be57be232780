"""The competency framework, role profiles, ratings, evidence and gaps."""

from __future__ import annotations

from flask import Flask

from coe.registry import ContentSource, HomePanel, registry


def init_app(app: Flask) -> None:
    """Sync the framework first of all content; offer its role profiles; show gaps at home; seed demo ratings."""
    from coe.competency.content import apply_framework, parse_framework
    from coe.competency.demo import seed_ratings
    from coe.competency.profile import gaps_panel
    from coe.competency.services import role_profile_choices

    reg = registry(app)
    reg.add_content_source(ContentSource("competency framework", 0, parse_framework, apply_framework))
    reg.role_profiles = role_profile_choices
    reg.add_home_panel(HomePanel("gaps", "Your competency gaps", "competency/_gaps_panel.html", 30, gaps_panel))
    reg.demo_seeders.append(seed_ratings)
