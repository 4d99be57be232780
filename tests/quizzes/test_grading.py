"""Grading each question type: right, wrong and partial answers, numeric tolerances and ranges."""

from __future__ import annotations

import pytest

from coe.quizzes.gift import parse_gift
from coe.quizzes.questions import from_dict


def question(text: str):
    quiz = parse_gift(text)
    assert not quiz.problems, quiz.problems
    return quiz.questions[0]


SINGLE = "::s::Pick?{=Right#yes ~%50%Half right#half ~Wrong#no}"
MULTIPLE = "::m::All?{~%50%A#a ~%50%B#b ~%-100%C#c ~D}"


def test_single_choice_right_partial_wrong_and_unanswered():
    q = question(SINGLE)
    assert q.grade(0).fraction == 1 and q.grade(0).feedback == ["yes"]
    assert q.grade("1").fraction == 0.5
    assert q.grade(2).fraction == 0 and q.grade(2).feedback == ["no"]
    assert q.grade(None).fraction == 0 and q.grade(7).fraction == 0


def test_multiple_answers_add_up_and_wrong_ones_subtract_but_never_below_zero():
    q = question(MULTIPLE)
    assert q.grade([0, 1]).fraction == 1
    assert q.grade([0]).fraction == 0.5
    assert q.grade([0, 3]).fraction == 0.5
    assert q.grade([0, 1, 2]).fraction == 0
    assert q.grade([2]).fraction == 0
    assert q.grade([0, 0, 1]).fraction == 1  # a choice counts once however often it is sent
    assert q.grade([0, 2]).feedback == ["a", "c"]


def test_true_false():
    q = question("::t::Statement.{F#wrong#right}")
    assert q.grade(False).fraction == 1 and q.grade(False).feedback == ["right"]
    assert q.grade("true").fraction == 0 and q.grade(True).feedback == ["wrong"]
    assert q.grade(None).fraction == 0


def test_short_answer_ignores_case_and_spacing_and_gives_partial_marks():
    q = question("::a::Which log?{=decision log =%50%change log#half =RAID*#wild}")
    assert q.grade("  Decision   LOG ").fraction == 1
    assert q.grade("change log").fraction == 0.5
    assert q.grade("raid register").fraction == 1
    assert q.grade("risk log").fraction == 0 and q.grade("").fraction == 0


def test_numeric_tolerance_is_inclusive_and_outside_is_wrong():
    q = question("::n::Pi?{#3.14:0.01}")
    assert q.grade("3.15").fraction == 1
    assert q.grade("3.13").fraction == 1
    assert q.grade("3.16").fraction == 0
    assert q.grade("3,14").fraction == 1  # a decimal comma
    assert q.grade("pi").fraction == 0


def test_numeric_ranges_and_several_weighted_answers():
    q = question("::n::Weeks?{#=%100%1.8:0#right =%50%1.5..2.2#close ~#no}")
    assert q.grade("1.8").fraction == 1
    assert q.grade("2").fraction == 0.5 and q.grade("2").feedback == ["close"]
    assert q.grade("1.5").fraction == 0.5 and q.grade("2.2").fraction == 0.5
    assert q.grade("2.3").fraction == 0 and q.grade("2.3").feedback == ["no"]
    ranged = question("::r::Delay?{#1..6}")
    assert ranged.grade("1").fraction == 1 and ranged.grade("6").fraction == 1 and ranged.grade("7").fraction == 0


def test_numeric_thousands_and_negative_values():
    q = question("::n::VAC?{#-400000:1000}")
    assert q.grade("-400,000").fraction == 1
    assert q.grade("-401000").fraction == 1
    assert q.grade("400000").fraction == 0


def test_matching_gives_the_share_of_pairs_matched():
    q = question("::m::Match.{=Go -> Start =Stop -> Close =Recycle -> Fix =Hold -> Fix}")
    assert q.rights == ["Start", "Close", "Fix"]
    assert q.grade({"0": 0, "1": 1, "2": 2, "3": 2}).fraction == 1
    assert q.grade({"0": 0, "1": 2, "2": 2, "3": 1}).fraction == 0.5
    assert q.grade({}).fraction == 0 and q.grade("junk").fraction == 0


def test_essay_and_description_are_not_graded():
    assert question("::e::Write.{}").grade("words").fraction is None
    assert question("::d::Read this.").grade(None).fraction is None


@pytest.mark.parametrize("text", [SINGLE, MULTIPLE, "::n::N?{#=%100%1:0 =%50%0..2 ~#x}", "::m::M.{=a -> b =c -> d}",
                                  "::t::T.{T#w#r####g}", "::s::S?{=a =%50%b#c}"])
def test_a_stored_question_grades_as_the_parsed_one(text):
    q = question(text)
    assert from_dict(q.to_dict()) == q
