"""The CoE library: content pipeline, rendering, search."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Report the index on /healthz, offer documents per competency, and show recent documents at home."""
    from coe.competency.services import register_provider
    from coe.home.services import register_health_check, register_home_panel
    from coe.library import services

    register_health_check(app, "index", services.index_health)
    register_provider(app, services.documents_for_competencies)
    register_home_panel(app, "library", lambda person: {
        "template": "library/_recent_panel.html", "documents": services.recent_documents()})
