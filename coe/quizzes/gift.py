"""Moodle GIFT: read a file into questions, write questions back out. Pure functions, no Flask.

The rules are those of Moodle's own importer (question/format/gift): questions are separated by
blank lines and their lines are trimmed; a line starting with ``//`` is a comment; ``$CATEGORY:``
sets the category; ``::name::`` names a question; ``[markdown]``, ``[html]``, ``[plain]`` or
``[moodle]`` sets the text format; ``\\: \\# \\= \\{ \\} \\~ \\\\`` are escapes and ``\\n`` a new
line; the answers sit between the first ``{`` and the first ``}``, and text after them makes a
missing-word question (``_____`` marks the gap); ``####`` starts the general feedback and ``#``
an answer's feedback; ``%50%`` weights an answer, and a weight must be one of Moodle's grades.
The answer block decides the type: none is a description, ``{}`` an essay, ``{#...}`` numeric, a
``~`` multiple choice (single when an answer starts with ``=``), ``=`` with ``->`` matching,
``T``/``TRUE``/``F``/``FALSE`` true/false, anything else short answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from coe.quizzes.questions import (Choice, Description, Essay, Matching, MultipleChoice, Numeric, NumericAnswer, Pair,
                                   Question, ShortAnswer, SingleChoice, TrueFalse, WeightError, format_number,
                                   match_weight, parse_number)

# Escaped characters become private-use placeholders while the structure is read, then come back.
_ESCAPES = {":": "\ue001", "#": "\ue002", "=": "\ue003", "{": "\ue004", "}": "\ue005", "~": "\ue006", "n": "\ue007"}
_BACKSLASH = "\ue000"
_RESTORE = {_BACKSLASH: "\\", **{p: ("\n" if c == "n" else c) for c, p in _ESCAPES.items()}}
_WEIGHT = re.compile(r"^%([^%]*)%")
FORMAT_NAMES = ("markdown", "html", "plain", "moodle")
GAP = "_____"


class GiftError(ValueError):
    """A question Moodle would refuse, and why."""


@dataclass
class GiftQuiz:
    questions: list[Question] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    # (line, reason) of every question that could not be read
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The quiz's title from its first category: its last part (``$course$/top/Risk`` gives Risk)."""
        for category in self.categories:
            last = category.rstrip("/").split("/")[-1].strip()
            if last and last not in ("$course$", "$system$", "top"):
                return last
        return ""


def _protect(text: str) -> str:
    text = text.replace("\\\\", _BACKSLASH)
    for char, placeholder in _ESCAPES.items():
        text = text.replace("\\" + char, placeholder)
    return text


def _restore(text: str) -> str:
    for placeholder, char in _RESTORE.items():
        text = text.replace(placeholder, char)
    return text


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Split into (first line number, trimmed lines) at blank lines; comment lines become blank within a block."""
    blocks, current, start = [], [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            if current:
                blocks.append((start, current))
            current = []
            continue
        if not current:
            start = number
        current.append(" " if line.startswith("//") else line)
    if current:
        blocks.append((start, current))
    return blocks


def _with_format(text: str, default: str) -> tuple[str, str]:
    """Split a leading ``[format]``; an unknown name leaves the text as it is."""
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        name = text[1:end] if end > 0 else ""
        if name in FORMAT_NAMES:
            return _restore(text[end + 1:]).strip(), name
    return _restore(text).strip(), default


def _weight(answer: str) -> tuple[float | None, str]:
    """Read a leading ``%weight%``: (weight or None, the rest)."""
    found = _WEIGHT.match(answer)
    if not found:
        return None, answer
    value = parse_number(found.group(1))
    if value is None or "," in found.group(1):
        raise GiftError(f"the weight %{_restore(found.group(1))}% is not a number")
    return match_weight(value), answer[found.end():]


def _feedback(answer: str, fmt: str) -> tuple[str, str]:
    """Split ``answer#feedback`` (text only: the question's format applies to both)."""
    text, _, feedback = answer.partition("#")
    return _with_format(text, fmt)[0], _with_format(feedback, fmt)[0]


def _split(text: str, marker: str) -> list[str]:
    parts = [part.strip() for part in text.split(marker)]
    if parts and not parts[0]:
        parts.pop(0)
    return parts


def slug(text: str) -> str:
    """A stable id from a question's name."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:80].strip("-") or "question"


def parse_gift(text: str) -> GiftQuiz:
    """Read GIFT text; questions that cannot be read are reported as (line, reason), as Moodle's importer refuses them."""
    quiz = GiftQuiz()
    keys: set[str] = set()
    for line, lines in _blocks(text.lstrip("\ufeff")):
        block = "\n".join(lines).strip()
        if not block:
            continue
        block = _protect(block)
        if block.startswith("$CATEGORY:"):
            quiz.categories.append(_restore(block[len("$CATEGORY:"):]).strip())
            continue
        try:
            question = _question(block, line)
        except (GiftError, WeightError) as error:
            quiz.problems.append((line, str(error)))
            continue
        problems = question.problems()
        if problems:
            quiz.problems.append((line, f"question “{question.name}”: " + "; ".join(problems)))
            continue
        key, n = question.key, 2
        while question.key in keys:
            question.key = f"{key}-{n}"
            n += 1
        keys.add(question.key)
        quiz.questions.append(question)
    return quiz


def _question(block: str, line: int) -> Question:
    name = ""
    if block.startswith("::"):
        end = block.find("::", 2)
        if end >= 0:
            name = " ".join(_restore(block[2:end]).split())
            block = block[end + 2:].strip()
        else:
            block = block[2:]
    start, finish = block.find("{"), block.find("}")
    if start < 0 and finish < 0:
        text, fmt = _with_format(block, "moodle")
        return Description(slug(name or text[:60]), text, fmt, name or _default_name(text), line=line)
    if start < 0 or finish < 0 or finish < start:
        raise GiftError("the answer block is not closed: a question needs one `{` and one `}` (write \\{ or \\} "
                        "for a brace in the text)")
    answer_text = block[start + 1:finish].strip()
    after = block[finish + 1:]
    question_text = block[:start] + (GAP + after if after.strip() else "")
    text, fmt = _with_format(question_text, "moodle")
    name = name or _default_name(text)
    general = ""
    if "####" in answer_text:
        at = answer_text.rfind("####")
        general = _with_format(answer_text[at + 4:], fmt)[0]
        answer_text = answer_text[:at].strip()
    base = {"key": slug(name), "text": text, "format": fmt, "name": name, "explanation": general, "line": line}
    if not answer_text:
        return Essay(**base)
    if answer_text.startswith("#"):
        return _numeric(answer_text[1:], base)
    if "~" in answer_text:
        return _choice(answer_text, base)
    if "=" in answer_text and "->" in answer_text:
        return _matching(answer_text, base)
    first = answer_text.split("#", 1)[0].strip()
    if first in ("T", "TRUE", "F", "FALSE"):
        parts = answer_text.split("#", 2) + ["", ""]
        wrong, right = _with_format(parts[1], fmt)[0], _with_format(parts[2], fmt)[0]
        answer = first in ("T", "TRUE")
        return TrueFalse(**base, answer=answer, feedback_true=right if answer else wrong,
                         feedback_false=wrong if answer else right)
    return _short(answer_text, base)


def _default_name(text: str) -> str:
    plain = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    return plain[:60] or "Question"


def _choice(answer_text: str, base: dict) -> Question:
    single = "=" in answer_text
    choices = []
    for answer in _split(answer_text.replace("=", "~="), "~"):
        if answer.startswith("="):
            weight, answer = 100.0, answer[1:]
        else:
            weight, answer = _weight(answer)
            weight = weight or 0.0
        text, feedback = _feedback(answer, base["format"])
        choices.append(Choice(text, weight, feedback))
    if len(choices) < 2:
        raise GiftError(f"question “{base['name']}”: a choice question needs at least two answers")
    return (SingleChoice if single else MultipleChoice)(**base, choices=choices)


def _matching(answer_text: str, base: dict) -> Matching:
    pairs = []
    for answer in _split(answer_text, "="):
        if "->" not in answer:
            raise GiftError(f"question “{base['name']}”: each answer of a matching question is `=left -> right` "
                            f"(got “{_restore(answer)}”)")
        left, right = answer.split("->", 1)
        pairs.append(Pair(_with_format(left, base["format"])[0], _restore(right).strip()))
    return Matching(**base, pairs=pairs)


def _short(answer_text: str, base: dict) -> ShortAnswer:
    answers = []
    for answer in _split(answer_text, "="):
        weight, answer = _weight(answer)
        text, feedback = _feedback(answer, base["format"])
        answers.append(Choice(text, 100.0 if weight is None else weight, feedback))
    if not answers:
        raise GiftError(f"question “{base['name']}”: a short-answer question needs at least one answer")
    return ShortAnswer(**base, answers=answers)


def _numeric(answer_text: str, base: dict) -> Numeric:
    wrong = ""
    if "~" in answer_text:
        answer_text, _, rest = answer_text.partition("~")
        wrong = _feedback(rest, base["format"])[1]
    answers = []
    for answer in _split(answer_text, "="):
        weight, answer = _weight(answer)
        value_text, feedback = _feedback(answer, base["format"])
        answers.append(_numeric_answer(value_text, 100.0 if weight is None else weight, feedback, base["name"]))
    if not answers:
        raise GiftError(f"question “{base['name']}”: a numeric question needs at least one answer, such as {{#3.14:0.01}}")
    return Numeric(**base, answers=answers, wrong_feedback=wrong)


def _numeric_answer(text: str, weight: float, feedback: str, name: str) -> NumericAnswer:
    def number(part: str) -> float:
        value = parse_number(part) if re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", part) else None
        if value is None:
            raise GiftError(f"question “{name}”: “{text}” is not a number, a number:tolerance or a min..max range")
        return value

    if text.find("..") > 0:
        low, high = text.split("..", 1)
        return NumericAnswer(weight, low=number(low), high=number(high), feedback=feedback)
    if text.find(":") > 0:
        value, tolerance = text.split(":", 1)
        return NumericAnswer(weight, value=number(value), tolerance=number(tolerance), feedback=feedback)
    return NumericAnswer(weight, value=number(text), tolerance=0, feedback=feedback)


# --- writing -------------------------------------------------------------------------------

_RESERVED = str.maketrans({"\\": "\\\\", "#": "\\#", "=": "\\=", "~": "\\~", "{": "\\{", "}": "\\}", ":": "\\:",
                           "\n": "\\n", "\r": ""})


def escape(text: str) -> str:
    """Escape GIFT's reserved characters and new lines, as Moodle's exporter does."""
    return text.translate(_RESERVED)


def _weighted(weight: float) -> str:
    return f"%{format_number(weight)}%"


def _feedback_part(feedback: str) -> str:
    return f"#{escape(feedback)}" if feedback else ""


def _general(question: Question) -> str:
    return f"\t####{escape(question.explanation)}\n" if question.explanation else ""


def write_question(question: Question) -> str:
    """One question in GIFT, such that Moodle (and ``parse_gift``) read it back as the same question."""
    head = f"::{escape(question.name or question.key)}::"
    if question.format != "moodle":
        head += f"[{question.format}]"
    head += escape(question.text)
    if isinstance(question, Description):
        return head + "\n"
    if isinstance(question, Essay):
        general = f"####{escape(question.explanation)}" if question.explanation else ""
        return head + "{" + general + "}\n"
    if isinstance(question, TrueFalse):
        right, wrong = ((question.feedback_true, question.feedback_false) if question.answer
                        else (question.feedback_false, question.feedback_true))
        body = "TRUE" if question.answer else "FALSE"
        if wrong or right:
            body += f"#{escape(wrong)}"
        if right:
            body += f"#{escape(right)}"
        if question.explanation:
            body += f"####{escape(question.explanation)}"
        return head + "{" + body + "}\n"
    lines = []
    if isinstance(question, MultipleChoice):
        for c in question.choices:
            mark = "~" if c.weight == 0 else "~" + _weighted(c.weight)
            lines.append(f"\t{mark}{escape(c.text)}{_feedback_part(c.feedback)}\n")
    elif isinstance(question, SingleChoice):
        for c in question.choices:
            mark = "=" if c.weight == 100 else "~" if c.weight == 0 else "~" + _weighted(c.weight)
            lines.append(f"\t{mark}{escape(c.text)}{_feedback_part(c.feedback)}\n")
    elif isinstance(question, ShortAnswer):
        for a in question.answers:
            lines.append(f"\t={_weighted(a.weight)}{escape(a.text)}{_feedback_part(a.feedback)}\n")
    elif isinstance(question, Numeric):
        for a in question.answers:
            value = (f"{format_number(a.low)}..{format_number(a.high)}" if a.is_range
                     else f"{format_number(a.value)}:{format_number(a.tolerance)}")
            lines.append(f"\t={_weighted(a.weight)}{value}{_feedback_part(a.feedback)}\n")
        if question.wrong_feedback:
            lines.append(f"\t~#{escape(question.wrong_feedback)}\n")
        return head + "{#\n" + "".join(lines) + _general(question) + "}\n"
    elif isinstance(question, Matching):
        for p in question.pairs:
            lines.append(f"\t={escape(p.left)} -> {escape(p.right)}\n")
    return head + "{\n" + "".join(lines) + _general(question) + "}\n"


def write_gift(questions: list[Question], category: str = "", comment: str = "") -> str:
    """A whole quiz as a GIFT file: a comment, the category, then the questions separated by blank lines."""
    parts = []
    if comment:
        parts.append("".join(f"// {line}\n" for line in comment.splitlines()))
    if category:
        parts.append(f"$CATEGORY: $course$/top/{category.replace(chr(10), ' ')}\n")
    parts.extend(write_question(question) for question in questions)
    return "\n".join(parts)
