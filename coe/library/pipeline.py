"""The content sync: read every source under content/, validate all, then write all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from coe.auth.models import utcnow
from coe.competency.content import apply_framework, parse_framework
from coe.contentfiles import ContentContext
from coe.errors import InvalidContent, Problem
from coe.extensions import db
from coe.library.content import apply_library, parse_library
from coe.library.models import ContentState


@dataclass(frozen=True)
class ContentSource:
    """One kind of content: ``parse`` validates (recording problems), ``apply`` writes and returns counts."""

    name: str
    parse: Callable[[ContentContext], Any]
    apply: Callable[[Any, ContentContext], dict[str, int]]


# The framework comes first: the library and later sources check competency codes against it.
BUILT_IN = (
    ContentSource("competency framework", parse_framework, lambda data, ctx: apply_framework(data)),
    ContentSource("library", parse_library, apply_library),
)


def register_content_source(app: Flask, source: ContentSource) -> None:
    """Add a source (tracks, quizzes) to the sync, after the built-in ones."""
    app.extensions.setdefault("coe.content_sources", []).append(source)


@dataclass
class SyncReport:
    counts: dict[str, int] = field(default_factory=dict)
    generation: int = 0
    index_changed: bool = False

    def summary(self) -> str:
        parts = [f"{value} {name}" for name, value in self.counts.items() if value]
        return f"Content synced (generation {self.generation}): " + (", ".join(parts) or "nothing")


def content_state() -> ContentState:
    state = db.session.get(ContentState, 1)
    if state is None:
        state = ContentState(id=1, generation=0, synonyms=[])
        db.session.add(state)
        db.session.flush()
    return state


def sync_content(root: str | Path) -> SyncReport:
    """Validate every content file; if all are valid, write them (flush only); else raise InvalidContent."""
    root = Path(root)
    if not root.is_dir():
        raise InvalidContent([Problem(str(root), "is not a folder: set COE_CONTENT_DIR to the content folder.")])
    ctx = ContentContext(root)
    sources = [*BUILT_IN, *current_app.extensions.get("coe.content_sources", [])]
    parsed = [(source, source.parse(ctx)) for source in sources]
    if ctx.problems:
        raise InvalidContent(ctx.problems)
    state = content_state()
    ctx.shared["generation"] = state.generation + 1
    report = SyncReport()
    for source, data in parsed:
        report.counts.update(source.apply(data, ctx))
    report.index_changed = bool(ctx.shared.get("index_changed"))
    if report.index_changed:
        state.generation += 1
    state.synonyms = ctx.shared.get("synonyms", [])
    state.synced_at = utcnow()
    report.generation = state.generation
    db.session.flush()
    return report
