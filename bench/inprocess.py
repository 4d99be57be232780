"""Timing one page in-process, for the benches that measure pages without a server."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from sqlalchemy import event


@dataclass(frozen=True)
class PageTiming:
    median_ms: float
    statements: int  # SQL statements of one warm request
    size: int  # bytes of the page


def measure_page(client, engine, path: str, requests: int, warm: int = 2) -> PageTiming:
    """Warm the page up (it must answer 200), count one request's SQL statements, then time ``requests``."""
    for _ in range(warm):
        assert client.get(path).status_code == 200, path
    statements = []

    def count(*_args) -> None:
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    client.get(path)
    event.remove(engine, "before_cursor_execute", count)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    return PageTiming(statistics.median(timings), len(statements), len(response.data))
