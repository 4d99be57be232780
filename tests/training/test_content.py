"""Tracks from content/tracks/*.yml: the real tracks sync, every broken rule is named by file and line, and a
changed track keeps the progress of the people enrolled in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from coe.content.context import SyncContext
from coe.content.pipeline import run_sync
from coe.errors import InvalidContent
from coe.extensions import db
from coe.training import services
from coe.training.content import parse_tracks
from coe.training.models import StepCompletion, Track, TrackStep
from tests.training.helpers import finish, person


def test_the_real_tracks_are_synced_with_their_steps(app):
    with app.app_context():
        tracks = {t.slug: t for t in services.live_tracks()}
        assert {"new-pm-onboarding", "risk-management", "agile-delivery", "stakeholder-leadership"} <= set(tracks)
        onboarding = tracks["new-pm-onboarding"]
        assert onboarding.ordered and onboarding.hours > 0
        kinds = {s.kind for s in onboarding.live_steps}
        assert kinds == {"read", "quiz", "task", "mentor"}
        read = onboarding.live_steps[0]
        assert read.document_ref == "practices/pm-onboarding-checklist" and read.title  # named after the document
        assert tracks["risk-management"].prerequisites == ["new-pm-onboarding"]
        assert {c.competency_code: c.level for c in tracks["risk-management"].competencies}["risk-management"] == 3


def _write(root: Path, name: str, text: str) -> None:
    (root / "tracks" / name).write_text(text, encoding="utf-8")


GOOD = """title: A test track
summary: For tests.
audience: [pm]
competencies:
  risk-management: 2
hours: 3
prerequisites: []
steps:
  - id: read-register
    kind: read
    document: templates/risk-register
  - id: workshop
    kind: task
    title: Run a workshop
    instructions: Submit the register.
  - id: debrief
    kind: mentor
    title: Debrief
    competency: risk-management
"""


def _problems(app, root: Path) -> list[str]:
    with app.app_context():
        with pytest.raises(InvalidContent) as excinfo:
            run_sync(str(root))
        return [str(p) for p in excinfo.value.problems]


@pytest.mark.parametrize("change, expected", [
    (("document: templates/risk-register", "document: templates/no-such-thing"),
     "tracks/test-track.yml:11: read step `read-register` names the document `templates/no-such-thing`"),
    (("risk-management: 2", "risk-wizardry: 2"),
     "tracks/test-track.yml:5: names the competency `risk-wizardry`"),
    (("audience: [pm]", "audience: [chief-wizard]"),
     "tracks/test-track.yml:3: names the role profile `chief-wizard`"),
    (("prerequisites: []", "prerequisites: [no-such-track]"),
     "tracks/test-track.yml:7: needs the track `no-such-track` first"),
    (("id: workshop", "id: read-register"),
     "tracks/test-track.yml:12: the step id `read-register` is used twice"),
    (("kind: task", "kind: lecture"),
     "tracks/test-track.yml:13: step `workshop` needs a `kind`"),
    (("competency: risk-management", "competency: governance"),
     "tracks/test-track.yml:19: mentor step `debrief` needs `competency`: one of the track's competencies"),
    (("id: workshop", "id: Workshop One"),
     "tracks/test-track.yml:12: a step needs an `id` of lower-case words"),
    (("hours: 3", "hours: lots"), "tracks/test-track.yml:6: needs `hours`"),
    (("    instructions: Submit the register.\n", ""),
     "practice task `workshop` needs `instructions`"),
    (("title: A test track", "title: [unclosed"), "tracks/test-track.yml:2: is not well-formed YAML"),
])
def test_a_broken_track_is_refused_naming_file_line_and_reason(app, content_copy, change, expected):
    _write(content_copy, "test-track.yml", GOOD.replace(*change))
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count(Track.id)))
    problems = _problems(app, content_copy)
    assert any(expected in p for p in problems), problems
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Track.id))) == before  # nothing written


def test_prerequisites_that_go_round_in_a_circle_are_refused(app, content_copy):
    _write(content_copy, "alpha.yml", GOOD.replace("prerequisites: []", "prerequisites: [beta]"))
    _write(content_copy, "beta.yml", GOOD.replace("prerequisites: []", "prerequisites: [alpha]"))
    problems = _problems(app, content_copy)
    assert any("go round in a circle" in p and "alpha → beta → alpha" in p for p in problems), problems


def test_a_quiz_step_names_a_quiz_the_quiz_source_knows(app, content_copy):
    _write(content_copy, "test-track.yml", GOOD + "  - id: check\n    kind: quiz\n    quiz: no-such-quiz\n")
    with app.app_context():
        ctx = SyncContext(content_copy, competency_codes={"risk-management"}, role_codes={"pm"},
                          document_refs={"templates/risk-register"}, quiz_slugs={"risk-essentials"})
        parse_tracks(ctx)
        mine = [p for p in ctx.problems if p.path == "tracks/test-track.yml"]
        assert [(p.line, p.message) for p in mine] == [
            (22, "quiz step `check` names the quiz `no-such-quiz`, which is not in content/quizzes/.")]
        ctx = SyncContext(content_copy, quiz_slugs=None)  # the quiz source has not run: no check
        parse_tracks(ctx)
        assert not [p for p in ctx.problems if "no-such-quiz" in p.message]


def test_a_step_id_may_not_change_kind(app, content_copy):
    text = (content_copy / "tracks" / "new-pm-onboarding.yml").read_text()
    _write(content_copy, "new-pm-onboarding.yml", text.replace("id: onboarding-quiz\n    kind: quiz\n    quiz: onboarding-essentials",
                                                               "id: onboarding-quiz\n    kind: read\n    document: templates/raid-log"))
    problems = _problems(app, content_copy)
    assert any("step `onboarding-quiz` was a quiz step and is now a read step" in p for p in problems), problems


def test_changing_a_track_keeps_progress_and_says_what_changed(app, content_copy, make_person):
    pm, lead = make_person("pm@example.org"), make_person("lead@example.org", admin=True)
    with app.app_context():
        finish(pm, "new-pm-onboarding", lead, until=3)
        done_before = {db.session.get(TrackStep, c.step_id).key
                       for c in db.session.scalars(db.select(StepCompletion).where(StepCompletion.person_id == pm))}
    assert done_before == {"read-onboarding-checklist", "read-stage-gates", "read-lifecycle-tailoring"}
    path = content_copy / "tracks" / "new-pm-onboarding.yml"
    text = path.read_text()
    # Drop the second step, add a new one after the first, retitle the track.
    start = text.index("  - id: read-stage-gates")
    end = text.index("  - id: read-lifecycle-tailoring")
    text = text[:start] + ("  - id: read-escalation\n    kind: read\n    document: practices/escalation\n") + text[end:]
    text = text.replace('title: "New PM onboarding', 'title: "Onboarding for new PMs', 1)
    path.write_text(text)
    with app.app_context():
        report = run_sync(str(content_copy))
        assert report.counts["tracks updated"] == 1
        assert report.counts["track steps added"] == 1 and report.counts["track steps removed"] == 1
        track = services.get_track("new-pm-onboarding")
        assert track.title.startswith("Onboarding for new PMs")
        states = {s.step.key: s.state for s in services.progress(track, pm).steps}
        assert states["read-onboarding-checklist"] == "done" and states["read-lifecycle-tailoring"] == "done"
        assert states["read-escalation"] == "available"  # the new step is now the next one
        assert "read-stage-gates" not in states
        # The completion of the removed step is kept, against the archived step.
        removed = db.session.scalar(db.select(TrackStep).where(TrackStep.key == "read-stage-gates",
                                                               TrackStep.track_id == track.id))
        assert removed.archived_at is not None
        assert db.session.scalar(db.select(StepCompletion).where(StepCompletion.person_id == pm,
                                                                 StepCompletion.step_id == removed.id))
        # Putting the step back restores it, with its completion.
        path.write_text(path.read_text().replace(
            "  - id: read-escalation\n", "  - id: read-stage-gates\n    kind: read\n    document: methodologies/stage-gate-governance\n  - id: read-escalation\n"))
        report = run_sync(str(content_copy))
        assert report.counts["track steps added"] == 1
        states = {s.step.key: s.state for s in services.progress(services.get_track("new-pm-onboarding"), pm).steps}
        assert states["read-stage-gates"] == "done"


def test_an_unchanged_sync_changes_no_track_and_a_removed_track_is_archived(app, content_copy):
    with app.app_context():
        report = run_sync(str(content_copy))
        assert not report.counts["tracks updated"] and not report.counts["tracks added"]
        (content_copy / "tracks" / "agile-delivery.yml").unlink()
        report = run_sync(str(content_copy))
        assert report.counts["tracks archived"] == 1
        assert services.get_track("agile-delivery").archived_at is not None
        assert "agile-delivery" not in {t.slug for t in services.live_tracks()}


def test_the_track_page_shows_a_synced_change_on_the_next_view(app, content_copy, pm_client):
    """The track page keeps the track per content generation: a sync's new title and steps show at once."""
    page = pm_client.get("/tracks/new-pm-onboarding").get_data(as_text=True)
    assert "New PM onboarding" in page and "Escalating Well" not in page and "Stage-Gate Governance" in page
    path = content_copy / "tracks" / "new-pm-onboarding.yml"
    text = path.read_text().replace('title: "New PM onboarding', 'title: "Onboarding for new PMs', 1)
    start, end = text.index("  - id: read-stage-gates"), text.index("  - id: read-lifecycle-tailoring")
    path.write_text(text[:start] + "  - id: read-escalation\n    kind: read\n    document: practices/escalation\n"
                    + text[end:])
    with app.app_context():
        run_sync(str(content_copy))
    page = pm_client.get("/tracks/new-pm-onboarding").get_data(as_text=True)
    assert "Onboarding for new PMs" in page and "New PM onboarding" not in page
    assert "Escalating Well" in page and "Stage-Gate Governance" not in page
