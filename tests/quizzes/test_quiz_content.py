"""Quizzes in the content sync: every quiz loads, a bad file is refused by file and line, questions keep their ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from coe.content.pipeline import run_sync
from coe.errors import InvalidContent
from coe.extensions import db
from coe.quizzes.models import Quiz, QuizQuestion


def sync(app, root: Path):
    with app.app_context():
        return run_sync(str(root))


def problems(app, root: Path) -> list[str]:
    with app.app_context():
        with pytest.raises(InvalidContent) as excinfo:
            run_sync(str(root))
        return [str(p) for p in excinfo.value.problems]


def test_the_real_quizzes_are_loaded_with_every_question_type(app):
    with app.app_context():
        quizzes = {q.slug: q for q in db.session.scalars(select(Quiz))}
        assert len(quizzes) >= 6
        assert quizzes["change-and-governance"].source_format == "gift"
        assert quizzes["change-and-governance"].title.startswith("Change control and governance")
        assert quizzes["change-and-governance"].pass_mark == 75  # from the .yml beside the .gift
        types = set(db.session.scalars(select(QuizQuestion.type)))
        assert types >= {"single", "multiple", "truefalse", "short", "numeric", "matching", "essay", "description"}
        for quiz in quizzes.values():
            graded = db.session.scalars(select(QuizQuestion).where(QuizQuestion.quiz_id == quiz.id,
                                                                   QuizQuestion.graded.is_(True))).all()
            assert len(graded) >= 10, quiz.slug


def test_governance_placeholders_are_resolved_in_questions(app):
    with app.app_context():
        row = db.session.scalar(select(QuizQuestion).where(QuizQuestion.key == "high-risk-duties"))
        assert "{{" not in str(row.data) and "{{" not in str(row.html)


def test_the_sync_says_which_questions_are_not_graded(app, content_copy):
    (content_copy / "quizzes" / "risk-essentials.yml").write_text(
        (content_copy / "quizzes" / "risk-essentials.yml").read_text().replace("pass_mark: 80", "pass_mark: 85"))
    report = sync(app, content_copy)
    assert report.counts["quizzes updated"] == 1
    assert report.counts["quiz questions shown but not graded"] == 2


def test_a_malformed_gift_question_is_refused_with_file_line_and_reason(app, content_copy):
    path = content_copy / "quizzes" / "change-and-governance.gift"
    text = path.read_text()
    path.write_text(text + "\n\n::Broken::An unclosed block {=a ~b\n")
    line = len((text + "\n\n").splitlines()) + 1
    found = problems(app, content_copy)
    assert any(p.startswith(f"quizzes/change-and-governance.gift:{line}: ") and "not closed" in p for p in found), found


def test_a_weight_moodle_refuses_is_refused(app, content_copy):
    path = content_copy / "quizzes" / "change-and-governance.gift"
    path.write_text(path.read_text().replace("~%50%Treat them", "~%45%Treat them"))
    found = problems(app, content_copy)
    assert any("change-and-governance.gift:" in p and "45% is not one of Moodle's grades" in p for p in found), found


@pytest.mark.parametrize("old, new, expected", [
    ("    type: matching\n", "    type: essayish\n", "has type 'essayish'"),
    ("pass_mark: 80", "pass_mark: 180", "`pass_mark`"),
    ("review: after_passing", "review: sometimes", "`review` must be one of"),
    ("  risk-management: 2", "  risk-wrangling: 2", "not in the framework: risk-wrangling"),
    ("        weight: 25\n", "        weight: 26\n", "26% is not one of Moodle's grades"),
    ("draw: 0", "draw: 40", "draws 40 questions"),
    ("{{gov.risk.escalation_days}} working days\"", "{{gov.risk.escalation_dayz}} working days\"", "gov.risk.escalation_dayz"),
])
def test_a_malformed_yaml_quiz_is_refused_with_the_line(app, content_copy, old, new, expected):
    path = content_copy / "quizzes" / "risk-essentials.yml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    found = problems(app, content_copy)
    assert any(p.startswith("quizzes/risk-essentials.yml") and expected in p for p in found), found
    with app.app_context():  # nothing was written
        assert db.session.scalar(select(Quiz.pass_mark).where(Quiz.slug == "risk-essentials")) == 80


def test_a_stray_file_in_quizzes_is_refused(app, content_copy):
    (content_copy / "quizzes" / "notes.txt").write_text("draft")
    assert any(p.startswith("quizzes/notes.txt") for p in problems(app, content_copy))


def test_questions_keep_their_ids_when_edited_and_are_archived_when_removed(app, content_copy):
    path = content_copy / "quizzes" / "change-and-governance.gift"
    with app.app_context():
        before = dict(db.session.execute(select(QuizQuestion.key, QuizQuestion.id)
                                         .join(Quiz, Quiz.id == QuizQuestion.quiz_id)
                                         .where(Quiz.slug == "change-and-governance")).all())
    text = path.read_text()
    text = text.replace("What do you do first?", "What is your first move?")
    start = text.index("// Essay (not graded)")
    path.write_text(text[:start])
    report = sync(app, content_copy)
    assert report.counts["quiz questions archived"] == 1
    with app.app_context():
        rows = {q.key: q for q in db.session.scalars(
            select(QuizQuestion).join(Quiz, Quiz.id == QuizQuestion.quiz_id).where(Quiz.slug == "change-and-governance"))}
        assert {key: row.id for key, row in rows.items()} == before
        assert "first move" in rows["corridor-agreement"].data["text"]
        assert rows["your-own-change"].archived_at is not None


def test_a_removed_quiz_is_archived_not_deleted(app, content_copy):
    (content_copy / "quizzes" / "earned-value.yml").unlink()
    # The only track that uses it goes too (a track naming a missing quiz is refused by the sync).
    (content_copy / "tracks" / "governance-and-gates.yml").unlink()
    report = sync(app, content_copy)
    assert report.counts["quizzes archived"] == 1
    with app.app_context():
        assert db.session.scalar(select(Quiz.archived_at).where(Quiz.slug == "earned-value")) is not None


def test_searching_risk_finds_the_risk_quiz_as_a_quiz(pm_client):
    page = pm_client.get("/search?q=risk&kind=quizzes").get_data(as_text=True)
    assert "/quizzes/risk-essentials" in page
    data = pm_client.get("/api/search?q=risk+essentials").get_json()
    assert any(r.get("kind") == "quizzes" for r in data["results"]), data
