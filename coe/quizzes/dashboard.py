"""The quizzes' section of the lead's dashboard: attempts, pass rate and the questions most often got wrong."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select

from coe.extensions import db
from coe.quizzes.models import Quiz, QuizAnswer, QuizAttempt, QuizPass, QuizQuestion

WRONG_SHOWN = 3
_TAG = re.compile(r"<[^>]+>")


@dataclass
class QuizLine:
    slug: str
    title: str
    people: int = 0  # who submitted at least one attempt
    attempts: int = 0
    passed: int = 0
    wrong: list[tuple[str, int]] = field(default_factory=list)  # (question, times not fully right)

    @property
    def pass_rate(self) -> int:
        return round(100 * self.passed / self.people) if self.people else 0


def quiz_lines(person_ids: Sequence[int]) -> list[QuizLine]:
    """Per quiz these people attempted, in four queries whatever the number of people or attempts."""
    ids = list(person_ids)
    if not ids:
        return []
    rows = db.session.execute(
        select(Quiz.id, Quiz.slug, Quiz.title, func.count(), func.count(distinct(QuizAttempt.person_id)))
        .join(QuizAttempt, QuizAttempt.quiz_id == Quiz.id)
        .where(QuizAttempt.person_id.in_(ids), QuizAttempt.state == "submitted")
        .group_by(Quiz.id, Quiz.slug, Quiz.title).order_by(Quiz.title)).all()
    lines = {quiz_id: QuizLine(slug, title, people, attempts) for quiz_id, slug, title, attempts, people in rows}
    if not lines:
        return []
    for quiz_id, passed in db.session.execute(
            select(QuizPass.quiz_id, func.count()).where(QuizPass.person_id.in_(ids), QuizPass.quiz_id.in_(lines))
            .group_by(QuizPass.quiz_id)):
        lines[quiz_id].passed = passed
    wrong = db.session.execute(
        select(QuizQuestion.quiz_id, QuizAnswer.question_id, func.count().label("times"))
        .join(QuizAnswer, QuizAnswer.question_id == QuizQuestion.id)
        .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
        .where(QuizAttempt.person_id.in_(ids), QuizAnswer.fraction < 1)
        .group_by(QuizQuestion.quiz_id, QuizAnswer.question_id)
        .order_by(func.count().desc(), QuizAnswer.question_id)).all()
    top: dict[int, list[tuple[int, int]]] = {}
    for quiz_id, question_id, times in wrong:
        if quiz_id in lines and len(top.setdefault(quiz_id, [])) < WRONG_SHOWN:
            top[quiz_id].append((question_id, times))
    shown = [qid for pairs in top.values() for qid, _ in pairs]
    texts = {qid: _short(html.get("text", "")) for qid, html in db.session.execute(
        select(QuizQuestion.id, QuizQuestion.html).where(QuizQuestion.id.in_(shown)))} if shown else {}
    for quiz_id, pairs in top.items():
        lines[quiz_id].wrong = [(texts.get(qid, ""), times) for qid, times in pairs]
    return list(lines.values())


def _short(html: str, limit: int = 110) -> str:
    text = " ".join(_TAG.sub(" ", html).split())
    return text if len(text) <= limit else text[:limit - 1].rsplit(" ", 1)[0] + "…"


def team_context(person_ids: Sequence[int]) -> dict | None:
    lines = quiz_lines(person_ids)
    return {"quiz_lines": lines} if lines else None


def team_sheet(person_ids: Sequence[int]):
    lines = quiz_lines(person_ids)
    if not lines:
        return None
    header = ["Quiz", "People who attempted", "Attempts", "People who passed", "Pass rate (%)",
              "Most often answered wrong"]
    return "Quiz results", header, [
        [line.title, line.people, line.attempts, line.passed, line.pass_rate,
         "; ".join(f"{text} ({times}×)" for text, times in line.wrong)] for line in lines]
