"""A quiz file's settings and YAML questions, read into plain data with every problem named by line. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from coe.quizzes.questions import (Choice, Matching, MultipleChoice, Numeric, NumericAnswer, Pair, Question,
                                   ShortAnswer, SingleChoice, TrueFalse, WeightError, match_weight)

KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
GRADING = ("highest", "last")
REVIEW = ("immediately", "after_passing", "never")
YAML_TYPES = ("single", "multiple", "truefalse", "short", "numeric", "matching")
SETTING_KEYS = ("title", "summary", "competencies", "pass_mark", "attempts", "wait_minutes", "time_limit_minutes",
                "shuffle_questions", "shuffle_answers", "draw", "grading", "review")


@dataclass
class QuizSettings:
    pass_mark: int = 70
    attempts: int = 0  # 0 = unlimited
    wait_minutes: int = 0
    time_limit_minutes: int = 0  # 0 = no limit
    shuffle_questions: bool = False
    shuffle_answers: bool = False
    draw: int = 0  # 0 = every question
    grading: str = "highest"
    review: str = "immediately"


@dataclass
class QuizDefinition:
    slug: str
    title: str = ""
    summary: str = ""
    competencies: dict[str, int] = field(default_factory=dict)
    settings: QuizSettings = field(default_factory=QuizSettings)
    questions: list[Question] = field(default_factory=list)
    category: str = ""
    source_format: str = "yml"


Problems = list[tuple[int | None, str]]


def _line(item, key=None) -> int | None:
    if hasattr(item, "line_of"):
        return item.line_of(key) if key is not None else item.line
    return None


def _whole(data, key: str, default: int, low: int, high: int, problems: Problems, what: str) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append((_line(data, key), f"`{key}` ({what}) must be a whole number from {low} to {high} "
                                           f"(got {value!r})"))
        return default
    return value


def read_settings(data, problems: Problems, *, allow_questions: bool) -> QuizDefinition:
    """The title, summary, competencies and settings of a quiz file (the slug is the caller's)."""
    quiz = QuizDefinition("")
    allowed = SETTING_KEYS + (("questions",) if allow_questions else ())
    for key in data:
        if key not in allowed:
            hint = " (the questions of a GIFT quiz are in its .gift file)" if key == "questions" else ""
            problems.append((_line(data, key), f"has an unknown field `{key}`{hint}; the fields are "
                                               f"{', '.join(allowed)}"))
    for key, limit in (("title", 200), ("summary", 400)):
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value.strip()) > limit):
            problems.append((_line(data, key), f"`{key}` must be text of at most {limit} characters"))
        elif value is not None:
            setattr(quiz, key, " ".join(value.split()))
    competencies = data.get("competencies", {})
    if not isinstance(competencies, dict):
        problems.append((_line(data, "competencies"), "`competencies` maps competency codes to the level passing "
                                                      "the quiz supports, such as {risk-management: 2}"))
    else:
        for code, level in competencies.items():
            if not isinstance(code, str) or isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
                problems.append((_line(competencies, code), f"competency `{code}` needs a level from 1 to 5 "
                                                            f"(got {level!r})"))
            else:
                quiz.competencies[code] = level
    s = quiz.settings
    s.pass_mark = _whole(data, "pass_mark", s.pass_mark, 0, 100, problems, "percent of the maximum score")
    s.attempts = _whole(data, "attempts", s.attempts, 0, 100, problems, "0 = unlimited")
    s.wait_minutes = _whole(data, "wait_minutes", s.wait_minutes, 0, 60 * 24 * 90, problems, "between attempts")
    s.time_limit_minutes = _whole(data, "time_limit_minutes", s.time_limit_minutes, 0, 600, problems,
                                  "0 = no limit")
    s.draw = _whole(data, "draw", s.draw, 0, 1000, problems, "questions drawn per attempt, 0 = all")
    for key in ("shuffle_questions", "shuffle_answers"):
        value = data.get(key, getattr(s, key))
        if not isinstance(value, bool):
            problems.append((_line(data, key), f"`{key}` must be true or false"))
        else:
            setattr(s, key, value)
    for key, options in (("grading", GRADING), ("review", REVIEW)):
        value = data.get(key, getattr(s, key))
        if value not in options:
            problems.append((_line(data, key), f"`{key}` must be one of {', '.join(options)} (got {value!r})"))
        else:
            setattr(s, key, value)
    return quiz


def _text(item, key: str, problems: Problems, where: str, required: bool = True, limit: int = 5000) -> str:
    value = item.get(key)
    if value is None and not required:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        problems.append((_line(item, key), f"{where} needs `{key}`: text of at most {limit} characters"))
        return ""
    return value.strip()


def _number(item, key: str, problems: Problems, where: str, default=None):
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append((_line(item, key), f"{where}: `{key}` must be a number (got {value!r})"))
        return None
    return float(value)


def _weight(item, problems: Problems, where: str, default: float) -> float:
    value = _number(item, "weight", problems, where, default)
    if value is None:
        return default
    try:
        return match_weight(value)
    except WeightError as error:
        problems.append((_line(item, "weight"), f"{where}: {error}"))
        return default


def _items(question, key: str, problems: Problems, where: str) -> list:
    items = question.get(key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        problems.append((_line(question, key), f"{where} needs `{key}`: a list of mappings"))
        return []
    return items


def read_question(item, problems: Problems, keys: set[str]) -> Question | None:
    """One YAML question, or None (with its problems recorded)."""
    line = _line(item)
    if not isinstance(item, dict):
        problems.append((line, "each question is a mapping with id, type and text"))
        return None
    key, qtype = item.get("id"), item.get("type")
    if not isinstance(key, str) or not KEY.match(key) or len(key) > 80:
        problems.append((_line(item, "id"), f"a question needs an `id` of lower-case words joined by hyphens, "
                                            f"at most 80 characters (got {key!r})"))
        return None
    if key in keys:
        problems.append((_line(item, "id"), f"the question id `{key}` is used twice; ids must be unique"))
        return None
    keys.add(key)
    where = f"question `{key}`"
    if qtype not in YAML_TYPES:
        problems.append((_line(item, "type"), f"{where} has type {qtype!r}; the types are {', '.join(YAML_TYPES)}"))
        return None
    before = len(problems)
    base = {"key": key, "text": _text(item, "text", problems, where), "format": "markdown", "name": "",
            "explanation": _text(item, "explanation", problems, where, required=False), "line": line or 0}
    known = {"id", "type", "text", "explanation"} | {
        "single": {"answers"}, "multiple": {"answers"}, "short": {"answers"}, "numeric": {"answers", "feedback"},
        "truefalse": {"answer", "feedback_true", "feedback_false"}, "matching": {"pairs"}}[qtype]
    for field_name in item:
        if field_name not in known:
            problems.append((_line(item, field_name), f"{where} ({qtype}) has an unknown field `{field_name}`; "
                                                      f"its fields are {', '.join(sorted(known))}"))
    question: Question
    if qtype in ("single", "multiple"):
        choices = []
        for answer in _items(item, "answers", problems, where):
            correct = answer.get("correct", False)
            if qtype == "single" and "weight" not in answer:
                weight = 100.0 if correct is True else 0.0
            else:
                weight = _weight(answer, problems, where, 0.0)
            choices.append(Choice(_text(answer, "text", problems, f"an answer of {where}"), weight,
                                  _text(answer, "feedback", problems, where, required=False)))
        question = (SingleChoice if qtype == "single" else MultipleChoice)(**base, choices=choices)
    elif qtype == "truefalse":
        answer = item.get("answer")
        if not isinstance(answer, bool):
            problems.append((_line(item, "answer"), f"{where} needs `answer: true` or `answer: false`"))
        question = TrueFalse(**base, answer=answer is True,
                             feedback_true=_text(item, "feedback_true", problems, where, required=False),
                             feedback_false=_text(item, "feedback_false", problems, where, required=False))
    elif qtype == "short":
        question = ShortAnswer(**base, answers=[
            Choice(_text(a, "text", problems, f"an answer of {where}", limit=200), _weight(a, problems, where, 100.0),
                   _text(a, "feedback", problems, where, required=False))
            for a in _items(item, "answers", problems, where)])
    elif qtype == "numeric":
        answers = []
        for a in _items(item, "answers", problems, where):
            weight, feedback = _weight(a, problems, where, 100.0), _text(a, "feedback", problems, where, required=False)
            if "min" in a or "max" in a:
                answers.append(NumericAnswer(weight, low=_number(a, "min", problems, where) or 0.0,
                                             high=_number(a, "max", problems, where) or 0.0, feedback=feedback))
            else:
                answers.append(NumericAnswer(weight, value=_number(a, "value", problems, where) or 0.0,
                                             tolerance=_number(a, "tolerance", problems, where, 0) or 0.0,
                                             feedback=feedback))
        question = Numeric(**base, answers=answers,
                           wrong_feedback=_text(item, "feedback", problems, where, required=False))
    else:
        pairs = [Pair(_text(p, "left", problems, f"a pair of {where}", limit=500),
                      _text(p, "right", problems, f"a pair of {where}", limit=500))
                 for p in _items(item, "pairs", problems, where)]
        question = Matching(**base, pairs=pairs)
    if len(problems) == before:
        problems.extend((line, f"{where}: {problem}") for problem in question.problems())
    return question if len(problems) == before else None


def read_yaml_quiz(data, slug: str, problems: Problems) -> QuizDefinition:
    """A whole YAML quiz: settings and questions."""
    if not isinstance(data, dict):
        problems.append((1, "a quiz file is a mapping with title, summary, settings and `questions`"))
        return QuizDefinition(slug)
    quiz = read_settings(data, problems, allow_questions=True)
    quiz.slug = slug
    for key in ("title", "summary"):
        if not getattr(quiz, key) and not any(f"`{key}`" in p for _, p in problems):
            problems.append((_line(data), f"lacks the required field `{key}`"))
    items = data.get("questions")
    if not isinstance(items, list) or not items:
        problems.append((_line(data, "questions"), "needs `questions`: a list of at least one question"))
        items = []
    keys: set[str] = set()
    quiz.questions = [q for q in (read_question(item, problems, keys) for item in items) if q is not None]
    return quiz


def check_quiz(quiz: QuizDefinition, problems: Problems, competency_codes: set[str] | None) -> None:
    """Rules of the quiz as a whole: something to grade, a draw the pool can fill, known competencies."""
    graded = [q for q in quiz.questions if q.graded]
    if quiz.questions and not graded:
        problems.append((None, "has no question that can be graded (essays and descriptions are not graded)"))
    if quiz.settings.draw > len(graded):
        problems.append((None, f"draws {quiz.settings.draw} questions per attempt but has only {len(graded)} "
                               "graded questions"))
    if competency_codes is not None:
        unknown = sorted(set(quiz.competencies) - competency_codes)
        if unknown:
            problems.append((None, f"names competencies not in the framework: {', '.join(unknown)}"))
