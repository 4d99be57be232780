"""The quizzes' content source: content/quizzes/<slug>.yml, or <slug>.gift with an optional <slug>.yml of settings."""

from __future__ import annotations

import copy
import hashlib
import html as htmllib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from coe.auth.models import utcnow
from coe.content.context import SyncContext
from coe.content.files import decode, read_bytes, read_yaml_file
from coe.content.governance import Governance, resolve
from coe.extensions import db
from coe.library.rendering import Renderer, sanitize
from coe.quizzes.gift import parse_gift
from coe.quizzes.models import Quiz, QuizCompetency, QuizQuestion
from coe.quizzes.questions import Question
from coe.quizzes.quizfile import QuizDefinition, check_quiz, read_settings, read_yaml_quiz

QUIZZES = "quizzes"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Bump when the rendering of questions changes, so that unchanged files are written again.
RENDER_VERSION = "1"


@dataclass
class ParsedQuiz:
    definition: QuizDefinition
    path: str
    checksum: str
    rendered: list[dict]  # each question with its texts as safe HTML


@dataclass
class QuizzesData:
    quizzes: list[ParsedQuiz]


class _Html:
    """Render a quiz's texts by their format: Markdown, HTML, plain text or Moodle's auto-format."""

    def __init__(self):
        self.renderer = Renderer(set())

    def __call__(self, text: str, fmt: str) -> str:
        if not text:
            return ""
        if fmt == "markdown":
            html = self.renderer.render(text, QUIZZES).html
        elif fmt == "plain":
            html = htmllib.escape(text).replace("\n", "<br>")
        elif fmt == "moodle":
            html = sanitize(text.replace("\n", "<br>"))
        else:
            html = sanitize(text)
        html = html.strip()
        # One paragraph alone is inline text (an answer, a feedback): no block inside a label.
        if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
            html = html[3:-4]
        return html


def render_question(question: Question, to_html: _Html) -> dict:
    rendered = copy.deepcopy(question)
    rendered.map_texts(lambda text: to_html(text, question.format))
    return rendered.to_dict()


def _files(ctx: SyncContext) -> list[tuple[str, Path, Path | None]]:
    """(slug, quiz file, settings file or None) of every quiz; record files that are neither."""
    base = ctx.root / QUIZZES
    if not base.is_dir():
        return []
    names = sorted(p for p in base.iterdir() if not p.name.startswith("."))
    gifts = {p.stem for p in names if p.suffix == ".gift"}
    found = []
    for path in names:
        if path.is_dir() or path.suffix not in (".yml", ".gift"):
            ctx.problem(path, "is not a quiz: quizzes are .yml files or Moodle .gift files (with an optional .yml "
                              "of settings beside them).")
            continue
        if path.suffix == ".yml" and path.stem in gifts:
            continue  # the settings of the .gift beside it
        if not SLUG.match(path.stem) or len(path.stem) > 120:
            ctx.problem(path, "has a file name that is not a valid slug: use lower-case words joined by hyphens, "
                              "such as risk-essentials.yml.")
            continue
        settings = path.with_suffix(".yml") if path.suffix == ".gift" else None
        found.append((path.stem, path, settings if settings is not None and settings.exists() else None))
    return found


def parse_quizzes(ctx: SyncContext) -> QuizzesData:
    """Read and validate every quiz; record each problem with its file and line."""
    governance = Governance(ctx.governance or {})
    digest = governance.digest() if ctx.governance is not None else ""
    to_html = _Html()
    parsed: list[ParsedQuiz] = []
    files = _files(ctx)
    # Every quiz file's slug, valid or not: a track that names a broken quiz is not a second problem.
    ctx.quiz_slugs = {slug for slug, _, _ in files}
    for slug, path, settings_path in files:
        before = len(ctx.problems)
        raw = read_bytes(ctx, path)
        text = decode(ctx, path, raw) if raw is not None else None
        if text is None:
            continue
        problems: list[tuple[int | None, str]] = []
        settings_raw = b""
        if path.suffix == ".gift":
            gift = parse_gift(text)
            problems += gift.problems
            if settings_path is not None:
                settings_raw = read_bytes(ctx, settings_path) or b""
                data = read_yaml_file(ctx, settings_path)
                settings_problems: list[tuple[int | None, str]] = []
                definition = read_settings(data if isinstance(data, dict) else {}, settings_problems,
                                           allow_questions=False)
                for line, message in settings_problems:
                    ctx.problem(settings_path, message + ".", line)
            else:
                definition = QuizDefinition(slug)
            definition.slug, definition.source_format = slug, "gift"
            definition.questions, definition.category = gift.questions, gift.title
            definition.title = definition.title or gift.title
            if not definition.title:
                problems.append((1, "has no title: start the file with a `$CATEGORY:` line or put a .yml with "
                                    "`title` beside it"))
        else:
            data = read_yaml_file(ctx, path)
            if data is None:
                continue
            definition = read_yaml_quiz(data, slug, problems)
        check_quiz(definition, problems, ctx.competency_codes)
        _resolve_placeholders(definition, ctx, path, governance)
        for line, message in problems:
            ctx.problem(path, message + ".", line)
        if len(ctx.problems) > before:
            continue
        checksum = hashlib.sha256(f"{RENDER_VERSION}\0{digest}\0".encode() + raw + b"\0" + settings_raw).hexdigest()
        rendered = [render_question(q, to_html) for q in definition.questions]
        parsed.append(ParsedQuiz(definition, f"{QUIZZES}/{path.name}", checksum, rendered))
    return QuizzesData(parsed)


def _resolve_placeholders(quiz: QuizDefinition, ctx: SyncContext, path: Path, governance: Governance) -> None:
    """Put governance values in place of {{gov.key}} in every text; name unknown keys by the question's line."""
    if ctx.governance is None:
        return
    for question in quiz.questions:
        def change(text: str, question=question) -> str:
            if "{{" not in text:
                return text
            resolved = resolve(text, governance.parameters, check_restated=False)
            for _, message in resolved.problems:
                ctx.problem(path, f"question `{question.key}` {message}", question.line or None)
            return resolved.text
        question.map_texts(change)


def apply_quizzes(data: QuizzesData, ctx: SyncContext) -> dict[str, int]:
    """Write changed quizzes and their questions (by stable id); archive removed quizzes and questions."""
    now = utcnow()
    existing = {q.slug: q for q in db.session.scalars(select(Quiz))}
    counts = {"quizzes added": 0, "quizzes updated": 0, "quizzes archived": 0, "quiz questions archived": 0,
              "quiz questions shown but not graded": 0}
    for parsed in data.quizzes:
        definition = parsed.definition
        counts["quiz questions shown but not graded"] += sum(1 for q in definition.questions if not q.graded)
        quiz = existing.get(definition.slug)
        if quiz is not None and quiz.checksum == parsed.checksum and quiz.archived_at is None:
            continue
        if quiz is None:
            quiz = Quiz(slug=definition.slug, created_at=now)
            db.session.add(quiz)
            counts["quizzes added"] += 1
        else:
            counts["quizzes updated"] += 1
        s = definition.settings
        quiz.path, quiz.title, quiz.summary = parsed.path, definition.title, definition.summary
        quiz.source_format, quiz.category = definition.source_format, definition.category[:200]
        quiz.pass_mark, quiz.attempts_allowed, quiz.wait_minutes = s.pass_mark, s.attempts, s.wait_minutes
        quiz.time_limit_minutes, quiz.draw, quiz.grading, quiz.review = s.time_limit_minutes, s.draw, s.grading, s.review
        quiz.shuffle_questions, quiz.shuffle_answers = s.shuffle_questions, s.shuffle_answers
        quiz.checksum, quiz.generation, quiz.archived_at, quiz.updated_at = parsed.checksum, ctx.generation, None, now
        quiz.competencies = [QuizCompetency(competency_code=code, level=level)
                             for code, level in sorted(definition.competencies.items())]
        db.session.flush()
        counts["quiz questions archived"] += _write_questions(quiz, definition.questions, parsed.rendered, now)
        ctx.index_changed = True
    seen = {p.definition.slug for p in data.quizzes}
    removed = [q.id for slug, q in existing.items() if slug not in seen and q.archived_at is None]
    if removed:
        db.session.execute(update(Quiz).where(Quiz.id.in_(removed)).values(archived_at=now, generation=ctx.generation))
        counts["quizzes archived"] = len(removed)
        ctx.index_changed = True
    db.session.flush()
    return counts


def _write_questions(quiz: Quiz, questions: list[Question], rendered: list[dict], now) -> int:
    """Update questions by key, add new ones, archive the ones no longer in the file; return how many were archived."""
    current = {q.key: q for q in db.session.scalars(select(QuizQuestion).where(QuizQuestion.quiz_id == quiz.id))}
    for position, (question, html) in enumerate(zip(questions, rendered)):
        row = current.get(question.key) or QuizQuestion(quiz_id=quiz.id, key=question.key)
        row.position, row.type, row.graded = position, question.type, question.graded
        row.data, row.html, row.archived_at = question.to_dict(), html, None
        db.session.add(row)
    keys = {q.key for q in questions}
    gone = [row.id for key, row in current.items() if key not in keys and row.archived_at is None]
    if gone:
        db.session.execute(update(QuizQuestion).where(QuizQuestion.id.in_(gone)).values(archived_at=now))
    return len(gone)
