"""GIFT import as Moodle reads it, one test per syntax rule, and a round trip through the exporter."""

from __future__ import annotations

from pathlib import Path

import pytest

from coe.quizzes.gift import parse_gift, write_gift
from coe.quizzes.questions import (Description, Essay, Matching, MultipleChoice, Numeric, ShortAnswer, SingleChoice,
                                   TrueFalse, match_weight)

CONTENT_GIFT = Path(__file__).parents[2] / "content" / "quizzes" / "change-and-governance.gift"


def one(text: str):
    quiz = parse_gift(text)
    assert not quiz.problems, quiz.problems
    assert len(quiz.questions) == 1
    return quiz.questions[0]


def test_category_sets_the_quiz_title():
    quiz = parse_gift("$CATEGORY: $course$/top/Risk basics\n\n::a::Q?{T}\n")
    assert quiz.categories == ["$course$/top/Risk basics"]
    assert quiz.title == "Risk basics"


def test_question_name_becomes_the_name_and_a_stable_id():
    question = one("::Where the money goes::Which log?{=decision log}")
    assert question.name == "Where the money goes"
    assert question.key == "where-the-money-goes"
    assert question.text == "Which log?"


def test_same_names_get_distinct_ids():
    quiz = parse_gift("::Q::One?{T}\n\n::Q::Two?{F}")
    assert [q.key for q in quiz.questions] == ["q", "q-2"]


def test_text_formats_are_read_and_default_to_moodle():
    assert one("::a::[markdown]**Bold**?{T}").format == "markdown"
    assert one("::a::[html]<p>Hi?</p>{T}").format == "html"
    assert one("::a::[plain]Plain?{T}").format == "plain"
    question = one("::a::Auto?{T}")
    assert question.format == "moodle" and question.text == "Auto?"


def test_comment_lines_are_ignored_inside_and_between_questions():
    quiz = parse_gift("// header\n// more\n::a::First?{\n// a note on the answers\n=yes\n~no\n}\n\n// alone\n")
    assert len(quiz.questions) == 1
    assert [c.text for c in quiz.questions[0].choices] == ["yes", "no"]


@pytest.mark.parametrize("escaped, plain", [
    (r"a\:b", "a:b"), (r"a\#b", "a#b"), (r"a\=b", "a=b"), (r"a\{b\}", "a{b}"), (r"a\~b", "a~b"),
    (r"C\:\\\\share", "C:\\\\share"), (r"one\ntwo", "one\ntwo"),
])
def test_escapes_are_literal_characters(escaped, plain):
    question = one(f"::a::{escaped}?{{T}}")
    assert question.text == plain + "?"


def test_single_choice_with_right_and_wrong_answers_and_feedback():
    question = one("::a::Pick?{=Right#Well done ~Wrong#Not this ~Also wrong}")
    assert isinstance(question, SingleChoice) and not isinstance(question, MultipleChoice)
    assert [(c.text, c.weight, c.feedback) for c in question.choices] == [
        ("Right", 100, "Well done"), ("Wrong", 0, "Not this"), ("Also wrong", 0, "")]


def test_multiple_answers_with_percentage_and_negative_weights():
    question = one("::a::Pick all?{~%50%A ~%50%B ~%-100%C#never}")
    assert isinstance(question, MultipleChoice)
    assert [c.weight for c in question.choices] == [50, 50, -100]


def test_weights_that_are_moodle_grades_within_its_precision_are_accepted():
    question = one("::a::Pick all?{~%33.33333%A ~%33.333333%B ~%33.33333%C ~%-100%D}")
    assert [c.weight for c in question.choices][:3] == [33.33333, 33.33333, 33.33333]


def test_a_weight_that_is_not_a_moodle_grade_is_refused_with_the_line():
    quiz = parse_gift("// c\n\n::a::Pick all?{~%35%A ~%65%B}")
    assert quiz.questions == []
    assert quiz.problems[0][0] == 3
    assert "35% is not one of Moodle's grades" in quiz.problems[0][1]


def test_nearest_mode_rounds_to_the_nearest_grade_as_moodle_can():
    assert match_weight(33.3, "nearest") == 33.33333
    assert match_weight(-48, "nearest") == -50


def test_multiple_answers_must_add_up_to_a_full_mark():
    quiz = parse_gift("::a::Pick all?{~%50%A ~%25%B ~C}")
    assert "add up to 75%" in quiz.problems[0][1]


def test_true_false_with_wrong_and_right_feedback():
    question = one("::a::The sky is green.{F#No, it is blue.#Right, it is not.####Look up.}")
    assert isinstance(question, TrueFalse) and question.answer is False
    assert question.feedback_true == "No, it is blue."  # the wrong answer here
    assert question.feedback_false == "Right, it is not."
    assert question.explanation == "Look up."
    assert one("::a::True?{TRUE}").answer is True and one("::a::T?{T}").answer is True
    assert one("::a::F?{FALSE}").answer is False


def test_short_answer_with_several_weighted_answers():
    question = one("::a::Which log?{=decision log =%50%change log#Half marks}")
    assert isinstance(question, ShortAnswer)
    assert [(a.text, a.weight, a.feedback) for a in question.answers] == [
        ("decision log", 100, ""), ("change log", 50, "Half marks")]


def test_numeric_with_tolerance():
    question = one("::a::Pi?{#3.14:0.01}")
    assert isinstance(question, Numeric)
    assert (question.answers[0].value, question.answers[0].tolerance) == (3.14, 0.01)


def test_numeric_range():
    answer = one("::a::Between?{#1..5}").answers[0]
    assert (answer.low, answer.high) == (1, 5)


def test_numeric_with_several_weighted_answers_and_wrong_feedback():
    question = one("::a::Weeks?{#\n=%100%1.8:0#Right\n=%50%2:0.2#Half\n~#Count again\n}")
    assert [(a.value, a.tolerance, a.weight, a.feedback) for a in question.answers] == [
        (1.8, 0, 100, "Right"), (2, 0.2, 50, "Half")]
    assert question.wrong_feedback == "Count again"


def test_numeric_that_is_not_a_number_is_refused():
    quiz = parse_gift("::a::How many?{#three}")
    assert "is not a number" in quiz.problems[0][1]


def test_matching_pairs():
    question = one("::a::Match.{=Go -> Start =Stop -> Close =Recycle -> Fix}")
    assert isinstance(question, Matching)
    assert [(p.left, p.right) for p in question.pairs] == [("Go", "Start"), ("Stop", "Close"), ("Recycle", "Fix")]


def test_matching_needs_two_pairs():
    quiz = parse_gift("::a::Match.{=Go -> Start}")
    assert "at least two pairs" in quiz.problems[0][1]


def test_missing_word_leaves_a_gap_in_the_sentence():
    question = one("::a::A gate with an open condition is a {=recycle ~go} outcome.")
    assert isinstance(question, SingleChoice)
    assert question.text == "A gate with an open condition is a _____ outcome."


def test_general_feedback_becomes_the_explanation():
    assert one("::a::Q?{=a ~b ####Because.}").explanation == "Because."


def test_essay_and_description_are_imported_but_not_graded():
    quiz = parse_gift("::Scenario::Read this first.\n\n::Essay::Write about it.{}")
    description, essay = quiz.questions
    assert isinstance(description, Description) and isinstance(essay, Essay)
    assert not description.graded and not essay.graded
    assert essay.grade("anything").fraction is None


def test_an_unclosed_answer_block_is_refused_with_its_line():
    quiz = parse_gift("::ok::Fine?{T}\n\n\n::broken::Where is the end?{=a ~b\n")
    assert len(quiz.questions) == 1
    line, reason = quiz.problems[0]
    assert line == 4 and "not closed" in reason


def test_the_real_gift_quiz_has_every_type():
    quiz = parse_gift(CONTENT_GIFT.read_text())
    assert not quiz.problems
    assert {q.type for q in quiz.questions} == {"description", "single", "multiple", "truefalse", "numeric",
                                                "matching", "short", "essay"}


def test_round_trip_import_export_import_gives_the_same_quiz():
    first = parse_gift(CONTENT_GIFT.read_text())
    written = write_gift(first.questions, first.title, "exported")
    second = parse_gift(written)
    assert not second.problems
    assert second.title == first.title
    assert second.questions == first.questions


def test_export_escapes_reserved_characters():
    question = one(r"::a\: b::Cost \= 5\{x\} \~ 3 \# 1?{=A\#1 ~B}")
    written = write_gift([question])
    assert r"Cost \= 5\{x\} \~ 3 \# 1?" in written
    assert one(written) == question
