"""The CoE library: content pipeline source, rendering, search."""

from __future__ import annotations

from flask import Flask, url_for

from coe.registry import CompetencyProvider, ContentSource, HealthCheck, HomePanel, SearchSource, registry


def init_app(app: Flask) -> None:
    """Register the library's content, its search results, its index upkeep, its health check and its home panel."""
    from coe.library import services
    from coe.library.content import apply_library, parse_library
    from coe.library.models import KIND_LABELS

    reg = registry(app)
    reg.add_content_source(ContentSource("library", 10, parse_library, apply_library))
    reg.search_sources.append(SearchSource(
        "library", dict(KIND_LABELS), services.search_changes_since, services.all_search_documents,
        services.document_url))
    reg.sync_listeners.append(services.refresh_index_to)
    reg.health_checks.append(HealthCheck("index", services.index_health))
    reg.competency_providers.append(CompetencyProvider(
        "library", "library documents", services.documents_for_competencies,
        services.document_counts_for_competencies, lambda code: url_for("library.browse", competency=code)))
    reg.add_home_panel(HomePanel("library", "Recently updated in the library", "library/_recent_panel.html", 90,
                                 lambda person: {"documents": services.recent_documents()}))
