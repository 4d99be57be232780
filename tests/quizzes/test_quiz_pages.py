"""The quiz pages as a learner uses them, the GIFT export command, and the lead's dashboard section."""

from __future__ import annotations

import datetime as dt
import random
import re

from sqlalchemy import event, select

from coe.auth.models import Person
from coe.extensions import db
from coe.quizzes import dashboard, services
from coe.quizzes.demo import answer_fields
from coe.quizzes.gift import parse_gift
from coe.quizzes.models import QuizAttempt
from coe.quizzes.questions import from_dict


def fields(attempt: QuizAttempt, right: bool) -> dict[str, list[str]]:
    rng = random.Random(3)
    out: dict[str, list[str]] = {}
    for row in services.attempt_questions(attempt):
        out.update(answer_fields(row, from_dict(row.data), right, rng))
    return out


def answers_for(app, attempt_id: int, right: bool) -> dict[str, list[str]]:
    with app.app_context():
        return fields(db.session.get(QuizAttempt, attempt_id), right)


def test_a_learner_takes_a_quiz_and_reads_the_review(app, pm_client):
    listing = pm_client.get("/quizzes").get_data(as_text=True)
    assert "Onboarding essentials" in listing and "Change control and governance" in listing
    intro = pm_client.get("/quizzes/onboarding-essentials").get_data(as_text=True)
    assert "Pass mark: 75%" in intro and "Start an attempt" in intro
    started = pm_client.submit("/quizzes/onboarding-essentials/start", {"start": "y"},
                               page="/quizzes/onboarding-essentials")
    assert started.status_code == 302
    path = started.headers["Location"]
    attempt_id = int(re.search(r"/attempts/(\d+)", path).group(1))
    page = pm_client.get(path).get_data(as_text=True)
    assert "Question 1" in page and "Submit for grading" in page
    saved = pm_client.submit(path, {**answers_for(app, attempt_id, True), "save": "y"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(path)
    assert 'checked' in pm_client.get(path).get_data(as_text=True)  # the saved answers come back
    done = pm_client.submit(path, {"finish": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/review")
    review = pm_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "100.0%" in review and "Passed" in review and "Explanation." in review
    again = pm_client.submit(path, {**answers_for(app, attempt_id, False), "finish": "y"}, page="/account")  # a replay
    assert again.status_code == 302
    assert "100.0%" in pm_client.get(done.headers["Location"]).get_data(as_text=True)
    assert pm_client.get(path).status_code == 302  # a submitted attempt opens as its review


def test_the_review_hides_answers_until_passing_when_the_quiz_says_so(app, pm_client):
    started = pm_client.submit("/quizzes/risk-essentials/start", {"start": "y"}, page="/quizzes/risk-essentials")
    path = started.headers["Location"]
    attempt_id = int(re.search(r"/attempts/(\d+)", path).group(1))
    done = pm_client.submit(path, {**answers_for(app, attempt_id, False), "finish": "y"})
    review = pm_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Not passed" in review and "once you have passed" in review
    assert "Explanation." not in review and "Right answer" not in review


def test_a_start_beyond_the_rules_is_refused_with_the_reason(app, pm_client):
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.email == "pm@example.org"))
        attempt = services.start_attempt(person, "risk-essentials")
        services.submit_attempt(person, attempt.id, {})
        db.session.commit()
    intro = pm_client.get("/quizzes/risk-essentials").get_data(as_text=True)
    assert "after the waiting time" in intro and "Start an attempt" not in intro
    refused = pm_client.submit("/quizzes/risk-essentials/start", {"start": "y"}, page="/quizzes/onboarding-essentials")
    assert refused.status_code == 400 and "after the waiting time" in refused.get_data(as_text=True)


def test_someone_elses_attempt_is_not_found(app, client, make_person):
    owner = make_person("owner@example.org")
    make_person("nosy@example.org", admin=True)
    with app.app_context():
        attempt = services.start_attempt(db.session.get(Person, owner), "onboarding-essentials")
        db.session.commit()
        attempt_id = attempt.id
    client.login("nosy@example.org")
    base = f"/quizzes/onboarding-essentials/attempts/{attempt_id}"
    assert client.get(base).status_code == 404
    assert client.get(base + "/review").status_code == 404
    assert client.submit(base, {"finish": "y"}, page="/quizzes").status_code == 404
    assert client.get(f"/quizzes/risk-essentials/attempts/{attempt_id}").status_code == 404


def test_an_unknown_quiz_is_not_found(pm_client):
    assert pm_client.get("/quizzes/no-such-quiz").status_code == 404


def test_export_writes_gift_that_imports_as_the_same_questions(app, runner, tmp_path):
    result = runner.invoke(args=["quizzes", "export", "risk-essentials", "--format", "gift"])
    assert result.exit_code == 0, result.output
    exported = parse_gift(result.output)
    assert not exported.problems
    with app.app_context():
        stored = services.definitions(services.get_quiz("risk-essentials"))
    assert [q.to_dict() | {"name": ""} for q in exported.questions] == [q.to_dict() | {"name": ""} for q in stored]
    assert exported.title.startswith("Risk essentials")
    target = tmp_path / "change.gift"
    result = runner.invoke(args=["quizzes", "export", "change-and-governance", "--output", str(target)])
    assert result.exit_code == 0
    gift = parse_gift(target.read_text())
    with app.app_context():
        assert gift.questions == services.definitions(services.get_quiz("change-and-governance"))
    missing = runner.invoke(args=["quizzes", "export", "no-such-quiz"])
    assert missing.exit_code != 0 and "no quiz" in missing.output


def _count_queries(app):
    queries = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: queries.append(args[2]))
    return queries


def test_the_team_section_counts_attempts_pass_rate_and_wrong_answers_in_constant_queries(app, make_person):
    ids = [make_person(f"pm{n}@example.org") for n in range(6)]
    with app.test_request_context():
        when = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
        for n, person_id in enumerate(ids):
            person = db.session.get(Person, person_id)
            attempt = services.start_attempt(person, "onboarding-essentials", when)
            services.submit_attempt(person, attempt.id, fields(attempt, n % 2 == 0), when)
        db.session.commit()
        lines = dashboard.quiz_lines(ids)
        assert len(lines) == 1
        line = lines[0]
        assert (line.people, line.attempts, line.passed, line.pass_rate) == (6, 6, 3, 50)
        assert len(line.wrong) == 3 and all(times == 3 for _, times in line.wrong)
        title, header, rows = dashboard.team_sheet(ids)
        assert title == "Quiz results" and rows[0][:5] == [line.title, 6, 6, 3, 50]
        assert dashboard.team_context([]) is None
        counts = []
        for group in (ids[:2], ids):
            queries = []
            listener = lambda *args: queries.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            dashboard.quiz_lines(group)
            event.remove(db.engine, "before_cursor_execute", listener)
            counts.append(len(queries))
        assert counts[0] == counts[1] <= 4
        html = app.jinja_env.get_template("quizzes/_team_section.html").render(**dashboard.team_context(ids))
        assert "50%" in html and "Onboarding essentials" in html
