"""Current levels, calibration and gaps: plain functions over plain data, used by every view that shows them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

VALIDATING = frozenset({"mentor", "lead", "import"})
CALIBRATION_DISTANCE = 2  # a self-rating this far from the validated level calls for a conversation


@dataclass(frozen=True)
class RatingFact:
    competency: str
    level: int
    source: str
    created_at: datetime
    id: int = 0


@dataclass(frozen=True)
class Current:
    """Where a person stands in one competency."""

    level: int  # 0 when never rated
    validated: bool  # False: the level is the person's own self-assessment
    self_level: int | None
    validated_level: int | None

    @property
    def needs_calibration(self) -> bool:
        """The self-rating is two or more levels from the validated one."""
        return (self.self_level is not None and self.validated_level is not None
                and abs(self.self_level - self.validated_level) >= CALIBRATION_DISTANCE)


UNRATED = Current(0, False, None, None)


def current_levels(ratings: Iterable[RatingFact]) -> dict[str, Current]:
    """The newest validated rating wins; without one, the newest self-rating, marked self-assessed."""
    newest_validated: dict[str, RatingFact] = {}
    newest_self: dict[str, RatingFact] = {}
    for rating in ratings:
        target = newest_validated if rating.source in VALIDATING else newest_self if rating.source == "self" else None
        if target is None:
            continue
        known = target.get(rating.competency)
        if known is None or (rating.created_at, rating.id) > (known.created_at, known.id):
            target[rating.competency] = rating
    levels = {}
    for code in newest_validated.keys() | newest_self.keys():
        validated, own = newest_validated.get(code), newest_self.get(code)
        chosen = validated or own
        levels[code] = Current(chosen.level, validated is not None, own.level if own else None,
                               validated.level if validated else None)
    return levels


@dataclass(frozen=True)
class Gap:
    competency: str
    target: int
    current: Current

    @property
    def size(self) -> int:
        """Target minus current level; 0 when met or exceeded."""
        return max(0, self.target - self.current.level)


def gaps(targets: Mapping[str, int], levels: Mapping[str, Current]) -> list[Gap]:
    """One gap per targeted competency, largest first (then by competency, for a stable order)."""
    found = [Gap(code, target, levels.get(code, UNRATED)) for code, target in targets.items()]
    return sorted(found, key=lambda gap: (-gap.size, gap.competency))


@dataclass(frozen=True)
class Summary:
    met: int
    targeted: int
    largest: list[Gap]

    def sentence(self, names: Mapping[str, str]) -> str:
        """"meets 9 of 15 targets; largest gaps: Risk management (2), Stakeholder engagement (1)"."""
        text = f"meets {self.met} of {self.targeted} targets"
        if self.largest:
            text += "; largest gaps: " + ", ".join(f"{names.get(g.competency, g.competency)} ({g.size})"
                                                  for g in self.largest)
        return text


def summarise(all_gaps: list[Gap], largest: int = 3) -> Summary:
    open_gaps = [gap for gap in all_gaps if gap.size > 0]
    return Summary(len(all_gaps) - len(open_gaps), len(all_gaps), open_gaps[:largest])
