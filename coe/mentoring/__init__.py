"""Mentoring: mentor profiles, matching, mentorships, availability, bookings, calendar and notifications."""

from __future__ import annotations

from flask import Flask

from coe.registry import CompetencyProvider, HomePanel, PersonalData, TeamSection, registry


def init_app(app: Flask) -> None:
    """Answer whether a mentorship is active; show sessions at home and mentoring on /team; seed the demo."""
    from coe.mentoring import models  # noqa: F401 - the tables belong to the metadata
    from coe.mentoring import panels, tasks  # noqa: F401 - tasks register with the queue
    from flask import url_for

    from coe.mentoring.services import (active_mentee_ids, is_active_mentor, mentor_counts_for_competencies,
                                         mentors_for_competencies)
    from coe.mentoring.views import bp

    reg = registry(app)
    reg.is_active_mentor = is_active_mentor
    reg.mentee_ids = active_mentee_ids
    reg.competency_providers.append(CompetencyProvider(
        "mentoring", "mentors", mentors_for_competencies, mentor_counts_for_competencies,
        lambda code: url_for("mentoring.mentors", competency=code)))
    reg.add_home_panel(HomePanel("mentoring", "Upcoming mentoring sessions", "mentoring/_home_panel.html", 20,
                                 panels.home_panel))
    reg.add_home_panel(HomePanel("mentor", "Your mentees", "mentoring/_mentor_panel.html", 25, panels.mentor_panel))
    reg.add_team_section(TeamSection("mentoring", "Mentoring", "mentoring/_team_section.html", 40,
                                     panels.team_section, panels.team_sheet))
    reg.personal_data.append(PersonalData("mentoring", panels.export_personal_data, panels.erase_personal_data))
    from coe.mentoring.demo import seed_mentoring

    reg.demo_seeders.append(seed_mentoring)
    app.register_blueprint(bp)

    @app.context_processor
    def unread_notifications():
        from flask_login import current_user

        def count() -> int:
            if not getattr(current_user, "is_authenticated", False):
                return 0
            from coe.mentoring.services import unread_count

            return unread_count(current_user.id)

        return {"unread_notifications": count}
