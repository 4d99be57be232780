"""Ranking mentors for a mentee, and assigning a cohort: plain functions over plain data.

A mentor covers a gap when their validated level in the competency reaches the mentee's target
(DESIGN.md, Core rules). The score rewards covered gaps, weighted by gap size and by the mentee's
focus competencies, then capacity left, a shared language, overlapping working hours and past
mentees' feedback. Every match carries its score broken down and the reasons in plain words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Points each part of the score can bring, out of 100.
COVERAGE_POINTS = 60
CAPACITY_POINTS = 10
LANGUAGE_POINTS = 10
OVERLAP_POINTS = 10
FEEDBACK_POINTS = 10
FOCUS_WEIGHT = 2  # a focus competency's gap counts twice
WORKDAY = (9, 17)  # working hours, local time, for the overlap between two zones
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
                  "nl": "Dutch", "pt": "Portuguese", "pl": "Polish", "sv": "Swedish", "ja": "Japanese",
                  "zh": "Chinese", "ar": "Arabic", "hi": "Hindi"}


@dataclass(frozen=True)
class Mentee:
    person_id: int
    gaps: Mapping[str, tuple[int, int]]  # competency code -> (target level, current level)
    languages: frozenset[str] = frozenset()
    time_zone: str = "UTC"
    focus: frozenset[str] = frozenset()
    has_mentors: frozenset[int] = frozenset()  # mentors the mentee has or has asked (excluded)
    name: str = ""


@dataclass(frozen=True)
class Mentor:
    person_id: int
    name: str
    levels: Mapping[str, int]  # competency code -> validated level, for the competencies they mentor in
    languages: frozenset[str] = frozenset()
    time_zone: str = "UTC"
    capacity: int = 0
    active: int = 0  # active mentees now
    accepting: bool = True
    rating: float | None = None  # average of past mentees' session ratings (1..5)
    ratings: int = 0

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.active)


@dataclass(frozen=True)
class Part:
    label: str
    points: float
    out_of: int


@dataclass(frozen=True)
class Match:
    mentor: Mentor
    score: float
    parts: tuple[Part, ...]
    reasons: tuple[str, ...]
    covered: tuple[str, ...] = field(default=())  # competency codes covered, largest gap first

    @property
    def explanation(self) -> str:
        return "; ".join(self.reasons)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def exclusion(mentee: Mentee, mentor: Mentor) -> str | None:
    """Why this mentor cannot be matched with this mentee, or None."""
    if mentor.person_id == mentee.person_id:
        return "is the mentee themself"
    if mentor.person_id in mentee.has_mentors:
        return "already mentors them or has their request"
    if not mentor.accepting or mentor.capacity <= 0:
        return "is not accepting mentees"
    if mentor.places_left <= 0:
        return "has no place left"
    return None


@lru_cache(maxsize=1024)
def _working_hours_utc(zone: str, day: dt.date) -> tuple[float, float]:
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    start = dt.datetime.combine(day, dt.time(WORKDAY[0]), tzinfo=tz).astimezone(dt.timezone.utc)
    base = dt.datetime.combine(day, dt.time(0), tzinfo=dt.timezone.utc)
    begin = (start - base).total_seconds() / 3600
    return begin, begin + WORKDAY[1] - WORKDAY[0]


@lru_cache(maxsize=4096)
def overlap_hours(zone_a: str, zone_b: str, day: dt.date) -> float:
    """Hours of the 9-to-5 working day two zones share on ``day``."""
    a0, a1 = _working_hours_utc(zone_a, day)
    b0, b1 = _working_hours_utc(zone_b, day)
    best = 0.0
    for shift in (-24, 0, 24):  # the other zone's day may sit on either side of the date line
        best = max(best, min(a1, b1 + shift) - max(a0, b0 + shift))
    return max(0.0, best)


def _hours(value: float) -> str:
    whole = round(value)
    return f"{whole} working hour{'s' if whole != 1 else ''} overlap"


def _open_gaps(mentee: Mentee) -> tuple[tuple[str, int, int, int], ...]:
    """(code, target, current, weight) of each open gap, largest first; weight counts focus twice."""
    gaps = sorted(((code, target, current) for code, (target, current) in mentee.gaps.items() if target > current),
                  key=lambda g: (-(g[1] - g[2]), g[0]))
    return tuple((code, target, current, (target - current) * (FOCUS_WEIGHT if code in mentee.focus else 1))
                 for code, target, current in gaps)


def _points(mentee: Mentee, gaps, mentor: Mentor, day: dt.date) -> tuple[float, float, float, float, float, float]:
    """The five parts of the score and the overlap hours: the fast path that cohort assignment runs per pair."""
    total_weight = covered_weight = 0
    levels = mentor.levels
    for code, target, _current, weight in gaps:
        total_weight += weight
        if levels.get(code, 0) >= target:
            covered_weight += weight
    coverage = COVERAGE_POINTS * covered_weight / total_weight if total_weight else 0.0
    capacity = CAPACITY_POINTS * mentor.places_left / mentor.capacity if mentor.capacity > 0 else 0.0
    language = float(LANGUAGE_POINTS) if not mentee.languages.isdisjoint(mentor.languages) else 0.0
    hours = overlap_hours(mentee.time_zone, mentor.time_zone, day)
    overlap = OVERLAP_POINTS * hours / (WORKDAY[1] - WORKDAY[0])
    # Without feedback yet, a mentor stands in the middle: neither rewarded nor punished.
    feedback = FEEDBACK_POINTS * ((mentor.rating - 1) / 4 if mentor.rating is not None else 0.5)
    return coverage, capacity, language, overlap, feedback, hours


def _total(points) -> float:
    return round(sum(points[:5]), 1)


def score(mentee: Mentee, mentor: Mentor, names: Mapping[str, str], day: dt.date, gaps=None) -> Match:
    """Score one mentor for one mentee, with the breakdown and the reasons."""
    gaps = _open_gaps(mentee) if gaps is None else gaps
    points = _points(mentee, gaps, mentor, day)
    coverage, capacity, language, overlap, feedback, hours = points
    covered = [(code, target, mentor.levels.get(code, 0)) for code, target, _c, _w in gaps
               if mentor.levels.get(code, 0) >= target]
    parts = (Part("Covers your gaps", round(coverage, 1), COVERAGE_POINTS),
             Part("Places free", round(capacity, 1), CAPACITY_POINTS),
             Part("Shared language", round(language, 1), LANGUAGE_POINTS),
             Part("Working hours overlap", round(overlap, 1), OVERLAP_POINTS),
             Part("Mentees' feedback", round(feedback, 1), FEEDBACK_POINTS))
    reasons = [_coverage_reason(covered, gaps, mentee.focus, names),
               f"{mentor.places_left} of {mentor.capacity} places free"]
    shared = sorted(mentee.languages & mentor.languages)
    if shared:
        reasons.append("both speak " + " and ".join(language_name(code) for code in shared))
    reasons.append(_hours(hours))
    if mentor.rating is not None:
        reasons.append(f"past mentees rate sessions {mentor.rating:.1f} of 5 ({mentor.ratings})")
    return Match(mentor, _total(points), parts, tuple(reasons), tuple(code for code, _, _ in covered))


def _coverage_reason(covered, open_gaps, focus, names) -> str:
    if not open_gaps:
        return "you have no open gaps against your role's targets"
    if not covered:
        return "covers none of your gaps"
    described = [f"{names.get(code, code)} (needs level {target}, mentor is {level})" if i == 0 else names.get(code, code)
                 for i, (code, target, level) in enumerate(covered[:2])]
    largest = [gap[0] for gap in open_gaps[:len(covered)]]
    if [code for code, _, _ in covered] == largest and len(covered) <= 2:
        head = "covers your largest gap" if len(covered) == 1 else f"covers your {NUMBER_WORDS[len(covered)]} largest gaps"
    else:
        head = f"covers {len(covered)} of your {len(open_gaps)} gaps"
        if len(covered) > 2:
            head += ", including"
    text = f"{head}: {' and '.join(described)}"
    focus_covered = [code for code, _, _ in covered if code in focus]
    if focus_covered:
        text += f" ({len(focus_covered)} of your focus competencies)"
    return text


def rank(mentee: Mentee, mentors: Iterable[Mentor], names: Mapping[str, str], day: dt.date,
         competency: str | None = None, language: str | None = None, limit: int | None = None) -> list[Match]:
    """Mentors the mentee may ask, best first (the first ``limit``); ties by name then id, so the order is stable."""
    gaps = _open_gaps(mentee)
    scored = []
    for mentor in mentors:
        if exclusion(mentee, mentor) is not None:
            continue
        if competency and competency not in mentor.levels:
            continue
        if language and language not in mentor.languages:
            continue
        scored.append((-_total(_points(mentee, gaps, mentor, day)), mentor.name, mentor.person_id, mentor))
    scored.sort(key=lambda item: item[:3])
    return [score(mentee, mentor, names, day, gaps) for *_, mentor in scored[:limit]]


@dataclass(frozen=True)
class Pair:
    mentee: Mentee
    match: Match


@dataclass(frozen=True)
class Unmatched:
    mentee: Mentee
    why: str


@dataclass(frozen=True)
class Cohort:
    pairs: list[Pair]
    unmatched: list[Unmatched]

    @property
    def total(self) -> float:
        return round(sum(p.match.score for p in self.pairs), 1)


def assign(mentees: Sequence[Mentee], mentors: Sequence[Mentor], names: Mapping[str, str],
           day: dt.date) -> Cohort:
    """The assignment that maximises the total score; each mentee gets at most one mentor, no mentor more
    mentees than places left.

    Each mentor becomes one column per place left; each mentee also has a column of their own that
    means "no mentor" at no cost, so the solver never forces a pair in just to fill a place.
    """
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    columns = [mentor for mentor in mentors for _ in range(mentor.places_left if mentor.accepting else 0)]
    n, m = len(mentees), len(columns)
    if n == 0:
        return Cohort([], [])
    forbidden = 1e9
    cost = np.full((n, m + n), forbidden)
    cost[np.arange(n), m + np.arange(n)] = 0.0
    scores: dict[tuple[int, int], float] = {}
    first_column: dict[int, int] = {}
    for j, mentor in enumerate(columns):
        first_column.setdefault(mentor.person_id, j)
    open_gaps = [_open_gaps(mentee) for mentee in mentees]
    offered = [mentor for mentor in mentors if mentor.person_id in first_column]
    for i, mentee in enumerate(mentees):
        for mentor in offered:
            if exclusion(mentee, mentor) is not None:
                continue
            total = _total(_points(mentee, open_gaps[i], mentor, day))
            scores[i, mentor.person_id] = total
            start = first_column[mentor.person_id]
            cost[i, start:start + mentor.places_left] = -total
    rows, cols = linear_sum_assignment(cost)
    pairs, unmatched = [], []
    for i, j in zip(rows, cols):
        mentee = mentees[i]
        if j < m and cost[i, j] < forbidden:
            pairs.append(Pair(mentee, score(mentee, columns[j], names, day, open_gaps[i])))
        else:
            unmatched.append(Unmatched(mentee, _why_unmatched(mentee, mentors, scores, i)))
    pairs.sort(key=lambda p: (p.mentee.name, p.mentee.person_id))
    unmatched.sort(key=lambda u: (u.mentee.name, u.mentee.person_id))
    return Cohort(pairs, unmatched)


def _why_unmatched(mentee: Mentee, mentors: Sequence[Mentor], scores, i: int) -> str:
    if not mentors:
        return "no mentor was selected"
    possible = [mentor for mentor in mentors if (i, mentor.person_id) in scores]
    if not possible:
        reasons = sorted({exclusion(mentee, mentor) or "is not accepting mentees" for mentor in mentors})
        return "no selected mentor can take them: each " + " or ".join(reasons)
    return ("every place with a mentor who suits them went to mentees those mentors suit better; "
            "add mentors or places")
