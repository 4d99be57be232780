"""``coe content ...``: validate and publish content/."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from coe.content.pipeline import run_sync
from coe.errors import InvalidContent

content = AppGroup("content", help="Sync the library, framework, tracks and quizzes from content/.")


def echo_problems(exc: InvalidContent) -> None:
    for problem in exc.problems:
        click.echo(f"error: {problem}", err=True)


@content.command("sync")
@click.option("--dir", "root", default=None, help="The content folder (default: COE_CONTENT_DIR).")
def sync(root: str | None) -> None:
    """Validate every content file, then write them all in one transaction and update the index."""
    root = root or current_app.config["COE_CONTENT_DIR"]
    started = time.perf_counter()
    try:
        report = run_sync(root)
    except InvalidContent as exc:
        echo_problems(exc)
        raise click.ClickException(f"{len(exc.problems)} problem(s) found; nothing was changed.") from None
    click.echo(f"{report.summary()} in {time.perf_counter() - started:.2f} s")
