"""What one content sync has learnt so far, shared between the sources in their order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coe.errors import Problem


@dataclass
class SyncContext:
    """The content root, every problem found, and the facts each source leaves for the ones after it.

    A field is None until the source that knows it has run: a later source checks against it
    only when it is known, so that one broken file does not bury the others' problems.
    """

    root: Path
    problems: list[Problem] = field(default_factory=list)
    # Set by the framework source.
    competency_codes: set[str] | None = None
    role_codes: set[str] | None = None
    # Set by the governance source: the tag vocabulary and the parameters documents may reference.
    tags: dict[str, str] | None = None
    governance: dict[str, Any] | None = None
    # Set by the library source.
    document_refs: set[str] | None = None
    synonyms: list[list[str]] = field(default_factory=list)
    # Set by the quiz source, for the tracks that use quizzes.
    quiz_slugs: set[str] | None = None
    # Set when writing: the generation being written, and whether searchable content changed.
    generation: int = 0
    index_changed: bool = False

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def problem(self, path: Path | str, message: str, line: int | None = None) -> None:
        name = path if isinstance(path, str) else self.rel(path)
        self.problems.append(Problem(name, message, line))
