"""Taking quizzes: passing, limits, waiting, time limit, double submission, shuffling, review and grading rules."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from sqlalchemy import func, select

from coe.auth.models import Person, utcnow
from coe.competency.models import Evidence
from coe.errors import Conflict, NotFound
from coe.extensions import db
from coe.quizzes import services
from coe.quizzes.demo import answer_fields
from coe.quizzes.models import Quiz, QuizAnswer, QuizAttempt, QuizPass
from coe.quizzes.questions import from_dict
from coe.registry import registry

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)


def fields(attempt: QuizAttempt, right: bool) -> dict[str, list[str]]:
    rng = random.Random(1)
    out: dict[str, list[str]] = {}
    for row in services.attempt_questions(attempt):
        out.update(answer_fields(row, from_dict(row.data), right, rng))
    return out


@pytest.fixture
def pm(ctx, make_person):
    return db.session.get(Person, make_person("learner@example.org"))


def take(person, slug, right=True, when=T0, minutes=5):
    attempt = services.start_attempt(person, slug, when)
    return services.submit_attempt(person, attempt.id, fields(attempt, right), when + dt.timedelta(minutes=minutes))


def test_passing_records_evidence_at_the_quizs_level_once_and_tells_the_tracks_once(pm, app):
    heard = []
    registry().quiz_pass_listeners.append(lambda person_id, slug: heard.append((person_id, slug)))
    quiz = services.get_quiz("onboarding-essentials")
    done = take(pm, quiz.slug)
    assert done.graded_now and done.first_pass and done.attempt.score == 100 and done.attempt.passed
    evidence = db.session.execute(select(Evidence.level, Evidence.source).where(
        Evidence.person_id == pm.id, Evidence.ref == "quiz:onboarding-essentials")).all()
    assert sorted(evidence) == sorted((link.level, "quiz") for link in quiz.competencies)
    assert heard == [(pm.id, "onboarding-essentials")]
    assert registry().quiz_passed(pm.id, "onboarding-essentials")
    assert not registry().quiz_passed(pm.id, "risk-essentials")
    assert registry().quiz_title("onboarding-essentials") == quiz.title
    again = take(pm, quiz.slug, when=T0 + dt.timedelta(hours=1))
    assert again.attempt.passed and not again.first_pass
    assert heard == [(pm.id, "onboarding-essentials")]
    assert db.session.scalar(select(func.count()).select_from(Evidence).where(
        Evidence.person_id == pm.id, Evidence.ref == "quiz:onboarding-essentials")) == len(quiz.competencies)


def test_a_failed_attempt_records_nothing(pm):
    done = take(pm, "onboarding-essentials", right=False)
    assert done.attempt.score == 0 and done.attempt.passed is False and not done.first_pass
    assert db.session.scalar(select(func.count()).select_from(QuizPass)) == 0
    assert not services.quiz_passed(pm.id, "onboarding-essentials")


def test_the_same_submission_twice_is_graded_once_and_cannot_change(pm):
    attempt = services.start_attempt(pm, "onboarding-essentials", T0)
    first = services.submit_attempt(pm, attempt.id, fields(attempt, False), T0 + dt.timedelta(minutes=3))
    replay = services.submit_attempt(pm, attempt.id, fields(attempt, True), T0 + dt.timedelta(minutes=4))
    assert first.graded_now and not replay.graded_now
    assert replay.attempt.score == first.attempt.score == 0
    answers = db.session.scalar(select(func.count()).select_from(QuizAnswer).where(QuizAnswer.attempt_id == attempt.id))
    assert answers == sum(1 for row in services.attempt_questions(attempt) if row.graded)
    with pytest.raises(Conflict, match="cannot be changed"):
        services.save_answers(pm, attempt.id, fields(attempt, True), T0 + dt.timedelta(minutes=5))


def test_a_stale_copy_of_an_open_attempt_cannot_grade_it_again(pm, app):
    """Two requests that both read the attempt as open: the database lets one grade it."""
    attempt = services.start_attempt(pm, "onboarding-essentials", T0)
    db.session.commit()
    services.submit_attempt(pm, attempt.id, fields(attempt, True), T0 + dt.timedelta(minutes=1))
    db.session.commit()
    stale = db.session.get(QuizAttempt, attempt.id)
    stale.state = "open"  # what a request that read the row before the commit still believes
    db.session.expunge(stale)
    from sqlalchemy import update
    changed = db.session.execute(update(QuizAttempt).where(QuizAttempt.id == attempt.id, QuizAttempt.state == "open")
                                 .values(score=0)).rowcount
    assert changed == 0
    assert db.session.get(QuizAttempt, attempt.id).score == 100


def test_attempts_allowed_are_enforced(pm):
    quiz = services.get_quiz("risk-essentials")
    assert quiz.attempts_allowed == 3
    when = T0
    for _ in range(3):
        take(pm, quiz.slug, right=False, when=when)
        when += dt.timedelta(minutes=quiz.wait_minutes + 10)
    with pytest.raises(Conflict, match="used all 3 attempts"):
        services.start_attempt(pm, quiz.slug, when)


def test_waiting_time_between_attempts(pm):
    quiz = services.get_quiz("risk-essentials")
    done = take(pm, quiz.slug, right=False, minutes=5)
    submitted = T0 + dt.timedelta(minutes=5)
    with pytest.raises(Conflict, match="waiting time"):
        services.start_attempt(pm, quiz.slug, submitted + dt.timedelta(minutes=quiz.wait_minutes - 1))
    assert services.standing(pm, quiz, submitted).next_start == submitted + dt.timedelta(minutes=quiz.wait_minutes)
    again = services.start_attempt(pm, quiz.slug, submitted + dt.timedelta(minutes=quiz.wait_minutes))
    assert again.number == done.attempt.number + 1


def test_reopening_the_start_returns_the_attempt_in_progress(pm):
    first = services.start_attempt(pm, "onboarding-essentials", T0)
    assert services.start_attempt(pm, "onboarding-essentials", T0 + dt.timedelta(minutes=2)).id == first.id


def test_answers_after_the_time_limit_and_grace_are_not_counted(pm):
    quiz = services.get_quiz("risk-essentials")
    limit = dt.timedelta(minutes=quiz.time_limit_minutes)
    attempt = services.start_attempt(pm, quiz.slug, T0)
    assert attempt.deadline_at == T0 + limit
    right = fields(attempt, True)
    some = dict(list(right.items())[:3])
    services.save_answers(pm, attempt.id, some, T0 + limit - dt.timedelta(minutes=1))
    with pytest.raises(Conflict, match="time limit has passed"):
        services.save_answers(pm, attempt.id, right, T0 + limit + services.GRACE + dt.timedelta(seconds=1))
    done = services.submit_attempt(pm, attempt.id, right, T0 + limit + services.GRACE + dt.timedelta(seconds=1))
    assert done.late and not done.attempt.passed
    assert 0 < done.attempt.score < 100


def test_answers_within_the_grace_count(pm):
    quiz = services.get_quiz("risk-essentials")
    attempt = services.start_attempt(pm, quiz.slug, T0)
    done = services.submit_attempt(pm, attempt.id, fields(attempt, True),
                                   T0 + dt.timedelta(minutes=quiz.time_limit_minutes) + services.GRACE)
    assert not done.late and done.attempt.score == 100


def test_an_expired_attempt_is_graded_on_its_saved_answers_when_the_next_starts(pm):
    quiz = services.get_quiz("risk-essentials")
    attempt = services.start_attempt(pm, quiz.slug, T0)
    later = T0 + dt.timedelta(minutes=quiz.time_limit_minutes + quiz.wait_minutes + 5)
    with pytest.raises(Conflict, match="waiting time"):
        services.start_attempt(pm, quiz.slug, later)
    db.session.refresh(attempt)
    assert attempt.state == "submitted" and attempt.late and attempt.score == 0


def test_shuffle_and_draw_are_stable_for_an_attempt(pm, client):
    quiz = services.get_quiz("agile-essentials")
    assert quiz.draw == 10 and quiz.shuffle_questions and quiz.shuffle_answers
    attempt = services.start_attempt(pm, quiz.slug, T0)
    assert len(attempt.question_ids) == 10
    rows = services.questions_of(quiz)
    spec = [(q.id, q.graded, q.type == "description") for q in rows]
    assert services.draw_questions(spec, 10, True, attempt.seed) == attempt.question_ids
    orders = {services.draw_questions(spec, 10, True, seed)[0] for seed in range(1, 30)}
    assert len(orders) > 1  # other attempts see other questions first
    assert services.answer_order(attempt.seed, 5, 4, True) == services.answer_order(attempt.seed, 5, 4, True)
    assert services.answer_order(attempt.seed, 5, 4, False) == [0, 1, 2, 3]


def test_a_reload_of_the_attempt_page_shows_the_same_order(client, make_person, app):
    make_person("reload@example.org")
    client.login("reload@example.org")
    response = client.submit("/quizzes/agile-essentials/start", {}, page="/quizzes/agile-essentials")
    assert response.status_code == 302
    page = response.headers["Location"]
    first, second = client.get(page).get_data(as_text=True), client.get(page).get_data(as_text=True)
    assert first.count('class="form-check-input"') > 10
    def questions(html: str) -> str:  # the form's questions, without its (timestamped) CSRF token
        return re.sub(r'name="csrf_token"[^>]*>', "", html.split("<form", 2)[2])

    assert questions(first) == questions(second)


def test_descriptions_come_first_and_essays_stay_when_drawing():
    spec = [(1, True, False), (2, False, True), (3, True, False), (4, False, False), (5, True, False)]
    drawn = services.draw_questions(spec, 2, True, 7)
    assert drawn[0] == 2 and 4 in drawn and len(drawn) == 4


def test_review_shows_answers_as_the_quiz_says(pm):
    risk = services.get_quiz("risk-essentials")
    assert risk.review == "after_passing"
    failed = take(pm, risk.slug, right=False)
    _, items, shows = services.review(pm, failed.attempt.id)
    assert not shows and all(item.feedback == [] for item in items)
    take(pm, risk.slug, right=True, when=T0 + dt.timedelta(hours=2))
    assert services.review(pm, failed.attempt.id)[2]  # once passed, earlier attempts show their answers too
    assert services.review_shows_answers(Quiz(review="immediately"), False)
    assert not services.review_shows_answers(Quiz(review="never"), True)


def test_grading_method_highest_or_last():
    attempts = [QuizAttempt(number=1, state="submitted", score=90.0), QuizAttempt(number=2, state="submitted", score=60.0),
                QuizAttempt(number=3, state="open", score=None)]
    assert services.counted_score(attempts, "highest") == 90
    assert services.counted_score(attempts, "last") == 60
    assert services.counted_score([], "highest") is None


def test_someone_elses_attempt_is_not_found(pm, make_person):
    other = db.session.get(Person, make_person("other@example.org"))
    attempt = services.start_attempt(pm, "onboarding-essentials", T0)
    with pytest.raises(NotFound):
        services.submit_attempt(other, attempt.id, {}, T0)
    with pytest.raises(NotFound):
        services.save_answers(other, attempt.id, {}, T0)
    assert db.session.get(QuizAttempt, attempt.id).state == "open"


def test_an_unknown_quiz_cannot_be_started(pm):
    with pytest.raises(NotFound):
        services.start_attempt(pm, "no-such-quiz", utcnow())


def test_personal_data_export_and_erase_keep_the_scores(pm):
    done = take(pm, "change-and-governance", right=True)
    essay = next(row for row in services.attempt_questions(done.attempt) if row.type == "essay")
    db.session.execute(db.update(QuizAttempt).where(QuizAttempt.id == done.attempt.id).values(
        responses={**done.attempt.responses, str(essay.id): "My own change: the CRM cutover."}))
    exported = services.export_person(pm.id)
    assert exported[0]["quiz"] == "change-and-governance" and "My own change" in str(exported[0]["answers"])
    services.erase_person(pm.id)
    db.session.refresh(done.attempt)
    assert done.attempt.responses == {} and done.attempt.score == 100


def test_two_simultaneous_submissions_are_graded_once(app, make_person):
    """Two tabs (or a double click) submit at the same moment: one grades, the other finds it graded."""
    import threading

    person_id = make_person("tabs@example.org")
    with app.app_context():
        attempt = services.start_attempt(db.session.get(Person, person_id), "onboarding-essentials", T0)
        db.session.commit()
        attempt_id, answers = attempt.id, fields(attempt, True)
    barrier, outcomes, errors = threading.Barrier(2), [], []

    def submit():
        try:
            with app.app_context():
                person = db.session.get(Person, person_id)
                barrier.wait(timeout=10)
                done = services.submit_attempt(person, attempt_id, answers, T0 + dt.timedelta(minutes=2))
                db.session.commit()
                outcomes.append((done.graded_now, done.first_pass))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(outcomes) == [(False, False), (True, True)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuizPass)) == 1
        assert db.session.scalar(select(func.count()).select_from(QuizAnswer)
                                 .where(QuizAnswer.attempt_id == attempt_id)) == 13
        assert db.session.scalar(select(func.count()).select_from(Evidence)
                                 .where(Evidence.ref == "quiz:onboarding-essentials")) == len(
            services.get_quiz("onboarding-essentials").competencies)


def test_a_forged_form_cannot_answer_outside_the_choices():
    specs = [(1, "single", 0, 3), (2, "multiple", 0, 3), (3, "matching", 2, 2), (4, "truefalse", 0, 0),
             (5, "numeric", 0, 0)]
    form = {"q1": ["7"], "q2": ["0", "9", "x"], "q2_sent": ["1"], "q3_0": ["1"], "q3_1": ["5"], "q4": ["maybe"],
            "q5": ["  42 "]}
    assert services.read_responses(specs, form) == {"2": [0], "3": {"0": 1}, "5": "42"}
