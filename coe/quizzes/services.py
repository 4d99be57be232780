"""Taking quizzes: start, answer, submit, review; grading on the server, once. Services flush; callers commit."""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from coe.auth.models import Person, utcnow
from coe.content.cache import per_generation
from coe.errors import Conflict, InvalidInput, NotFound
from coe.extensions import db
from coe.quizzes.models import Quiz, QuizAnswer, QuizAttempt, QuizCompetency, QuizPass, QuizQuestion
from coe.quizzes.questions import Question, from_dict
from coe.registry import Offering, SearchChanges, SearchDocument, registry

log = logging.getLogger(__name__)

# Answers that arrive this long after the time limit still count (a slow network, a submit at the last second).
GRACE = dt.timedelta(seconds=30)
TEXT_MAX = 200
ESSAY_MAX = 10_000
EVIDENCE_REF = "quiz:{slug}"


# --- reading quizzes ----------------------------------------------------------------------


def live_quizzes(competency: str = "") -> list[Quiz]:
    stmt = select(Quiz).where(Quiz.archived_at.is_(None))
    if competency:
        stmt = stmt.where(Quiz.id.in_(select(QuizCompetency.quiz_id)
                                      .where(QuizCompetency.competency_code == competency)))
    return list(db.session.scalars(stmt.order_by(Quiz.title)))


def get_quiz(slug: str, live: bool = False) -> Quiz:
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == slug))
    if quiz is None or (live and quiz.archived_at is not None):
        raise NotFound("There is no quiz at this address. See the list of quizzes.")
    return quiz


def questions_of(quiz: Quiz) -> list[QuizQuestion]:
    return list(db.session.scalars(select(QuizQuestion).where(QuizQuestion.quiz_id == quiz.id,
                                                              QuizQuestion.archived_at.is_(None))
                                   .order_by(QuizQuestion.position)))


def definitions(quiz: Quiz) -> list[Question]:
    """The live questions as question objects, in the file's order (for export)."""
    return [from_dict(row.data) for row in questions_of(quiz)]


@per_generation(maxsize=256)
def quiz_title(slug: str) -> str | None:
    """A quiz's title (quizzes are content: read once per content generation)."""
    return db.session.scalar(select(Quiz.title).where(Quiz.slug == slug))


def quiz_passed(person_id: int, slug: str) -> bool:
    return db.session.scalar(select(func.count()).select_from(QuizPass).join(Quiz, Quiz.id == QuizPass.quiz_id)
                             .where(QuizPass.person_id == person_id, Quiz.slug == slug)) > 0


def passed_quiz_ids(person_id: int) -> set[int]:
    return set(db.session.scalars(select(QuizPass.quiz_id).where(QuizPass.person_id == person_id)))


# --- what an attempt shows, pure ------------------------------------------------------------


def draw_questions(questions: list[tuple[int, bool, bool]], draw: int, shuffle: bool, seed: int) -> list[int]:
    """Ids of the questions an attempt shows, from (id, graded, is_description) in the file's order.

    Descriptions (a scenario) come first. ``draw`` picks that many graded questions at random;
    ungraded essays always stay. The same seed always gives the same questions in the same order.
    """
    rng = random.Random(seed)
    descriptions = [qid for qid, _, is_description in questions if is_description]
    graded = [qid for qid, is_graded, _ in questions if is_graded]
    others = [qid for qid, is_graded, is_description in questions if not is_graded and not is_description]
    if draw and draw < len(graded):
        chosen = set(rng.sample(graded, draw))
        graded = [qid for qid in graded if qid in chosen]
    position = {qid: n for n, (qid, _, _) in enumerate(questions)}
    rest = sorted(graded + others, key=position.__getitem__)
    if shuffle:
        rng.shuffle(rest)
    return descriptions + rest


def answer_order(seed: int, question_id: int, count: int, shuffle: bool) -> list[int]:
    """The order in which an attempt shows a question's answers (the same on every reload)."""
    order = list(range(count))
    if shuffle:
        random.Random(f"{seed}:{question_id}").shuffle(order)
    return order


def read_responses(questions: list[tuple[int, str, int, int]], form: dict[str, list[str]]) -> dict[str, Any]:
    """Responses from a submitted form, for (id, type, items, options) of each question.

    A choice question sends ``q<id>`` with answer indices (``options`` of them); a matching
    question ``q<id>_<n>`` for each of its ``items`` left sides, with an index among its
    ``options`` right sides. Indices out of range, as only a forged form sends, are dropped.
    """
    responses: dict[str, Any] = {}

    def index(value, options: int) -> int | None:
        return int(value) if isinstance(value, str) and value.isdigit() and int(value) < options else None

    for qid, qtype, items, options in questions:
        name = f"q{qid}"
        values = [v for v in form.get(name, []) if isinstance(v, str)]
        if qtype == "single" and values and index(values[0], options) is not None:
            responses[str(qid)] = index(values[0], options)
        elif qtype == "multiple" and name + "_sent" in form:
            responses[str(qid)] = sorted({i for i in (index(v, options) for v in values) if i is not None})
        elif qtype == "truefalse" and values and values[0] in ("true", "false"):
            responses[str(qid)] = values[0] == "true"
        elif qtype in ("short", "numeric") and values:
            responses[str(qid)] = values[0].strip()[:TEXT_MAX]
        elif qtype == "essay" and values:
            responses[str(qid)] = values[0][:ESSAY_MAX]
        elif qtype == "matching":
            chosen = {str(n): i for n in range(items)
                      if (i := index((form.get(f"{name}_{n}") or [None])[0], options)) is not None}
            if chosen:
                responses[str(qid)] = chosen
    return responses


def grade(questions: dict[int, Question], question_ids: list[int], responses: dict[str, Any]) -> tuple[dict, float]:
    """Grade an attempt: (question id -> fraction or None when not graded, score in percent of the graded questions)."""
    results: dict[str, float | None] = {}
    for qid in question_ids:
        results[str(qid)] = questions[qid].grade(responses.get(str(qid))).fraction
    graded = [fraction for fraction in results.values() if fraction is not None]
    score = round(100 * sum(graded) / len(graded), 2) if graded else 0.0
    return results, score


def counted_score(attempts: list[QuizAttempt], grading: str) -> float | None:
    """The grade that counts: the highest attempt's, or the last one's."""
    done = [a for a in attempts if a.state == "submitted"]
    if not done:
        return None
    if grading == "last":
        return max(done, key=lambda a: a.number).score
    return max(a.score or 0 for a in done)


def review_shows_answers(quiz: Quiz, passed: bool) -> bool:
    return quiz.review == "immediately" or (quiz.review == "after_passing" and passed)


# --- attempts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where a person stands with a quiz: their attempts and whether (or when) they may start another."""

    attempts: list[QuizAttempt]
    open_attempt: QuizAttempt | None
    may_start: bool
    reason: str
    next_start: dt.datetime | None
    passed: bool
    score: float | None


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


def attempts_of(person_id: int, quiz_id: int) -> list[QuizAttempt]:
    return list(db.session.scalars(select(QuizAttempt).where(QuizAttempt.person_id == person_id,
                                                             QuizAttempt.quiz_id == quiz_id)
                                   .order_by(QuizAttempt.number)))


def standing(person: Person, quiz: Quiz, now: dt.datetime | None = None) -> Standing:
    now = now or utcnow()
    attempts = attempts_of(person.id, quiz.id)
    passed = quiz.id in passed_quiz_ids(person.id)
    open_attempt = next((a for a in attempts if a.state == "open"), None)
    submitted = [a for a in attempts if a.state == "submitted"]
    score = counted_score(attempts, quiz.grading)
    may, reason, next_start = True, "", None
    if quiz.archived_at is not None:
        may, reason = False, "This quiz has been withdrawn; your attempts stay here."
    elif open_attempt is not None:
        may, reason = False, "You have an attempt in progress."
    elif quiz.attempts_allowed and len(submitted) >= quiz.attempts_allowed:
        may, reason = False, f"You have used all {quiz.attempts_allowed} attempts."
    elif quiz.wait_minutes and submitted:
        last = max(_aware(a.submitted_at) for a in submitted)
        next_start = last + dt.timedelta(minutes=quiz.wait_minutes)
        if next_start > now:
            may, reason = False, "You can start another attempt after the waiting time."
        else:
            next_start = None
    return Standing(attempts, open_attempt, may, reason, next_start, passed, score)


def own_attempt(person: Person, attempt_id: int) -> QuizAttempt:
    """The person's attempt; anyone else's is not found (attempts are private to their owner)."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.person_id != person.id:
        raise NotFound("There is no such attempt among yours.")
    return attempt


def _expired(attempt: QuizAttempt, now: dt.datetime) -> bool:
    deadline = _aware(attempt.deadline_at)
    return deadline is not None and now > deadline + GRACE


def start_attempt(person: Person, slug: str, now: dt.datetime | None = None, seed: int | None = None) -> QuizAttempt:
    """Start an attempt (or return the one in progress): draw its questions, fix its order, set its deadline.

    ``seed`` fixes the draw and the order (the demo passes one so that it seeds the same attempts every time).
    """
    now = now or utcnow()
    quiz = get_quiz(slug, live=True)
    current = standing(person, quiz, now)
    if current.open_attempt is not None:
        if not _expired(current.open_attempt, now):
            return current.open_attempt
        submit_attempt(person, current.open_attempt.id, {}, now)
        current = standing(person, quiz, now)
    if not current.may_start:
        raise Conflict(current.reason)
    rows = questions_of(quiz)
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31 - 1)
    ids = draw_questions([(q.id, q.graded, q.type == "description") for q in rows], quiz.draw,
                         quiz.shuffle_questions, seed)
    number = max((a.number for a in current.attempts), default=0) + 1
    deadline = now + dt.timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None
    attempt = QuizAttempt(quiz_id=quiz.id, person_id=person.id, number=number, state="open", seed=seed,
                          question_ids=ids, responses={}, results={}, started_at=now, deadline_at=deadline)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Started at the same moment in another tab: that attempt is this one.
        existing = db.session.scalar(select(QuizAttempt).where(
            QuizAttempt.quiz_id == quiz.id, QuizAttempt.person_id == person.id, QuizAttempt.number == number))
        if existing is None:
            raise
        return existing
    return attempt


def attempt_questions(attempt: QuizAttempt) -> list[QuizQuestion]:
    """The attempt's questions in its order (a question archived since still shows in the attempt it was drawn for)."""
    rows = {q.id: q for q in db.session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(attempt.question_ids)))}
    return [rows[qid] for qid in attempt.question_ids if qid in rows]


def _response_specs(rows: list[QuizQuestion]) -> list[tuple[int, str, int, int]]:
    specs = []
    for q in rows:
        pairs = q.data.get("pairs", [])
        options = len({p["right"] for p in pairs}) if pairs else len(q.data.get("choices", []))
        specs.append((q.id, q.type, len(pairs), options))
    return specs


def save_answers(person: Person, attempt_id: int, form: dict[str, list[str]],
                 now: dt.datetime | None = None) -> QuizAttempt:
    """Keep the answers given so far; after the time limit (and its grace) they no longer count."""
    now = now or utcnow()
    attempt = own_attempt(person, attempt_id)
    if attempt.state != "open":
        raise Conflict("This attempt has been submitted; it cannot be changed.")
    if _expired(attempt, now):
        raise Conflict("The time limit has passed, so these answers were not saved. Submit the attempt to see "
                       "your grade on the answers saved in time.")
    responses = {**attempt.responses, **read_responses(_response_specs(attempt_questions(attempt)), form)}
    changed = db.session.execute(update(QuizAttempt).where(QuizAttempt.id == attempt.id, QuizAttempt.state == "open")
                                 .values(responses=responses, saved_at=now)).rowcount
    if not changed:
        raise Conflict("This attempt has been submitted; it cannot be changed.")
    db.session.refresh(attempt)
    return attempt


@dataclass(frozen=True)
class Submitted:
    attempt: QuizAttempt
    graded_now: bool  # False when this submission had already been graded (a double click, a replay)
    first_pass: bool
    late: bool


def submit_attempt(person: Person, attempt_id: int, form: dict[str, list[str]],
                   now: dt.datetime | None = None) -> Submitted:
    """Grade the attempt once: a second submission of it changes nothing and returns the first grade."""
    now = now or utcnow()
    attempt = own_attempt(person, attempt_id)
    if attempt.state != "open":
        return Submitted(attempt, False, False, attempt.late)
    rows = attempt_questions(attempt)
    late = _expired(attempt, now)
    responses = dict(attempt.responses)
    if not late:
        responses.update(read_responses(_response_specs(rows), form))
    results, score = grade({q.id: from_dict(q.data) for q in rows}, [q.id for q in rows], responses)
    quiz = db.session.get(Quiz, attempt.quiz_id)
    passed = score >= quiz.pass_mark
    # The state check in the UPDATE is what makes a submission count once, whichever request gets there first.
    changed = db.session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt.id, QuizAttempt.state == "open")
        .values(state="submitted", submitted_at=now, responses=responses, results=results, score=score,
                passed=passed, late=late)).rowcount
    db.session.refresh(attempt)
    if not changed:
        return Submitted(attempt, False, False, attempt.late)
    answers = [{"attempt_id": attempt.id, "question_id": int(qid), "fraction": fraction}
               for qid, fraction in results.items() if fraction is not None]
    if answers:
        db.session.execute(insert(QuizAnswer), answers)
    first = passed and _record_first_pass(person.id, quiz, attempt, now)
    return Submitted(attempt, True, first, late)


def _record_first_pass(person_id: int, quiz: Quiz, attempt: QuizAttempt, now: dt.datetime) -> bool:
    """Note the first pass; record the competency evidence and tell the listeners (tracks), once."""
    try:
        with db.session.begin_nested():
            db.session.add(QuizPass(quiz_id=quiz.id, person_id=person_id, attempt_id=attempt.id, passed_at=now))
    except IntegrityError:
        return False
    from coe.competency.profile import record_evidence

    for link in quiz.competencies:
        try:
            record_evidence(person_id, link.competency_code, "quiz", link.level, f"Quiz passed: {quiz.title}",
                            f"/quizzes/{quiz.slug}", EVIDENCE_REF.format(slug=quiz.slug))
        except InvalidInput:
            log.warning("quiz %s names the retired competency %s; no evidence recorded", quiz.slug,
                        link.competency_code)
    for listener in registry().quiz_pass_listeners:
        listener(person_id, quiz.slug)
    return True


@dataclass(frozen=True)
class ReviewItem:
    question: QuizQuestion
    response: Any
    fraction: float | None
    feedback: list[str]  # the rendered feedback of what was answered


def review(person: Person, attempt_id: int) -> tuple[QuizAttempt, list[ReviewItem], bool]:
    """The submitted attempt's questions with each answer and its feedback, and whether answers may be shown."""
    attempt = own_attempt(person, attempt_id)
    if attempt.state != "submitted":
        raise Conflict("Submit the attempt first; its review follows.")
    quiz = db.session.get(Quiz, attempt.quiz_id)
    shows = review_shows_answers(quiz, quiz.id in passed_quiz_ids(person.id))
    items = []
    for row in attempt_questions(attempt):
        response = attempt.responses.get(str(row.id))
        outcome = from_dict(row.html).grade(response) if row.graded else None
        items.append(ReviewItem(row, response, attempt.results.get(str(row.id)),
                                outcome.feedback if outcome and shows else []))
    return attempt, items, shows


# --- search, competencies, registry -----------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")


def _search_items(condition) -> tuple[list[SearchDocument], list[str]]:
    codes: dict[int, list[str]] = {}
    for quiz_id, code in db.session.execute(select(QuizCompetency.quiz_id, QuizCompetency.competency_code)
                                            .where(QuizCompetency.quiz_id.in_(select(Quiz.id).where(condition)))):
        codes.setdefault(quiz_id, []).append(code)
    texts: dict[int, list[str]] = {}
    for quiz_id, html in db.session.execute(
            select(QuizQuestion.quiz_id, QuizQuestion.html).where(
                QuizQuestion.quiz_id.in_(select(Quiz.id).where(condition)), QuizQuestion.archived_at.is_(None))
            .order_by(QuizQuestion.position)):
        texts.setdefault(quiz_id, []).append(" ".join(_TAG.sub(" ", html.get("text", "")).split()))
    live, archived = [], []
    for quiz_id, slug, title, summary, archived_at in db.session.execute(
            select(Quiz.id, Quiz.slug, Quiz.title, Quiz.summary, Quiz.archived_at).where(condition)):
        if archived_at is not None:
            archived.append(f"quizzes/{slug}")
        else:
            live.append(SearchDocument(f"quizzes/{slug}", "quizzes", title, summary,
                                       "\n".join(texts.get(quiz_id, [])), (), sorted(codes.get(quiz_id, []))))
    return live, archived


def search_changes_since(generation: int) -> SearchChanges:
    return SearchChanges(*_search_items(Quiz.generation > generation))


def all_search_items() -> list[SearchDocument]:
    return _search_items(Quiz.archived_at.is_(None))[0]


def quiz_url(kind: str, slug: str) -> str:
    return url_for("quizzes.show", slug=slug)


def quizzes_for_competencies(codes: list[str]) -> dict[str, list[Offering]]:
    found: dict[str, list[Offering]] = {}
    for code, slug, title in db.session.execute(
            select(QuizCompetency.competency_code, Quiz.slug, Quiz.title)
            .join(Quiz, Quiz.id == QuizCompetency.quiz_id)
            .where(QuizCompetency.competency_code.in_(codes), Quiz.archived_at.is_(None)).order_by(Quiz.title)):
        found.setdefault(code, []).append(Offering("Quiz", title, f"/quizzes/{slug}"))
    return found


def quiz_counts_for_competencies(codes: list[str]) -> dict[str, int]:
    return dict(db.session.execute(
        select(QuizCompetency.competency_code, func.count()).join(Quiz, Quiz.id == QuizCompetency.quiz_id)
        .where(QuizCompetency.competency_code.in_(codes), Quiz.archived_at.is_(None))
        .group_by(QuizCompetency.competency_code)).all())


# --- personal data ---------------------------------------------------------------------------


def export_person(person_id: int) -> list[dict]:
    """Every attempt of the person, with their answers, for a data-rights export."""
    rows = db.session.execute(select(QuizAttempt, Quiz.slug).join(Quiz, Quiz.id == QuizAttempt.quiz_id)
                              .where(QuizAttempt.person_id == person_id).order_by(QuizAttempt.id)).all()
    return [{"quiz": slug, "attempt": a.number, "state": a.state, "started_at": a.started_at.isoformat(),
             "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None, "score": a.score,
             "passed": a.passed, "late": a.late, "answers": a.responses} for a, slug in rows]


def erase_person(person_id: int) -> None:
    """Remove what the person wrote in their attempts (essays, typed answers); keep scores for team statistics."""
    db.session.execute(update(QuizAttempt).where(QuizAttempt.person_id == person_id).values(responses={}))
