"""The CoE lead's dashboard and the admins' overview: the one domain that reads all the others."""

from __future__ import annotations

from flask import Flask

from coe.registry import HomePanel, registry


def init_app(app: Flask) -> None:
    """Show leads, validators and admins what needs them on the home page; keep demo levels in step."""
    from coe.competency import current
    from coe.dashboard import panels

    reg = registry(app)
    reg.add_home_panel(HomePanel("team", "Your teams", "dashboard/_lead_panel.html", 10, panels.lead_panel))
    reg.add_home_panel(HomePanel("awaiting-validation", "Self-assessments awaiting your validation",
                                 "dashboard/_validation_panel.html", 15, panels.validation_panel))
    reg.add_home_panel(HomePanel("admin", "Needs an admin", "dashboard/_admin_panel.html", 5, panels.admin_panel))

    def rebuild_levels(password: str) -> list[tuple[str, str]]:
        # Demo seeders of every domain may add ratings in bulk; levels follow them once, at the end.
        current.rebuild()
        return []

    reg.demo_seeders.append(rebuild_levels)
