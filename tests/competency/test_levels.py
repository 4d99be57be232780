"""Current levels, calibration flags and gaps, as plain functions."""

from __future__ import annotations

from datetime import datetime, timedelta

from coe.competency.levels import RatingFact, current_levels, gaps, summarise

T0 = datetime(2026, 1, 1)


def at(days: int) -> datetime:
    return T0 + timedelta(days=days)


def test_the_newest_validated_rating_wins_over_any_self_rating():
    levels = current_levels([
        RatingFact("risk", 2, "self", at(0)), RatingFact("risk", 3, "lead", at(10)),
        RatingFact("risk", 4, "self", at(20)), RatingFact("risk", 2, "mentor", at(30))])
    assert levels["risk"].level == 2 and levels["risk"].validated
    assert levels["risk"].self_level == 4 and levels["risk"].validated_level == 2


def test_without_validation_the_newest_self_rating_counts_and_says_so():
    levels = current_levels([RatingFact("plan", 2, "self", at(0)), RatingFact("plan", 3, "self", at(5))])
    assert levels["plan"].level == 3 and not levels["plan"].validated


def test_quiz_and_track_ratings_do_not_validate():
    levels = current_levels([RatingFact("plan", 2, "self", at(0)), RatingFact("plan", 4, "quiz", at(5))])
    assert levels["plan"].level == 2 and not levels["plan"].validated


def test_ties_in_time_go_to_the_later_rating():
    levels = current_levels([RatingFact("risk", 2, "lead", at(0), id=1), RatingFact("risk", 3, "lead", at(0), id=2)])
    assert levels["risk"].level == 3


def test_a_self_rating_two_levels_from_the_validated_one_is_flagged():
    near = current_levels([RatingFact("risk", 3, "lead", at(0)), RatingFact("risk", 4, "self", at(1))])
    far = current_levels([RatingFact("risk", 2, "lead", at(0)), RatingFact("risk", 4, "self", at(1))])
    below = current_levels([RatingFact("risk", 4, "mentor", at(0)), RatingFact("risk", 2, "self", at(1))])
    assert not near["risk"].needs_calibration
    assert far["risk"].needs_calibration and below["risk"].needs_calibration


def test_gap_is_target_minus_current_and_never_negative():
    levels = current_levels([RatingFact("risk", 1, "lead", at(0)), RatingFact("plan", 4, "lead", at(0))])
    found = {gap.competency: gap.size for gap in gaps({"risk": 3, "plan": 3, "scope": 2}, levels)}
    assert found == {"risk": 2, "plan": 0, "scope": 2}


def test_gaps_come_largest_first_and_the_summary_reads_as_a_sentence():
    levels = current_levels([RatingFact("risk", 1, "lead", at(0)), RatingFact("stake", 2, "self", at(0)),
                             RatingFact("plan", 3, "lead", at(0))])
    ordered = gaps({"stake": 3, "risk": 3, "plan": 3}, levels)
    assert [(gap.competency, gap.size) for gap in ordered] == [("risk", 2), ("stake", 1), ("plan", 0)]
    summary = summarise(ordered)
    assert summary.sentence({"risk": "Risk", "stake": "Stakeholder engagement"}) == \
        "meets 1 of 3 targets; largest gaps: Risk (2), Stakeholder engagement (1)"
