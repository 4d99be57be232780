"""Results that depend only on the published content, kept until the next sync changes it.

Counts over the library (documents per kind, tag and competency) and related documents change
only when a sync publishes a new content generation; computing them on every page view would make
each view cost more as the library grows. A cached value is keyed by the database, the content
generation and the arguments, so a sync invalidates it by moving the generation on, in every
worker and host alike.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g

from coe.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def current_generation_of_request() -> int:
    """The content generation, read once per request."""
    from coe.content.pipeline import current_generation

    if "coe_content_generation" not in g:
        g.coe_content_generation = current_generation()
    return g.coe_content_generation


def per_generation(maxsize: int = 512) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache a function of plain, hashable arguments until the content generation moves on."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        entries: OrderedDict[tuple, R] = OrderedDict()
        lock = threading.Lock()

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            key = (str(db.engine.url), current_generation_of_request(), args, tuple(sorted(kwargs.items())))
            with lock:
                if key in entries:
                    entries.move_to_end(key)
                    return entries[key]
            value = fn(*args, **kwargs)
            with lock:
                entries[key] = value
                while len(entries) > maxsize:
                    entries.popitem(last=False)
            return value

        wrapper.cache_clear = entries.clear  # type: ignore[attr-defined]
        return wrapper

    return decorate
