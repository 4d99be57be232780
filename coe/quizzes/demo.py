"""Demo attempts: most PMs have tried a quiz or two, some passed, some are still learning."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from coe.auth.models import Person, utcnow
from coe.extensions import db
from coe.quizzes import services
from coe.quizzes.models import Quiz, QuizQuestion
from coe.quizzes.questions import Matching, MultipleChoice, Numeric, Question, ShortAnswer, SingleChoice, TrueFalse, \
    format_number, from_dict

SEED = 20261127


def answer_fields(row: QuizQuestion, question: Question, right: bool, rng: random.Random) -> dict[str, list[str]]:
    """The form fields a learner who knows (or does not know) the answer would send."""
    name = f"q{row.id}"
    if isinstance(question, MultipleChoice):
        picks = [n for n, c in enumerate(question.choices) if (c.weight > 0) == right]
        return {name: [str(n) for n in picks[:2 if not right else None]], f"{name}_sent": ["1"]}
    if isinstance(question, SingleChoice):
        options = [n for n, c in enumerate(question.choices) if (c.weight == 100) == right]
        return {name: [str(rng.choice(options))]}
    if isinstance(question, TrueFalse):
        return {name: ["true" if question.answer == right else "false"]}
    if isinstance(question, ShortAnswer):
        return {name: [question.answers[0].text if right else "not sure"]}
    if isinstance(question, Numeric):
        best = max(question.answers, key=lambda a: a.weight)
        value = best.low if best.is_range else best.value
        return {name: [format_number(value if right else value * 3 + 7)]}
    if isinstance(question, Matching):
        rights = question.rights
        chosen = {str(n): rights.index(p.right) if right else (rights.index(p.right) + 1) % len(rights)
                  for n, p in enumerate(question.pairs)}
        return {f"{name}_{n}": [str(v)] for n, v in chosen.items()}
    return {}


def seed_attempts(password: str) -> list[tuple[str, str]]:
    """Give each PM attempts at two or three quizzes, a few days apart, with a skill that improves."""
    rng = random.Random(SEED)
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.archived_at.is_(None)).order_by(Quiz.slug)))
    people = [p for p in db.session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.id))
              if not p.is_admin]
    if not quizzes:
        return []
    now = utcnow()
    for person in people:
        skill = rng.uniform(0.45, 0.9)
        for quiz in rng.sample(quizzes, min(len(quizzes), rng.choice([1, 2, 3]))):
            when = now - dt.timedelta(days=rng.randint(5, 60), hours=rng.randint(0, 8))
            for _ in range(rng.choice([1, 1, 2, 3])):
                standing = services.standing(person, quiz, when)
                if not standing.may_start:
                    break
                # A seed from the demo's own generator: a random one would give other answers each time.
                attempt = services.start_attempt(person, quiz.slug, when, seed=rng.randrange(1, 2**31 - 1))
                fields: dict[str, list[str]] = {}
                for row in services.attempt_questions(attempt):
                    fields.update(answer_fields(row, from_dict(row.data), rng.random() < skill, rng))
                done = services.submit_attempt(person, attempt.id, fields,
                                               when + dt.timedelta(minutes=rng.randint(6, 18)))
                if done.attempt.passed:
                    break
                skill = min(0.97, skill + 0.15)
                when += dt.timedelta(minutes=quiz.wait_minutes + rng.randint(60, 60 * 24 * 3))
    db.session.flush()
    return []
