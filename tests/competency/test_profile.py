"""A PM's competency profile: self-assessment, validation, evidence, gaps, plan, goals and who may see what."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from coe.auth.models import Person
from coe.competency.models import Competency, Evidence, Goal, Rating, RoleProfileChange
from coe.extensions import db


@pytest.fixture
def people(make_person, make_team):
    """A team with a lead and two PMs, another team's lead, and an admin."""
    team = make_team("Digital Delivery")
    other = make_team("Finance Transformation")
    return {
        "pm": make_person("pm@example.org", team_id=team, role_profile="pm"),
        "peer": make_person("peer@example.org", team_id=team, role_profile="associate-pm"),
        "lead": make_person("lead@example.org", team_id=team, role_profile="program-manager", leads=(team,)),
        "other_lead": make_person("other.lead@example.org", team_id=other, leads=(other,)),
        "mentor": make_person("mentor@example.org", team_id=other, mentor=True, role_profile="senior-pm"),
        "admin": make_person("admin@example.org", admin=True),
    }


def signed_in(app, email):
    client = app.test_client()
    client.login(email)
    return client


def rate(client, path, competency="risk-management", level=2, **extra):
    return client.submit(path, {"rating-competency": competency, "rating-level": str(level),
                                "rating-note": "Ran the risk review on the CRM migration.", "rating-rate": "y",
                                **extra})


def ratings(app, person_id):
    with app.app_context():
        return [(r.level, r.source) for r in db.session.scalars(
            db.select(Rating).where(Rating.person_id == person_id).order_by(Rating.id))]


def test_a_pm_self_assesses_and_sees_the_level_marked_self_assessed(app, people):
    pm = signed_in(app, "pm@example.org")
    response = rate(pm, "/me/competencies", level=2)
    assert response.status_code == 302
    page = pm.get("/me/competencies").get_data(as_text=True)
    assert "2 Foundation" in page and "self-assessed" in page
    assert ratings(app, people["pm"]) == [(2, "self")]


def test_the_lead_validates_and_the_validated_level_counts_and_flags_calibration(app, people):
    pm = signed_in(app, "pm@example.org")
    rate(pm, "/me/competencies", level=4)
    lead = signed_in(app, "lead@example.org")
    response = rate(lead, f"/people/{people['pm']}/competencies", level=2, **{"rating-as_role": "lead"})
    assert response.status_code == 302
    assert ratings(app, people["pm"]) == [(4, "self"), (2, "lead")]
    page = pm.get("/me/competencies").get_data(as_text=True)
    assert "validated" in page and "Calibration:" in page and "(4 against 2)" in page


def test_ratings_are_history_a_correction_is_a_new_rating(app, people):
    pm = signed_in(app, "pm@example.org")
    for level in (2, 3, 2):
        rate(pm, "/me/competencies", level=level)
    assert ratings(app, people["pm"]) == [(2, "self"), (3, "self"), (2, "self")]
    page = pm.get("/me/competencies").get_data(as_text=True)
    history = page.split('id="history"', 1)[1]
    assert history.count("self-assessment") == 3


@pytest.mark.parametrize("form, message", [
    ({"rating-level": "6"}, "Not a valid choice"),
    ({"rating-competency": "juggling"}, "Not a valid choice"),
    ({"rating-evidence_url": "javascript:alert(1)"}, "must be a web address"),
    ({"rating-note": "x" * 2001}, "Field cannot be longer than 2000 characters"),
])
def test_bad_ratings_are_refused_with_a_reason_and_nothing_is_written(app, people, form, message):
    pm = signed_in(app, "pm@example.org")
    response = pm.submit("/me/competencies", {"rating-competency": "risk-management", "rating-level": "2",
                                              "rating-rate": "y", **form})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert ratings(app, people["pm"]) == []


def test_a_pm_cannot_see_or_rate_another_pm(app, people):
    pm = signed_in(app, "pm@example.org")
    assert pm.get(f"/people/{people['peer']}/competencies").status_code == 403
    assert pm.get(f"/people/{people['peer']}/competencies/radar/ways-of-working.svg").status_code == 403
    assert rate(pm, f"/people/{people['peer']}/competencies", page="/me/competencies").status_code == 403
    assert ratings(app, people["peer"]) == []


def test_a_lead_sees_and_rates_only_their_own_team(app, people):
    lead = signed_in(app, "lead@example.org")
    assert lead.get(f"/people/{people['peer']}/competencies").status_code == 200
    other_lead = signed_in(app, "other.lead@example.org")
    assert other_lead.get(f"/people/{people['peer']}/competencies").status_code == 403
    assert rate(other_lead, f"/people/{people['peer']}/competencies", page="/me/competencies").status_code == 403
    assert ratings(app, people["peer"]) == []


def test_a_mentor_without_an_active_mentorship_gets_403(app, people):
    mentor = signed_in(app, "mentor@example.org")
    assert mentor.get(f"/people/{people['pm']}/competencies").status_code == 403


def test_an_admin_sees_anyone_and_a_forged_person_id_is_404(app, people):
    admin = signed_in(app, "admin@example.org")
    assert admin.get(f"/people/{people['pm']}/competencies").status_code == 200
    assert admin.get("/people/999999/competencies").status_code == 404


def test_nobody_validates_their_own_competencies(app, people):
    lead = signed_in(app, "lead@example.org")
    assert lead.get(f"/people/{people['lead']}/competencies").status_code == 302  # their own page
    assert "Validate a rating" not in lead.get("/me/competencies").get_data(as_text=True)


def test_evidence_is_recorded_once_and_shown_to_whoever_validates(app, people):
    from coe.competency.profile import record_evidence

    with app.app_context():
        first = record_evidence(people["pm"], "risk-management", "quiz", 2, "Risk essentials quiz passed",
                                "/quizzes/risk-essentials", "quiz:risk-essentials")
        again = record_evidence(people["pm"], "risk-management", "quiz", 2, "Risk essentials quiz passed",
                                "/quizzes/risk-essentials", "quiz:risk-essentials")
        db.session.commit()
        assert first is not None and again is None
        assert db.session.scalar(db.select(db.func.count(Evidence.id))) == 1
    page = signed_in(app, "lead@example.org").get(f"/people/{people['pm']}/competencies").get_data(as_text=True)
    assert "Quiz passed" in page and "Risk essentials quiz passed" in page


def test_the_plan_lists_what_builds_each_gap_and_a_goal_reaches_the_home_page(app, people):
    pm = signed_in(app, "pm@example.org")
    page = pm.get("/me/competencies").get_data(as_text=True)
    plan = page.split('id="plan"', 1)[1].split('id="goals"', 1)[0]
    risk = plan.split("Risk management <span", 1)[1].split("<h3", 1)[0]  # the heading, not a track named so
    assert risk.count('href="/library/') >= 3
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    # One form per gap: the plan's items to choose from, a date.
    form = risk.split('<form', 1)[1].split("</form>", 1)[0]
    assert 'value="/library/templates/risk-register"' in form and 'name="target_date"' in form
    response = pm.submit("/me/competencies/goals", {"competency": "risk-management",
                                                   "url": "/library/templates/risk-register",
                                                   "target_date": due}, page="/me/competencies")
    assert response.status_code == 302
    home = pm.get("/").get_data(as_text=True)
    assert "Your goals" in home and "Risk Register" in home
    with app.app_context():
        goal = db.session.scalar(db.select(Goal))
    pm.submit(f"/me/competencies/goals/{goal.id}/done", page="/me/competencies")
    assert "Your goals" not in pm.get("/").get_data(as_text=True)


def test_a_goal_in_the_past_is_refused(app, people):
    pm = signed_in(app, "pm@example.org")
    response = pm.submit("/me/competencies/goals", {"competency": "risk-management",
                                                   "url": "/library/templates/risk-register",
                                                   "target_date": "2020-01-01"}, page="/me/competencies")
    assert response.status_code == 400 and "target date from today on" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["//evil.example/phish", "/\\evil.example", "javascript:alert(1)",
                                 "/library\r\nx", "/library/templates/status-report", ""])
def test_a_goal_is_only_an_item_of_the_plan_for_that_competency(app, people, url):
    """Off-site tricks, an item the plan lists for another competency, or none at all: refused, nothing saved."""
    pm = signed_in(app, "pm@example.org")
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    response = pm.submit("/me/competencies/goals", {"competency": "risk-management", "url": url, "target_date": due},
                         page="/me/competencies")
    assert response.status_code == 400
    assert ("Pick one of the items" in response.get_data(as_text=True)
            or "Pick an item of the plan" in response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Goal)) == 0


def test_a_lead_promotes_a_pm_and_the_targets_move_with_the_profile(app, people):
    lead = signed_in(app, "lead@example.org")
    before = lead.get(f"/people/{people['peer']}/competencies").get_data(as_text=True)
    assert "Associate Project Manager" in before
    response = lead.submit(f"/people/{people['peer']}/competencies",
                           {"role-role_profile": "pm", "role-change_profile": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Person, people["peer"]).role_profile == "pm"
        change = db.session.scalar(db.select(RoleProfileChange))
        assert (change.from_profile, change.to_profile) == ("associate-pm", "pm")
    after = lead.get(f"/people/{people['peer']}/competencies").get_data(as_text=True)
    assert "against the <strong>Project Manager</strong> profile".lower() in after.lower()


def test_a_pm_cannot_change_their_own_profile(app, people):
    pm = signed_in(app, "pm@example.org")
    assert "Change the role profile" not in pm.get("/me/competencies").get_data(as_text=True)


def test_the_framework_page_shows_the_viewers_target_and_level(app, people):
    pm = signed_in(app, "pm@example.org")
    rate(pm, "/me/competencies", level=2)
    page = pm.get("/competencies").get_data(as_text=True)
    risk = page.split('id="risk-management"', 1)[1]
    assert "level 2 Foundation (self-assessed)" in risk.split("</article>")[0]
    assert "your target 3 Practitioner" in risk.split("</article>")[0]
    assert 'href="#area-ways-of-working"' in page


def test_the_radar_is_an_svg_of_the_area(app, people):
    response = signed_in(app, "pm@example.org").get("/me/competencies/radar/power-skills.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert "<svg" in svg and "Stakeholder engagement" in svg and "<script" not in svg


def count_queries(app, fn) -> int:
    with app.app_context():
        engine = db.engine
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def test_the_profile_page_costs_a_fixed_number_of_queries_however_long_the_history(app, people):
    pm = signed_in(app, "pm@example.org")

    def rate(months: range) -> None:
        # Levels 1 and 2 only: both pages show open gaps, so they do the same work but for the history.
        with app.app_context():
            competencies = db.session.scalars(db.select(Competency)).all()
            start = dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)
            db.session.execute(db.insert(Rating), [
                {"person_id": people["pm"], "competency_id": c.id, "level": 1 + month % 2,
                 "source": "self" if month % 2 else "lead", "rated_by_id": people["lead"], "note": "",
                 "evidence_url": "", "created_at": start + dt.timedelta(days=30 * month)}
                for c in competencies for month in months])
            db.session.commit()

    rate(range(1))
    pm.get("/me/competencies")  # what builds each competency is read once per content generation
    short = count_queries(app, lambda: pm.get("/me/competencies"))
    rate(range(1, 60))
    with app.app_context():
        first_competency = db.session.scalars(db.select(Competency).order_by(Competency.id)).first()
        code, name = first_competency.code, first_competency.name
    long_page = pm.get("/me/competencies").get_data(as_text=True)
    long = count_queries(app, lambda: pm.get("/me/competencies"))
    assert long == short <= 20
    # The page shows the newest entries of each competency and links to the rest, a page at a time.
    assert f"All 60 entries of {name}" in long_page
    first = pm.get(f"/me/competencies?history={code}").get_data(as_text=True)
    last = pm.get(f"/me/competencies?history={code}&page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Page 2 of 2" in last
    assert "1 Jan 2021" in last and "1 Jan 2021" not in first  # the oldest rating is on the last page
    assert pm.get("/me/competencies?history=no-such-competency").status_code == 404
