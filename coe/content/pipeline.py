"""The content sync: read every registered source under content/, validate all, then write all or nothing.

Syncs are serialised in the database. The files are parsed without a lock (a full library takes
seconds); the write phase then takes the content-state row's write lock (a row lock on
PostgreSQL, the database's write lock on SQLite) and checks that no other sync committed in
between. If one did, the checksums the parse relied on may be stale, so the parse runs again.
Two syncs therefore publish consecutive generations, never the same one twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask import g
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from coe.auth.models import utcnow
from coe.content.context import SyncContext
from coe.content.models import ContentState
from coe.errors import InvalidContent, Problem
from coe.extensions import db
from coe.registry import registry

log = logging.getLogger(__name__)

# How long a sync waits for another sync's write phase on SQLite, in milliseconds.
SQLITE_LOCK_WAIT_MS = 120_000
MAX_ATTEMPTS = 3


@dataclass
class SyncReport:
    counts: dict[str, int] = field(default_factory=dict)
    generation: int = 0
    index_changed: bool = False

    def summary(self) -> str:
        parts = [f"{value} {name}" for name, value in self.counts.items() if value]
        return f"Content synced (generation {self.generation}): " + (", ".join(parts) or "nothing")


# Built once: every request that reads content asks for the generation, and building costs more than running.
_GENERATION = select(ContentState.generation).where(ContentState.id == 1)


def current_generation() -> int:
    """The content generation committed in the database (0 before the first sync)."""
    return db.session.scalar(_GENERATION) or 0


def content_state() -> ContentState | None:
    return db.session.get(ContentState, 1)


def _lock_content_state() -> ContentState:
    """Take the sync lock: the write lock on the content-state row, created on first use."""
    bind = db.session.get_bind()
    if bind.dialect.name == "sqlite":
        db.session.execute(text(f"PRAGMA busy_timeout={SQLITE_LOCK_WAIT_MS}"))
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(ContentState).values(id=1, generation=0, synonyms=[]).on_conflict_do_nothing())
    db.session.execute(update(ContentState).where(ContentState.id == 1).values(generation=ContentState.generation))
    state = db.session.get(ContentState, 1, populate_existing=True)
    assert state is not None
    return state


def _parse(root: Path) -> tuple[SyncContext, list]:
    ctx = SyncContext(root)
    parsed = [(source, source.parse(ctx)) for source in registry().content_sources]
    if ctx.problems:
        raise InvalidContent(ctx.problems)
    return ctx, parsed


def sync_content(root: str | Path) -> SyncReport:
    """Validate every content file; if all are valid, write them (flush only); else raise InvalidContent.

    The caller commits, which releases the sync lock, then tells the listeners (``run_sync``).
    """
    root = Path(root)
    if not root.is_dir():
        raise InvalidContent([Problem(str(root), "is not a folder: set COE_CONTENT_DIR to the content folder.")])
    for attempt in range(1, MAX_ATTEMPTS + 1):
        seen = current_generation()
        ctx, parsed = _parse(root)
        state = _lock_content_state()
        if state.generation == seen:
            break
        log.info("Another sync published generation %s while this one parsed; parsing again", state.generation)
        db.session.rollback()
    else:
        raise InvalidContent([Problem(str(root), f"other syncs kept publishing; {MAX_ATTEMPTS} attempts failed. "
                                                 "Run the sync again.")])
    ctx.generation = state.generation + 1
    report = SyncReport()
    for source, data in parsed:
        report.counts.update(source.apply(data, ctx))
    report.index_changed = ctx.index_changed
    if ctx.index_changed:
        state.generation += 1
    state.synonyms = ctx.synonyms
    state.synced_at = utcnow()
    report.generation = state.generation
    db.session.flush()
    return report


def run_sync(root: str | Path) -> SyncReport:
    """Validate and write all content, commit, then let the listeners (the search index) catch up."""
    try:
        report = sync_content(root)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    g.pop("coe_content_generation", None)  # the generation this request had read has moved on
    for listener in registry().sync_listeners:
        listener(report.generation)
    return report
