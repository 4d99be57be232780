"""``coe content ...``: validate and sync content/, rebuild the search index."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from coe.errors import InvalidContent
from coe.extensions import db
from coe.library import services
from coe.library.pipeline import SyncReport, sync_content

content = AppGroup("content", help="Sync the library, framework and tracks from content/.")


def run_sync(root: str) -> SyncReport:
    """Validate and write all content, commit, then bring the search index to the new generation."""
    try:
        report = sync_content(root)
    except InvalidContent:
        db.session.rollback()
        raise
    db.session.commit()
    services.refresh_index()
    return report


@content.command("sync")
@click.option("--dir", "root", default=None, help="The content folder (default: COE_CONTENT_DIR).")
def sync(root: str | None) -> None:
    """Validate every content file, then write them all in one transaction and update the index."""
    root = root or current_app.config["COE_CONTENT_DIR"]
    started = time.perf_counter()
    try:
        report = run_sync(root)
    except InvalidContent as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s) found; nothing was changed.") from None
    click.echo(f"{report.summary()} in {time.perf_counter() - started:.2f} s")


@content.command("reindex")
def reindex() -> None:
    """Rebuild this host's search index from the database."""
    started = time.perf_counter()
    outcome = services.refresh_index(force=True)
    click.echo(f"Search index {outcome} in {time.perf_counter() - started:.2f} s")
