"""Following a track: enrolment and prerequisites, steps in order, quizzes, practice tasks and their review,
mentor sessions, completion with certificate and evidence, and who may do what."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from coe.auth.models import Person
from coe.competency.models import Competency, Evidence
from coe.errors import Conflict, InvalidInput
from coe.extensions import db
from coe.registry import registry
from coe.training import services
from coe.training.models import Certificate, StepCompletion
from tests.training.helpers import finish, pass_quiz, person

ONBOARDING = "new-pm-onboarding"


@pytest.fixture
def people(make_person, make_team):
    team = make_team("Digital Delivery")
    other = make_team("Finance")
    return {
        "pm": make_person("pm@example.org", name="Priya Patel", team_id=team),
        "peer": make_person("peer@example.org", team_id=team),
        "lead": make_person("lead@example.org", name="Leona Lead", team_id=team, leads=(team,),
                            role_profile="program-manager"),
        "other_lead": make_person("other.lead@example.org", team_id=other, leads=(other,)),
        "mentor": make_person("mentor@example.org", team_id=other, mentor=True, role_profile="senior-pm"),
    }


def states(slug: str, person_id: int) -> dict[str, str]:
    return {s.step.key: s.state for s in services.progress(services.get_track(slug), person_id).steps}


def test_a_track_with_prerequisites_waits_for_them(app, people):
    with app.app_context():
        with pytest.raises(InvalidInput, match="Complete “New PM onboarding.*” first"):
            services.enrol(person(people["pm"]), "risk-management")
        finish(people["pm"], ONBOARDING, people["lead"])
        services.enrol(person(people["pm"]), "risk-management")
        db.session.commit()
        assert states("risk-management", people["pm"])["read-risk-register"] == "available"


def test_steps_complete_only_in_order_in_an_ordered_track(app, people):
    with app.app_context():
        pm = person(people["pm"])
        services.enrol(pm, ONBOARDING)
        before = states(ONBOARDING, pm.id)
        assert list(before.values())[:3] == ["available", "locked", "locked"]
        with pytest.raises(InvalidInput, match="done in order: first complete"):
            services.mark_read(pm, ONBOARDING, "read-stage-gates")
        services.mark_read(pm, ONBOARDING, "read-onboarding-checklist")
        services.mark_read(pm, ONBOARDING, "read-stage-gates")
        after = states(ONBOARDING, pm.id)
        assert list(after.values())[:3] == ["done", "done", "available"]
        with pytest.raises(Conflict):
            services.mark_read(pm, ONBOARDING, "read-stage-gates")


def test_an_unordered_track_takes_its_steps_in_any_order(app, people):
    with app.app_context():
        services.get_track(ONBOARDING).ordered = False
        pm = person(people["pm"])
        services.enrol(pm, ONBOARDING)
        assert set(states(ONBOARDING, pm.id).values()) == {"available"}
        services.mark_read(pm, ONBOARDING, "read-status-report")
        assert states(ONBOARDING, pm.id)["read-status-report"] == "done"


def test_steps_need_an_enrolment_and_leaving_keeps_them(app, people):
    with app.app_context():
        pm = person(people["pm"])
        with pytest.raises(InvalidInput, match="Enrol in"):
            services.mark_read(pm, ONBOARDING, "read-onboarding-checklist")
        services.enrol(pm, ONBOARDING)
        services.mark_read(pm, ONBOARDING, "read-onboarding-checklist")
        services.leave(pm, ONBOARDING)
        assert set(states(ONBOARDING, pm.id).values()) == {"done", "locked"}
        with pytest.raises(Conflict):
            services.leave(pm, ONBOARDING)
        services.enrol(pm, ONBOARDING)
        assert list(states(ONBOARDING, pm.id).values())[:2] == ["done", "available"]
        with pytest.raises(Conflict, match="already enrolled"):
            services.enrol(pm, ONBOARDING)


def test_a_quiz_step_completes_when_the_quiz_is_passed_and_reached(app, people):
    pm_id = people["pm"]
    with app.app_context():
        finish(pm_id, ONBOARDING, people["lead"], until=3)
        passed = set()
        registry().quiz_passed = lambda person_id, slug: (person_id, slug) in passed
        # Passed before the step is reached: the ordered track does not jump ahead ...
        passed.add((pm_id, "onboarding-essentials"))
        pass_quiz(pm_id, "onboarding-essentials")
        assert states(ONBOARDING, pm_id)["onboarding-quiz"] == "locked"
        # ... and the step completes as soon as the person reaches it.
        finish(pm_id, ONBOARDING, people["lead"], until=9)
        assert states(ONBOARDING, pm_id)["onboarding-quiz"] == "done"
        assert states(ONBOARDING, pm_id)["draft-first-charter"] == "available"


def test_a_quiz_pass_completes_the_reached_quiz_step_of_every_track_using_it(app, people):
    pm_id = people["pm"]
    with app.app_context():
        finish(pm_id, ONBOARDING, people["lead"], until=9)
        assert states(ONBOARDING, pm_id)["onboarding-quiz"] == "available"
        pass_quiz(pm_id, "some-other-quiz")
        assert states(ONBOARDING, pm_id)["onboarding-quiz"] == "available"
        pass_quiz(pm_id, "onboarding-essentials")
        assert states(ONBOARDING, pm_id)["onboarding-quiz"] == "done"


def test_a_practice_task_is_approved_or_sent_back_by_a_lead(app, people):
    pm_id = people["pm"]
    with app.app_context():
        finish(pm_id, ONBOARDING, people["lead"], until=10)
        pm = person(pm_id)
        with pytest.raises(InvalidInput, match="Write your answer or give a link"):
            services.submit(pm, ONBOARDING, "draft-first-charter", "  ", "")
        with pytest.raises(InvalidInput, match="full web address"):
            services.submit(pm, ONBOARDING, "draft-first-charter", "", "javascript:alert(1)")
        first = services.submit(pm, ONBOARDING, "draft-first-charter", "My charter draft.", "")
        assert states(ONBOARDING, pm_id)["draft-first-charter"] == "review"
        with pytest.raises(Conflict, match="still awaiting review"):
            services.submit(pm, ONBOARDING, "draft-first-charter", "Again.", "")
        with pytest.raises(InvalidInput, match="goes back with a comment"):
            services.review(person(people["lead"]), first.id, False, "")
        services.review(person(people["lead"]), first.id, False, "Add the tolerances.")
        assert states(ONBOARDING, pm_id)["draft-first-charter"] == "available"
        with pytest.raises(Conflict, match="already been reviewed"):
            services.review(person(people["lead"]), first.id, True, "")
        second = services.submit(pm, ONBOARDING, "draft-first-charter", "With tolerances.",
                                 "https://docs.example.org/charter")
        services.review(person(people["lead"]), second.id, True, "Good.")
        assert states(ONBOARDING, pm_id)["draft-first-charter"] == "done"
        db.session.commit()


def test_a_mentor_session_step_completes_on_a_sign_off_for_its_competency(app, people):
    pm_id = people["pm"]
    with app.app_context():
        finish(pm_id, ONBOARDING, people["lead"], until=11)
        for listener in registry().mentor_signoff_listeners:
            listener(pm_id, "risk-management", people["mentor"])
        assert states(ONBOARDING, pm_id)["charter-walkthrough"] == "available"  # on governance, not risk
        for listener in registry().mentor_signoff_listeners:
            listener(pm_id, "governance", people["mentor"])
        assert states(ONBOARDING, pm_id)["charter-walkthrough"] == "done"


def test_completing_every_step_issues_a_certificate_and_records_evidence(app, people):
    pm_id = people["pm"]
    with app.app_context():
        finish(pm_id, ONBOARDING, people["lead"])
        progress = services.progress(services.get_track(ONBOARDING), pm_id)
        assert progress.completed and progress.done == progress.total
        cert = db.session.scalar(db.select(Certificate).where(Certificate.person_id == pm_id))
        assert re.fullmatch(r"[0-9A-F]{4}(-[0-9A-F]{4}){3}", cert.code)
        assert cert.person_name == "Priya Patel"
        evidence = {code: (source, level) for code, source, level in db.session.execute(
            db.select(Competency.code, Evidence.source, Evidence.level).join(Competency)
            .where(Evidence.person_id == pm_id))}
        assert evidence == {"governance": ("track", 2), "risk-management": ("track", 2), "communication": ("track", 2)}
        with pytest.raises(Conflict, match="completed this track"):
            services.leave(person(pm_id), ONBOARDING)


def test_a_lead_or_mentor_reviews_and_nobody_else(app, people, client):
    pm_id = people["pm"]
    with app.app_context():
        finish(pm_id, ONBOARDING, people["lead"], until=10)
        submission = services.submit(person(pm_id), ONBOARDING, "draft-first-charter", "Charter draft text.", "")
        db.session.commit()
        sid = submission.id
    url = f"/tracks/submissions/{sid}"
    for email, get_status in (("pm@example.org", 200), ("peer@example.org", 403), ("other.lead@example.org", 403),
                              ("mentor@example.org", 403)):
        c = app.test_client()
        c.login(email)
        assert c.get(url).status_code == get_status, email
        token = c.csrf_token("/tracks")
        assert c.post(url, data={"csrf_token": token, "approve": "Approve"}).status_code == 403, email
    registry(app).is_active_mentor = lambda mentor_id, mentee_id: (mentor_id, mentee_id) == (people["mentor"], pm_id)
    c = app.test_client()
    c.login("mentor@example.org")
    assert "Charter draft text" in c.get(url).get_data(as_text=True)
    assert "Priya Patel" in c.get("/tracks/reviews").get_data(as_text=True)
    lead = app.test_client()
    lead.login("lead@example.org")
    assert "Priya Patel" in lead.get("/tracks/reviews").get_data(as_text=True)
    response = lead.submit(url, {"approve": "Approve", "comment": ""})
    assert response.status_code == 302
    with app.app_context():
        assert states(ONBOARDING, pm_id)["draft-first-charter"] == "done"


def test_the_document_page_marks_a_read_step_for_the_enrolled_reader(app, people, client):
    client.login("pm@example.org")
    page = "/library/practices/pm-onboarding-checklist"
    assert "Mark as read for" not in client.get(page).get_data(as_text=True)
    client.submit(f"/tracks/{ONBOARDING}/enrol", page=f"/tracks/{ONBOARDING}")
    html = client.get(page).get_data(as_text=True)
    assert "Mark as read for New PM onboarding" in html
    later = client.get("/library/methodologies/stage-gate-governance").get_data(as_text=True)
    assert "complete its earlier steps first" in later and "Mark as read for" not in later
    response = client.submit(f"/tracks/{ONBOARDING}/steps/read-onboarding-checklist/read",
                             {"next": page}, page=page)
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    assert "Mark as read for" not in client.get(page).get_data(as_text=True)
    with app.app_context():
        assert states(ONBOARDING, people["pm"])["read-onboarding-checklist"] == "done"
    assert "Mark as read for" in client.get("/library/methodologies/stage-gate-governance").get_data(as_text=True)


def _count_queries(app, fn) -> int:
    with app.app_context():
        count = 0

        def counter(*args):
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count


def test_the_document_panel_costs_one_query_however_many_tracks(app, people):
    pm_id = people["pm"]
    with app.app_context():
        services.enrol(person(pm_id), ONBOARDING)
        db.session.commit()
    _count_queries(app, lambda: services.document_panel(person(pm_id), "templates/risk-register"))  # warm
    one = _count_queries(app, lambda: services.document_panel(person(pm_id), "templates/risk-register"))
    with app.app_context():
        for slug in ("agile-delivery", "stakeholder-leadership"):
            services.enrol(person(pm_id), slug)
        db.session.commit()
    many = _count_queries(app, lambda: services.document_panel(person(pm_id), "practices/escalation"))
    # The person, the content generation (read once per request), and the one query.
    assert one == many == 3
    # A document that no track reads costs no query of its own.
    assert _count_queries(app, lambda: services.document_panel(person(pm_id), "practices/benefits-realisation")) == 2
    with app.app_context():
        assert services.document_panel(person(pm_id), "practices/benefits-realisation") is None
        assert services.document_panel(person(pm_id), "practices/escalation") is not None


def test_certificate_pages_for_the_owner_and_public_verification(app, people, client):
    with app.app_context():
        finish(people["pm"], ONBOARDING, people["lead"])
        code = db.session.scalar(db.select(Certificate.code))
    client.login("pm@example.org")
    html = client.get(f"/tracks/{ONBOARDING}/certificate").get_data(as_text=True)
    assert "Priya Patel" in html and code in html and "certificate.css" in html
    anonymous = app.test_client()
    page = anonymous.get(f"/certificates/{code}")
    assert page.status_code == 200 and "genuine" in page.get_data(as_text=True)
    assert anonymous.get("/certificates/0000-0000-0000-0000").status_code == 404
    peer = app.test_client()
    peer.login("peer@example.org")
    assert peer.get(f"/tracks/{ONBOARDING}/certificate").status_code == 404


def test_catalogue_filters_and_recommends_from_gaps(app, people, client):
    from coe.competency import profile

    with app.app_context():
        profile.self_assess(person(people["pm"]), "stakeholder-engagement", 1)
        db.session.commit()
    client.login("pm@example.org")
    html = client.get("/tracks").get_data(as_text=True)
    assert "Recommended for you" in html and "Stakeholder leadership" in html
    filtered = client.get("/tracks?competency=agile-delivery").get_data(as_text=True)
    assert "Agile delivery" in filtered and "Stakeholder leadership" not in filtered.split("track-list", 1)[-1]
    senior = client.get("/tracks?role=senior-pm").get_data(as_text=True).split("track-list", 1)[-1]
    assert "Agile delivery" in senior and "Risk management" not in senior


def test_home_shows_the_next_step_or_a_recommended_track_to_enrol_in(app, people, client):
    client.login("pm@example.org")
    home = client.get("/").get_data(as_text=True)
    assert "Your next step" in home and "Enrol" in home
    client.submit(f"/tracks/{ONBOARDING}/enrol", page="/")
    home = client.get("/").get_data(as_text=True)
    assert "Next:" in home and "0 of 12 done" in home


def test_search_finds_tracks_as_their_own_kind(app, pm_client):
    from coe.library.services import refresh_index

    with app.app_context():
        refresh_index()
    html = pm_client.get("/search?q=risk&kind=tracks").get_data(as_text=True)
    assert "Risk management" in html and "/tracks/risk-management" in html


def test_team_section_counts_progress_and_who_is_stuck(app, people):
    import datetime as dt

    with app.app_context():
        finish(people["pm"], ONBOARDING, people["lead"])
        finish(people["peer"], ONBOARDING, people["lead"], until=2)
        old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)
        db.session.execute(db.update(StepCompletion).where(StepCompletion.person_id == people["peer"])
                           .values(completed_at=old))
        db.session.commit()
        ids = [people["pm"], people["peer"], people["lead"]]
        count = _count_queries(app, lambda: services.team_section(ids))
        stats = services.team_section(ids)["stats"]
        onboarding = next(s for s in stats if s.slug == ONBOARDING)
        assert (onboarding.enrolled, onboarding.in_progress, onboarding.completed) == (2, 1, 1)
        assert onboarding.median_days == 0.0
        assert [(pid, name) for pid, name, _ in onboarding.stuck] == [(people["peer"], "Person 2")]
        title, header, rows = services.team_sheet(ids)
        assert header[0] == "Track" and rows[0][0].startswith("New PM onboarding")
        assert count == 2


def test_the_demo_has_people_at_every_stage_certificates_and_a_task_to_review(app):
    from coe.demo import seed_demo
    from coe.training.models import Enrolment, StepSubmission

    with app.app_context():
        seed_demo("a demo password for tests")
        db.session.commit()
        enrolments = list(db.session.scalars(db.select(Enrolment)))
        assert len(enrolments) >= 15
        assert sum(1 for e in enrolments if e.completed_at) >= 4
        assert db.session.scalar(db.select(db.func.count(Certificate.id))) >= 4
        pending = db.session.scalars(db.select(StepSubmission).where(StepSubmission.state == "submitted")).all()
        assert len(pending) == 1 and pending[0].step.kind == "task"
        stats = services.team_stats(list(db.session.scalars(db.select(Person.id))))
        assert any(s.stuck for s in stats) and any(s.median_days for s in stats)
    client = app.test_client()
    client.login("lead@example.org", "a demo password for tests")
    assert "Ben Carter" in client.get("/tracks/reviews").get_data(as_text=True)
    pm = app.test_client()
    pm.login("pm@example.org", "a demo password for tests")
    assert "Next:" in pm.get("/").get_data(as_text=True)


def test_two_tabs_submitting_at_once_leave_one_submission_awaiting_review(app, people):
    from sqlalchemy.exc import IntegrityError

    from coe.training.models import StepSubmission

    pm_id = people["pm"]
    with app.app_context():
        finish(pm_id, ONBOARDING, people["lead"], until=10)
        first = services.submit(person(pm_id), ONBOARDING, "draft-first-charter", "From the first tab.", "")
        db.session.commit()
        # The second tab read the state before the first one wrote: the database refuses the twin.
        with pytest.raises(IntegrityError):
            with db.session.begin_nested():
                db.session.add(StepSubmission(person_id=pm_id, step_id=first.step_id, text="From the second tab.",
                                              state="submitted"))
        db.session.rollback()
        services.review(person(people["lead"]), first.id, False, "Add the tolerances.")
        services.submit(person(pm_id), ONBOARDING, "draft-first-charter", "Revised.", "")  # allowed again
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count(StepSubmission.id))) == 2


def test_the_dashboard_names_the_five_longest_idle_per_track_and_counts_the_rest(app):
    from flask import render_template

    stuck = [(n, f"Person {n}", 20 + n) for n in range(7)]
    stuck.sort(key=lambda entry: (-entry[2], entry[1]))
    stats = [services.TrackStats(ONBOARDING, "New PM onboarding", 9, 7, 2, 12.0, stuck)]
    with app.test_request_context():
        html = render_template("training/_team_section.html",
                               section={"stats": stats, "stuck_days": services.STUCK_DAYS, "shown": 5})
    assert "Person 6 (26 d), Person 5 (25 d), Person 4 (24 d), Person 3 (23 d), Person 2 (22 d)" in html
    assert "Person 1 " not in html and "and 2 more (in the Excel export)" in html
