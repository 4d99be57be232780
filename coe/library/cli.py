"""``coe content reindex``: rebuild this host's search index."""

from __future__ import annotations

import time

import click

from coe.library import services


@click.command("reindex")
def reindex() -> None:
    """Rebuild this host's search index from the database."""
    started = time.perf_counter()
    outcome = services.refresh_index(force=True)
    click.echo(f"Search index {outcome} in {time.perf_counter() - started:.2f} s")
