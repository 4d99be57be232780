"""Question types: each a small class that knows its answers, how a response reads and how it is graded.

Pure: no Flask, no database. A question is stored as ``to_dict()`` and read back with
``from_dict``; a response is JSON (an index, a list of indices, a boolean, a text, a mapping).
Weights are percentages of the question's mark, as in Moodle (100 = full marks).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

# Moodle's grade options (question/engine/bank.php): an answer weight must be one of these, or its negative.
MOODLE_FRACTIONS = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667,
                    14.28571, 12.5, 11.11111, 10, 5, 0)
ALLOWED_WEIGHTS = tuple(sorted({w for f in MOODLE_FRACTIONS for w in (f, -f)}))
# Moodle matches a fraction (weight / 100) to its options within 0.00001.
WEIGHT_TOLERANCE = 0.001
FORMATS = ("markdown", "html", "plain", "moodle")


class WeightError(ValueError):
    """A weight that is not one of Moodle's grades."""


def match_weight(weight: float, mode: str = "error") -> float:
    """Return the allowed weight ``weight`` stands for; refuse it (``error``) or round it (``nearest``) otherwise."""
    nearest = min(ALLOWED_WEIGHTS, key=lambda allowed: abs(allowed - weight))
    if abs(nearest - weight) < WEIGHT_TOLERANCE:
        return nearest
    if mode == "nearest":
        return nearest
    raise WeightError(f"the weight {format_number(weight)}% is not one of Moodle's grades (the nearest is "
                      f"{format_number(nearest)}%); use 100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, "
                      "33.33333, 30, 25, 20, 16.66667, 14.28571, 12.5, 11.11111, 10, 5 or 0, or a negative of one")


def format_number(value: float) -> str:
    """A number as a person writes it: 24000, 0.9, -1.5 (never 2e+06)."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def parse_number(text: str) -> float | None:
    """Read a number as a learner types it (a decimal comma, spaces or thousands commas are fine); None if it is not one."""
    cleaned = str(text).strip().replace(" ", "").replace("\u00a0", "").replace("_", "")
    if not cleaned:
        return None
    if "," in cleaned and "." not in cleaned and re.fullmatch(r"-?\d+,\d{1,2}", cleaned):
        cleaned = cleaned.replace(",", ".")  # 0,89
    else:
        cleaned = cleaned.replace(",", "")  # 24,000
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Outcome:
    """The grade of one response: a fraction of the question's mark (None when not graded) and what to tell the learner."""

    fraction: float | None
    feedback: list[str] = field(default_factory=list)  # per-answer feedback for what was answered


@dataclass
class Choice:
    text: str
    weight: float = 0
    feedback: str = ""


@dataclass
class NumericAnswer:
    """An accepted number: ``value`` plus or minus ``tolerance``, or a range from ``low`` to ``high``."""

    weight: float = 100
    value: float | None = None
    tolerance: float = 0
    low: float | None = None
    high: float | None = None
    feedback: str = ""

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def accepts(self, number: float) -> bool:
        slack = 1e-9 * max(1.0, abs(number))  # binary fractions: 0.1 + 0.2 must still match 0.3
        if self.is_range:
            return self.low - slack <= number <= self.high + slack
        return abs(number - self.value) <= self.tolerance + slack

    def describe(self) -> str:
        if self.is_range:
            return f"{format_number(self.low)} to {format_number(self.high)}"
        if self.tolerance:
            return f"{format_number(self.value)} (± {format_number(self.tolerance)})"
        return format_number(self.value)


@dataclass
class Pair:
    left: str
    right: str


@dataclass
class Question:
    """What every question has; subclasses add their answers and grading."""

    type: ClassVar[str] = ""
    label: ClassVar[str] = ""
    graded: ClassVar[bool] = True

    key: str
    text: str
    format: str = "markdown"
    name: str = ""
    explanation: str = ""  # shown in the review whatever was answered (GIFT's general feedback)
    line: int = field(default=0, compare=False)

    def grade(self, response: Any) -> Outcome:
        raise NotImplementedError

    def problems(self) -> list[str]:
        """What makes the question unusable, in words an author acts on."""
        return []

    def correct_answer(self) -> str:
        """The right answer, as the review shows it."""
        return ""

    def texts(self) -> list[str]:
        """Every text of the question (for search and placeholder resolution)."""
        return [self.text, self.explanation]

    def map_texts(self, change) -> None:
        """Apply ``change`` to every text of the question, in place."""
        self.text, self.explanation = change(self.text), change(self.explanation)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data.pop("line", None)
        return {"type": self.type, **data}


def _answered_index(response: Any, count: int) -> int | None:
    try:
        index = int(response)
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < count else None


@dataclass
class SingleChoice(Question):
    type: ClassVar[str] = "single"
    label: ClassVar[str] = "Single choice"

    choices: list[Choice] = field(default_factory=list)

    def grade(self, response: Any) -> Outcome:
        index = _answered_index(response, len(self.choices))
        if index is None:
            return Outcome(0.0)
        chosen = self.choices[index]
        return Outcome(max(0.0, chosen.weight / 100), [chosen.feedback] if chosen.feedback else [])

    def problems(self) -> list[str]:
        if len(self.choices) < 2:
            return ["a choice question needs at least two answers"]
        if max(c.weight for c in self.choices) != 100:
            return ["a single-choice question needs one right answer (weight 100, or `=` in GIFT)"]
        return []

    def correct_answer(self) -> str:
        return next(c.text for c in self.choices if c.weight == 100)

    def texts(self) -> list[str]:
        return [*super().texts(), *(t for c in self.choices for t in (c.text, c.feedback))]

    def map_texts(self, change) -> None:
        super().map_texts(change)
        for c in self.choices:
            c.text, c.feedback = change(c.text), change(c.feedback)


@dataclass
class MultipleChoice(SingleChoice):
    """Several answers may be chosen; their weights add up (wrong ones may subtract), between 0 and 100."""

    type: ClassVar[str] = "multiple"
    label: ClassVar[str] = "Multiple answers"

    def grade(self, response: Any) -> Outcome:
        if not isinstance(response, list):
            response = [] if response in (None, "") else [response]
        indices = sorted({i for i in (_answered_index(r, len(self.choices)) for r in response) if i is not None})
        total = sum(self.choices[i].weight for i in indices)
        return Outcome(min(1.0, max(0.0, total / 100)),
                       [self.choices[i].feedback for i in indices if self.choices[i].feedback])

    def problems(self) -> list[str]:
        if len(self.choices) < 2:
            return ["a choice question needs at least two answers"]
        positive = sum(c.weight for c in self.choices if c.weight > 0)
        if abs(positive - 100) > 0.01:
            return [f"the positive weights of a multiple-answer question add up to {format_number(round(positive, 5))}%"
                    "; they must add up to 100%"]
        return []

    def correct_answer(self) -> str:
        return "; ".join(c.text for c in self.choices if c.weight > 0)


@dataclass
class TrueFalse(Question):
    type: ClassVar[str] = "truefalse"
    label: ClassVar[str] = "True or false"

    answer: bool = True
    feedback_true: str = ""  # shown to those who answered true
    feedback_false: str = ""

    def grade(self, response: Any) -> Outcome:
        if isinstance(response, str):
            response = {"true": True, "false": False}.get(response.lower())
        if not isinstance(response, bool):
            return Outcome(0.0)
        feedback = self.feedback_true if response else self.feedback_false
        return Outcome(1.0 if response == self.answer else 0.0, [feedback] if feedback else [])

    def correct_answer(self) -> str:
        return "True" if self.answer else "False"

    def texts(self) -> list[str]:
        return [*super().texts(), self.feedback_true, self.feedback_false]

    def map_texts(self, change) -> None:
        super().map_texts(change)
        self.feedback_true, self.feedback_false = change(self.feedback_true), change(self.feedback_false)


def _normalise(text: str) -> str:
    return " ".join(str(text).split()).casefold()


@dataclass
class ShortAnswer(Question):
    """A typed answer, compared without regard to case or spacing; ``*`` in an accepted answer matches anything."""

    type: ClassVar[str] = "short"
    label: ClassVar[str] = "Short answer"

    answers: list[Choice] = field(default_factory=list)

    def _matches(self, accepted: str, given: str) -> bool:
        pattern = ".*".join(re.escape(part) for part in _normalise(accepted).split("*"))
        return re.fullmatch(pattern, given) is not None

    def grade(self, response: Any) -> Outcome:
        given = _normalise(response or "") if isinstance(response, str) else ""
        if not given:
            return Outcome(0.0)
        for answer in sorted(self.answers, key=lambda a: -a.weight):
            if self._matches(answer.text, given):
                return Outcome(max(0.0, answer.weight / 100), [answer.feedback] if answer.feedback else [])
        return Outcome(0.0)

    def problems(self) -> list[str]:
        if not self.answers:
            return ["a short-answer question needs at least one accepted answer"]
        if max(a.weight for a in self.answers) != 100:
            return ["a short-answer question needs an answer worth full marks (weight 100)"]
        return []

    def correct_answer(self) -> str:
        return " or ".join(a.text for a in self.answers if a.weight == 100)

    def texts(self) -> list[str]:
        return [*super().texts(), *(a.feedback for a in self.answers)]

    def map_texts(self, change) -> None:
        super().map_texts(change)
        for a in self.answers:
            a.feedback = change(a.feedback)


@dataclass
class Numeric(Question):
    """A number, right within a tolerance or a range; several answers may carry different weights."""

    type: ClassVar[str] = "numeric"
    label: ClassVar[str] = "Numeric"

    answers: list[NumericAnswer] = field(default_factory=list)
    wrong_feedback: str = ""  # for any other number (GIFT's ``~#feedback``)

    def grade(self, response: Any) -> Outcome:
        number = parse_number(response) if isinstance(response, (str, int, float)) else None
        if number is None:
            return Outcome(0.0)
        for answer in sorted(self.answers, key=lambda a: -a.weight):
            if answer.accepts(number):
                return Outcome(max(0.0, answer.weight / 100), [answer.feedback] if answer.feedback else [])
        return Outcome(0.0, [self.wrong_feedback] if self.wrong_feedback else [])

    def problems(self) -> list[str]:
        if not self.answers:
            return ["a numeric question needs at least one answer"]
        if max(a.weight for a in self.answers) != 100:
            return ["a numeric question needs an answer worth full marks (weight 100)"]
        for a in self.answers:
            if a.is_range and a.low > a.high:
                return [f"the range {format_number(a.low)}..{format_number(a.high)} runs backwards"]
            if not a.is_range and a.tolerance < 0:
                return ["a tolerance cannot be negative"]
        return []

    def correct_answer(self) -> str:
        return " or ".join(a.describe() for a in self.answers if a.weight == 100)

    def texts(self) -> list[str]:
        return [*super().texts(), self.wrong_feedback, *(a.feedback for a in self.answers)]

    def map_texts(self, change) -> None:
        super().map_texts(change)
        self.wrong_feedback = change(self.wrong_feedback)
        for a in self.answers:
            a.feedback = change(a.feedback)


@dataclass
class Matching(Question):
    """Each left item is matched with one of the rights; the mark is the share matched correctly."""

    type: ClassVar[str] = "matching"
    label: ClassVar[str] = "Matching"

    pairs: list[Pair] = field(default_factory=list)

    @property
    def rights(self) -> list[str]:
        """The distinct right-hand items, in the file's order (what a learner chooses from)."""
        return list(dict.fromkeys(p.right for p in self.pairs))

    def grade(self, response: Any) -> Outcome:
        if not isinstance(response, dict):
            return Outcome(0.0)
        rights = self.rights
        right = 0
        for index, pair in enumerate(self.pairs):
            chosen = _answered_index(response.get(str(index)), len(rights))
            if chosen is not None and rights[chosen] == pair.right:
                right += 1
        return Outcome(right / len(self.pairs) if self.pairs else 0.0)

    def problems(self) -> list[str]:
        if len(self.pairs) < 2:
            return ["a matching question needs at least two pairs"]
        if any(not p.left.strip() or not p.right.strip() for p in self.pairs):
            return ["every pair of a matching question needs a left and a right side"]
        return []

    def correct_answer(self) -> str:
        return "; ".join(f"{p.left} → {p.right}" for p in self.pairs)

    def texts(self) -> list[str]:
        return [*super().texts(), *(t for p in self.pairs for t in (p.left, p.right))]

    def map_texts(self, change) -> None:
        super().map_texts(change)
        for p in self.pairs:
            p.left, p.right = change(p.left), change(p.right)


@dataclass
class Essay(Question):
    """A written answer, kept for the learner's mentor; not graded automatically."""

    type: ClassVar[str] = "essay"
    label: ClassVar[str] = "Essay (not graded)"
    graded: ClassVar[bool] = False

    def grade(self, response: Any) -> Outcome:
        return Outcome(None)


@dataclass
class Description(Question):
    """Text shown between questions (a scenario); nothing to answer."""

    type: ClassVar[str] = "description"
    label: ClassVar[str] = "Description"
    graded: ClassVar[bool] = False

    def grade(self, response: Any) -> Outcome:
        return Outcome(None)


QUESTION_TYPES: dict[str, type[Question]] = {
    cls.type: cls for cls in (SingleChoice, MultipleChoice, TrueFalse, ShortAnswer, Numeric, Matching, Essay, Description)
}


def from_dict(data: dict) -> Question:
    """Rebuild a question stored with ``to_dict``."""
    data = dict(data)
    cls = QUESTION_TYPES[data.pop("type")]
    if "choices" in data:
        data["choices"] = [Choice(**c) for c in data["choices"]]
    if "answers" in data:
        item = NumericAnswer if cls is Numeric else Choice
        data["answers"] = [item(**a) for a in data["answers"]]
    if "pairs" in data:
        data["pairs"] = [Pair(**p) for p in data["pairs"]]
    return cls(**data)
