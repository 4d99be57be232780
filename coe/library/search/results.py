"""What a search asks and what it answers: plain values, no Whoosh objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SearchRequest:
    q: str
    kind: str = ""
    tag: str = ""
    competency: str = ""
    page: int = 1
    per_page: int = 10
    synonyms: Sequence[Sequence[str]] = ()
    facets: bool = True


@dataclass
class Hit:
    ref: str
    kind: str
    title: str
    summary: str
    snippet: str  # HTML: escaped text with <mark> around the matched words
    tags: list[str]


@dataclass
class SearchResults:
    total: int
    page: int
    pages: int
    hits: list[Hit] = field(default_factory=list)
    kind_counts: dict[str, int] = field(default_factory=dict)
    tag_counts: dict[str, int] = field(default_factory=dict)
    suggestion: str | None = None
    # Set when no item matched every word of a strict query and the results match some of them.
    relaxed: bool = False
    error: str | None = None


class QueryError(Exception):
    """The query cannot be run as written; the message says why and what to do."""


class IndexUnavailable(Exception):
    """There is no usable index generation in the directory."""
