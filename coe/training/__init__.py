"""Training tracks: ordered learning paths with prerequisites, progress, practice tasks and certificates."""

from __future__ import annotations

from flask import Flask, url_for

from coe.registry import (CompetencyProvider, ContentSource, DocumentPanel, HomePanel, PersonalData, SearchSource,
                          TeamSection, registry)


def init_app(app: Flask) -> None:
    """Sync tracks after the library and quizzes; join search, the competency plan, home and the team dashboard."""
    from coe.training import services
    from coe.training.content import apply_tracks, parse_tracks
    from coe.training.demo import seed_tracks

    reg = registry(app)
    reg.add_content_source(ContentSource("tracks", 30, parse_tracks, apply_tracks))
    reg.search_sources.append(SearchSource("tracks", {"tracks": "Track"}, services.search_changes_since,
                                           services.all_search_documents,
                                           lambda kind, slug: url_for("training.track", slug=slug)))
    reg.competency_providers.append(CompetencyProvider(
        "tracks", "training tracks", services.tracks_for_competencies, services.track_counts_for_competencies,
        lambda code: url_for("training.catalogue", competency=code)))
    reg.add_home_panel(HomePanel("next-step", "Your next step", "training/_next_step_panel.html", 10,
                                 services.next_step_panel))
    reg.document_panels.append(DocumentPanel("tracks", "training/_document_panel.html", services.document_panel))
    reg.add_team_section(TeamSection("tracks", "Training tracks", "training/_team_section.html", 40,
                                     services.team_section, services.team_sheet))
    reg.personal_data.append(PersonalData("training", services.export_person, services.erase_person))
    reg.falling_completion = services.falling_completion
    reg.quiz_pass_listeners.append(services.on_quiz_passed)
    reg.mentor_signoff_listeners.append(services.on_mentor_signoff)
    reg.demo_seeders.append(seed_tracks)
