"""The app's extension points, in one typed registry.

Each domain contributes when the app is built (in its ``init_app``): the content it syncs, the
panels of the home page, what it offers to build a competency, its demo data, its kinds of search
result, its health checks. Shared code asks the registry and never imports a domain, so that
dependencies point one way (DESIGN.md, Layout).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from coe.auth.models import Person
    from coe.content.context import SyncContext

EXTENSION_KEY = "coe"


@dataclass(frozen=True)
class ContentSource:
    """One kind of content file: ``parse`` validates and records problems; ``apply`` writes and returns counts.

    Sources run in ``order``: the framework first (others check competency codes against it).
    """

    name: str
    order: int
    parse: Callable[[SyncContext], Any]
    apply: Callable[[Any, SyncContext], dict[str, int]]


@dataclass(frozen=True)
class SearchDocument:
    """What the search index holds of one item, whatever domain it comes from."""

    ref: str  # "<kind>/<slug>", unique across kinds
    kind: str
    title: str
    summary: str
    text: str
    tags: Sequence[str] = ()
    competencies: Sequence[str] = ()


@dataclass(frozen=True)
class SearchChanges:
    """Items to (re)index and refs to remove, to move an index to a newer content generation."""

    upserts: list[SearchDocument]
    removals: list[str]


@dataclass(frozen=True)
class SearchSource:
    """A domain's items in the one search index: their kinds, how to read them, where they live."""

    name: str
    kinds: dict[str, str]  # kind -> label of one result ("templates" -> "Template")
    changed_since: Callable[[int], SearchChanges]  # items whose generation is above N
    all_items: Callable[[], list[SearchDocument]]  # every live item
    url: Callable[[str, str], str]  # (kind, slug) -> the item's page


@dataclass(frozen=True)
class Offering:
    """Something that builds a competency: a document, a track, a quiz, a mentor."""

    kind: str
    title: str
    url: str


@dataclass(frozen=True)
class CompetencyProvider:
    """A domain's answer to "what builds this competency?", for the framework page and development plans."""

    name: str
    label: str  # what it counts, in the plural: "library documents"
    offerings: Callable[[list[str]], dict[str, list[Offering]]]  # codes -> what builds each
    counts: Callable[[list[str]], dict[str, int]]  # codes -> how many items build each
    browse_url: Callable[[str], str]  # code -> the page listing them all


@dataclass(frozen=True)
class HomePanel:
    """A panel of the home page: ``context(person)`` returns its template's values, or None to hide it."""

    name: str
    title: str
    template: str
    order: int
    context: Callable[[Person], dict | None]


@dataclass(frozen=True)
class DocumentPanel:
    """Something a domain adds to a library document's page for the person reading it (a track's
    "mark as read"): ``context(person, ref)`` returns its template's values, or None to hide it.
    The page itself is cached per content generation, so a panel must cost a fixed number of queries."""

    name: str
    template: str
    context: Callable[[Person, str], dict | None]


@dataclass(frozen=True)
class TeamSection:
    """A section of the lead's dashboard (``/team``) contributed by a domain.

    ``context(person_ids)`` returns the template values for these people (the lead's filtered
    view; the template sees them by name and as ``section``), or None to hide the section; ``sheet(person_ids)`` returns (sheet title, header,
    rows) for the Excel export, or None when the domain adds no sheet. Both must run a constant
    number of queries whatever the number of people.
    """

    name: str
    title: str
    template: str
    order: int
    context: Callable[[Sequence[int]], dict | None]
    sheet: Callable[[Sequence[int]], tuple[str, list[str], list[list[Any]]] | None] = lambda person_ids: None


@dataclass(frozen=True)
class FallingCompletion:
    """A training track whose completions are falling, for the admins' overview."""

    title: str
    url: str
    detail: str  # in words: "9 completions last quarter, 4 this quarter"


@dataclass(frozen=True)
class PersonalData:
    """What one domain stores about a person, for ``coe people export`` and ``coe people erase``.

    ``export(person_id)`` returns JSON-ready data; ``erase(person_id)`` removes or blanks the
    person's own words (notes, bios, reflections, submissions) and keeps the numbers that team
    statistics are made of. Both run inside the caller's transaction and do not commit.
    """

    name: str
    export: Callable[[int], dict | list]
    erase: Callable[[int], None]


@dataclass(frozen=True)
class HealthCheck:
    name: str
    check: Callable[[], tuple[bool, str]]  # (ok, detail)


# A demo seeder receives the demo password once the people exist and returns (email, role) lines to print.
DemoSeeder = Callable[[str], list[tuple[str, str]]]
# After a sync commits (the new generation is in the database): bring derived state up to date.
SyncListener = Callable[[int], None]


@dataclass
class Registry:
    content_sources: list[ContentSource] = field(default_factory=list)
    search_sources: list[SearchSource] = field(default_factory=list)
    competency_providers: list[CompetencyProvider] = field(default_factory=list)
    home_panels: list[HomePanel] = field(default_factory=list)
    document_panels: list[DocumentPanel] = field(default_factory=list)
    team_sections: list[TeamSection] = field(default_factory=list)
    personal_data: list[PersonalData] = field(default_factory=list)
    health_checks: list[HealthCheck] = field(default_factory=list)
    demo_seeders: list[DemoSeeder] = field(default_factory=list)
    sync_listeners: list[SyncListener] = field(default_factory=list)
    # (code, title) of the role profiles people may hold; the competency domain provides them.
    role_profiles: Callable[[], list[tuple[str, str]]] = lambda: []
    # Whether (mentor id, mentee id) have an active mentorship; the mentoring domain provides it.
    is_active_mentor: Callable[[int, int], bool] = lambda mentor_id, mentee_id: False
    # Called when a mentor signs off a mentee's progress in a competency after a completed session:
    # (mentee id, competency code, mentor id). The training domain completes mentor-session steps.
    mentor_signoff_listeners: list[Callable[[int, str, int], None]] = field(default_factory=list)
    # Whether (person id, quiz slug) has a passing attempt; the quiz domain provides it.
    quiz_passed: Callable[[int, str], bool] = lambda person_id, slug: False
    # Called when a person first passes a quiz, in the same transaction: (person id, quiz slug).
    # The training domain completes quiz steps.
    quiz_pass_listeners: list[Callable[[int, str], None]] = field(default_factory=list)
    # The ids of a mentor's active mentees (the mentoring domain provides it; the validation panel lists theirs).
    mentee_ids: Callable[[int], list[int]] = lambda mentor_id: []
    # Tracks whose completion is falling (the training domain provides it; the admins' overview shows them).
    falling_completion: Callable[[], list[FallingCompletion]] = lambda: []
    # Title of a quiz by slug, or None (the quiz domain provides it; tracks show their quiz steps with it).
    quiz_title: Callable[[str], str | None] = lambda slug: None

    def add_content_source(self, source: ContentSource) -> None:
        self.content_sources.append(source)
        self.content_sources.sort(key=lambda s: s.order)

    def add_home_panel(self, panel: HomePanel) -> None:
        self.home_panels.append(panel)
        self.home_panels.sort(key=lambda p: p.order)

    def add_team_section(self, section: TeamSection) -> None:
        self.team_sections.append(section)
        self.team_sections.sort(key=lambda s: s.order)

    def search_kind_labels(self) -> dict[str, str]:
        return {kind: label for source in self.search_sources for kind, label in source.kinds.items()}

    def search_url(self, kind: str, slug: str) -> str:
        for source in self.search_sources:
            if kind in source.kinds:
                return source.url(kind, slug)
        raise KeyError(kind)


def init_registry(app: Flask) -> Registry:
    registry = app.extensions[EXTENSION_KEY] = Registry()
    return registry


def registry(app: Flask | None = None) -> Registry:
    """Return the registry of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION_KEY]
