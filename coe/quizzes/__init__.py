"""Quizzes: YAML and Moodle GIFT files, attempts graded on the server, review, and the lead's view of results."""

from __future__ import annotations

from flask import Flask, url_for

from coe.registry import CompetencyProvider, ContentSource, PersonalData, SearchSource, TeamSection, registry


def init_app(app: Flask) -> None:
    """Sync quizzes after the library and before tracks; offer them to search, competencies, tracks and the dashboard."""
    from coe.quizzes import dashboard, services
    from coe.quizzes.content import apply_quizzes, parse_quizzes
    from coe.quizzes.demo import seed_attempts

    reg = registry(app)
    reg.add_content_source(ContentSource("quizzes", 20, parse_quizzes, apply_quizzes))
    reg.search_sources.append(SearchSource("quizzes", {"quizzes": "Quiz"}, services.search_changes_since,
                                           services.all_search_items, services.quiz_url))
    reg.competency_providers.append(CompetencyProvider(
        "quizzes", "quizzes", services.quizzes_for_competencies, services.quiz_counts_for_competencies,
        lambda code: url_for("quizzes.index", competency=code)))
    reg.quiz_passed = services.quiz_passed
    reg.quiz_title = services.quiz_title
    reg.add_team_section(TeamSection("quizzes", "Quiz results", "quizzes/_team_section.html", 40,
                                     dashboard.team_context, dashboard.team_sheet))
    reg.personal_data.append(PersonalData("quizzes", services.export_person, services.erase_person))
    reg.demo_seeders.append(seed_attempts)
