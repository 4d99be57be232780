"""Browsing, reading and searching the library; keeping the search index current."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import weakref
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import func, literal, select, tuple_, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import defer, selectinload

from coe.auth.models import utcnow
from coe.errors import NotFound
from coe.extensions import db
from coe.library import search as engine
from coe.content.models import GovernanceGroup, GovernanceParameter
from coe.content.cache import per_generation
from coe.content.pipeline import content_state, current_generation
from coe.library.models import (KIND_LABELS, KINDS, Document, DocumentCompetency, DocumentFile, DocumentParameter,
                                DocumentTag, DocumentViewDay, SearchMiss)
from coe.registry import Offering, SearchChanges, SearchDocument, registry

log = logging.getLogger(__name__)

# --- review dates ------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def next_review(doc: Document) -> dt.date:
    return add_months(doc.reviewed, doc.review_every)


def review_due(doc: Document, today: dt.date | None = None) -> bool:
    return next_review(doc) <= (today or dt.date.today())


# --- browsing ----------------------------------------------------------------------------

PAGE_SIZE = 50
SORTS = {
    "title": (Document.title, Document.id),
    "reviewed": (Document.reviewed.desc(), Document.title),
    "kind": (Document.kind, Document.title),
}


def _live():
    """Live documents, without the bodies that listings never show (they are most of each row)."""
    heavy = (Document.source, Document.html, Document.toc_html, Document.text)
    return select(Document).where(Document.archived_at.is_(None)).options(*(defer(column) for column in heavy))


@dataclass(frozen=True)
class BrowseInput:
    kind: str = ""
    tag: str = ""
    competency: str = ""
    sort: str = "title"
    page: int = 1


@dataclass
class Browse:
    documents: tuple[Listing, ...]
    total: int
    page: int
    pages: int
    kind_counts: dict[str, int]
    tag_counts: dict[str, int]
    competency_counts: dict[str, int]
    recent: tuple[Listing, ...]


@dataclass(frozen=True)
class Listing:
    """A document as lists show it (the library, recent updates), as plain values."""

    id: int
    kind: str
    slug: str
    title: str
    summary: str
    reviewed: dt.date
    review_every: int
    version: str
    tag_names: tuple[str, ...]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @classmethod
    def of(cls, doc: Document) -> Listing:
        return cls(doc.id, doc.kind, doc.slug, doc.title, doc.summary, doc.reviewed, doc.review_every, doc.version,
                   tuple(doc.tag_names))


def _filtered(stmt, kind: str, tag: str, competency: str, document_id=Document.id):
    """Restrict ``stmt`` (over live documents) to the filters; ``document_id`` is its document column."""
    if kind:
        stmt = stmt.where(Document.kind == kind)
    if tag:
        stmt = stmt.where(document_id.in_(select(DocumentTag.document_id).where(DocumentTag.tag == tag)))
    if competency:
        stmt = stmt.where(document_id.in_(select(DocumentCompetency.document_id)
                                          .where(DocumentCompetency.competency_code == competency)))
    return stmt


@per_generation()
def _facet_counts(kind: str, tag: str, competency: str) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Live documents per kind, tag and competency under the filters (each facet ignoring its own filter)."""
    live = Document.archived_at.is_(None)
    kind_counts = dict(db.session.execute(
        _filtered(select(Document.kind, func.count()).where(live), "", tag, competency).group_by(Document.kind)).all())
    tag_counts = dict(db.session.execute(
        _filtered(select(DocumentTag.tag, func.count()).join(Document, Document.id == DocumentTag.document_id)
                  .where(live), kind, "", competency, DocumentTag.document_id)
        .group_by(DocumentTag.tag).order_by(DocumentTag.tag)).all())
    competency_counts = dict(db.session.execute(
        _filtered(select(DocumentCompetency.competency_code, func.count())
                  .join(Document, Document.id == DocumentCompetency.document_id).where(live),
                  kind, tag, "", DocumentCompetency.document_id)
        .group_by(DocumentCompetency.competency_code).order_by(DocumentCompetency.competency_code)).all())
    return {k: kind_counts.get(k, 0) for k in KINDS}, tag_counts, competency_counts


def browse(params: BrowseInput = BrowseInput()) -> Browse:
    """One page of live documents, filtered and sorted, with each facet counted: read once per content
    generation for each page asked for, as the library changes only with a sync."""
    return _browse(params)


@per_generation(maxsize=128)  # a page of listings each: a few MB at most
def _browse(params: BrowseInput) -> Browse:
    kind, tag, competency = params.kind, params.tag, params.competency
    kind_counts, tag_counts, competency_counts = _facet_counts(kind, tag, competency)
    total = kind_counts.get(kind, 0) if kind else sum(kind_counts.values())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, params.page), pages)
    stmt = _filtered(_live(), kind, tag, competency).options(selectinload(Document.tags))
    documents = tuple(Listing.of(doc) for doc in db.session.scalars(
        stmt.order_by(*SORTS.get(params.sort, SORTS["title"])).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return Browse(documents, total, page, pages, kind_counts, tag_counts, competency_counts, recent_documents())


def get_document(kind: str, slug: str) -> Document:
    """Return the document, archived ones included (old links keep working, with a notice)."""
    doc = db.session.scalar(select(Document).where(Document.kind == kind, Document.slug == slug)
                            .options(selectinload(Document.tags), selectinload(Document.competencies)))
    if doc is None:
        raise NotFound("There is no library document at this address. Try the search box or browse the library.")
    return doc


@dataclass(frozen=True)
class DocumentPage:
    """What a document's page shows, as plain values: read once per content generation and reused by
    every view of the page until a sync publishes a new generation."""

    id: int
    kind: str
    slug: str
    title: str
    summary: str
    html: str
    toc_html: str
    version: str
    owner: str
    owner_name: str
    reviewed: dt.date
    review_every: int
    archived_at: dt.datetime | None
    tag_names: tuple[str, ...]
    competency_codes: tuple[str, ...]
    file_formats: tuple[str, ...]
    related: tuple[Related, ...]


def document_panels(person, ref: str) -> list[tuple[object, dict]]:
    """What other domains add to this document's page for this person (their own, uncached state)."""
    shown = []
    for panel in registry().document_panels:
        context = panel.context(person, ref)
        if context is not None:
            shown.append((panel, context))
    return shown


def document_page(kind: str, slug: str) -> DocumentPage:
    """The document's page (archived documents included, with a notice), or NotFound."""
    page = _document_page(kind, slug)
    if page is None:
        raise NotFound("There is no library document at this address. Try the search box or browse the library.")
    return page


@per_generation(maxsize=1024)
def _document_page(kind: str, slug: str) -> DocumentPage | None:
    doc = db.session.scalar(select(Document).where(Document.kind == kind, Document.slug == slug)
                            .options(selectinload(Document.tags), selectinload(Document.competencies)))
    if doc is None:
        return None
    return DocumentPage(doc.id, doc.kind, doc.slug, doc.title, doc.summary, doc.html, doc.toc_html, doc.version,
                        doc.owner, doc.owner_name, doc.reviewed, doc.review_every, doc.archived_at,
                        tuple(doc.tag_names), tuple(doc.competency_codes), tuple(file_formats(doc)),
                        tuple(related(doc)))


FILE_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_formats(doc: Document) -> list[str]:
    """The formats the document downloads as, besides its Markdown source."""
    return list(db.session.scalars(select(DocumentFile.format).where(DocumentFile.document_id == doc.id)
                                   .order_by(DocumentFile.format)))


def get_document_file(kind: str, slug: str, fmt: str) -> DocumentFile:
    file = db.session.scalar(select(DocumentFile).join(Document, Document.id == DocumentFile.document_id)
                             .where(Document.kind == kind, Document.slug == slug, DocumentFile.format == fmt))
    if file is None:
        raise NotFound(f"This document does not download as .{fmt}.")
    return file


RELATED_WEIGHTS = {"competency": 2, "tag": 1, "link": 2}


@dataclass(frozen=True)
class Related:
    kind: str
    slug: str
    title: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def related(doc: Document, limit: int = 5) -> list[Related]:
    """Live documents sharing the most competencies, tags and links with ``doc`` (once per content generation)."""
    return _related(doc.id, tuple(doc.competency_codes), tuple(doc.tag_names), tuple(doc.links), limit)


@per_generation(maxsize=2048)
def _related(doc_id: int, codes: tuple[str, ...], tags: tuple[str, ...], links: tuple[str, ...],
             limit: int) -> list[Related]:
    """Rank the candidates in SQL: 2 points per shared competency or link, 1 per shared tag."""
    shared = union_all(
        select(DocumentCompetency.document_id.label("id"), literal(RELATED_WEIGHTS["competency"]).label("weight"))
        .where(DocumentCompetency.competency_code.in_(codes)),
        select(DocumentTag.document_id.label("id"), literal(RELATED_WEIGHTS["tag"]).label("weight"))
        .where(DocumentTag.tag.in_(tags)),
        select(Document.id.label("id"), literal(RELATED_WEIGHTS["link"]).label("weight"))
        .where(tuple_(Document.kind, Document.slug).in_([tuple(ref.split("/", 1)) for ref in links] or [("", "")])),
    ).subquery()
    ranked = (select(shared.c.id, func.sum(shared.c.weight).label("score"))
              .where(shared.c.id != doc_id).group_by(shared.c.id).subquery())
    rows = db.session.execute(
        select(Document.kind, Document.slug, Document.title).join(ranked, ranked.c.id == Document.id)
        .where(Document.archived_at.is_(None)).order_by(ranked.c.score.desc(), Document.title).limit(limit))
    return [Related(*row) for row in rows]


def documents_needing_review(today: dt.date | None = None) -> list[tuple[Document, dt.date]]:
    docs = db.session.scalars(_live().order_by(Document.reviewed))
    due = [(doc, next_review(doc)) for doc in docs if review_due(doc, today)]
    return sorted(due, key=lambda pair: pair[1])


def content_status() -> dict:
    state = content_state()
    counts = dict(db.session.execute(
        select(Document.kind, func.count(Document.id)).where(Document.archived_at.is_(None)).group_by(Document.kind)
    ).all())
    archived = list(db.session.scalars(select(Document).where(Document.archived_at.is_not(None)).order_by(Document.path)))
    return {"state": state, "counts": counts, "archived": archived}


OFFERINGS_PER_COMPETENCY = 5


def documents_for_competencies(codes: list[str]) -> dict[str, list[Offering]]:
    """The library's answer to "what builds this competency?": a few documents per competency.

    Ranked in SQL once per content generation for every competency, so that a profile's plan costs
    the same whatever the size of the library.
    """
    top = _top_documents()
    return {code: list(top[code]) for code in codes if code in top}


@per_generation(maxsize=8)
def _top_documents() -> dict[str, tuple[Offering, ...]]:
    # Documents about fewer competencies are more about each: they come first.
    breadth = (select(DocumentCompetency.document_id, func.count().label("breadth"))
               .group_by(DocumentCompetency.document_id).subquery())
    ranked = (select(DocumentCompetency.competency_code, Document.kind, Document.slug, Document.title,
                     func.row_number().over(partition_by=DocumentCompetency.competency_code,
                                            order_by=(breadth.c.breadth, Document.kind, Document.title)).label("rank"))
              .join(Document, Document.id == DocumentCompetency.document_id)
              .join(breadth, breadth.c.document_id == Document.id)
              .where(Document.archived_at.is_(None)).subquery())
    rows = db.session.execute(
        select(ranked.c.competency_code, ranked.c.kind, ranked.c.slug, ranked.c.title)
        .where(ranked.c.rank <= OFFERINGS_PER_COMPETENCY).order_by(ranked.c.kind, ranked.c.title)
    ).all()
    found: dict[str, list[Offering]] = {}
    for code, kind, slug, title in rows:
        found.setdefault(code, []).append(Offering(KIND_LABELS[kind], title, f"/library/{kind}/{slug}"))
    return {code: tuple(items) for code, items in found.items()}


def document_counts_for_competencies(codes: list[str]) -> dict[str, int]:
    """How many live documents build each competency (once per content generation)."""
    return _document_counts(tuple(codes))


@per_generation()
def _document_counts(codes: tuple[str, ...]) -> dict[str, int]:
    return dict(db.session.execute(
        select(DocumentCompetency.competency_code, func.count())
        .join(Document, Document.id == DocumentCompetency.document_id)
        .where(DocumentCompetency.competency_code.in_(codes), Document.archived_at.is_(None))
        .group_by(DocumentCompetency.competency_code)
    ).all())


def document_url(kind: str, slug: str) -> str:
    return url_for("library.document", kind=kind, slug=slug)


def _version_key(version: str) -> tuple:
    """2.10 after 2.9: compare the numbers of a version, not its text."""
    return tuple(int(part) if part.isdigit() else 0 for part in version.replace("-", ".").split("."))


@per_generation(maxsize=4)
def recent_documents(limit: int = 5) -> tuple[Listing, ...]:
    """The documents reviewed most recently; the higher version first on the same day."""
    candidates = list(db.session.scalars(_live().options(selectinload(Document.tags))
                                         .order_by(Document.reviewed.desc(), Document.title).limit(limit * 4)))
    candidates.sort(key=lambda doc: (doc.reviewed, _version_key(doc.version)), reverse=True)
    return tuple(Listing.of(doc) for doc in candidates[:limit])


# --- governance ------------------------------------------------------------------------


@dataclass
class GovernanceSection:
    group: GovernanceGroup | None
    parameters: list[tuple[GovernanceParameter, list[tuple[str, str, str]]]]  # (parameter, [(kind, slug, title)])


def governance_overview() -> list[GovernanceSection]:
    """Every governance parameter under its group, each with the live documents that show it."""
    groups = {g.key: g for g in db.session.scalars(select(GovernanceGroup).order_by(GovernanceGroup.position))}
    users: dict[str, list[tuple[str, str, str]]] = {}
    for key, kind, slug, title in db.session.execute(
            select(DocumentParameter.parameter_key, Document.kind, Document.slug, Document.title)
            .join(Document, Document.id == DocumentParameter.document_id)
            .where(Document.archived_at.is_(None)).order_by(Document.title)):
        users.setdefault(key, []).append((kind, slug, title))
    sections: dict[str, GovernanceSection] = {key: GovernanceSection(group, []) for key, group in groups.items()}
    for parameter in db.session.scalars(select(GovernanceParameter).order_by(GovernanceParameter.position)):
        section = sections.setdefault(parameter.group_key, GovernanceSection(groups.get(parameter.group_key), []))
        section.parameters.append((parameter, users.get(parameter.key, [])))
    return [section for section in sections.values() if section.parameters]


# --- the search index --------------------------------------------------------------------


_indexes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_catch_up_lock = threading.Lock()
_catch_ups: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def search_index() -> engine.SearchIndex:
    """This app's index (one per app and process, so that every thread shares its open generation)."""
    app = current_app._get_current_object()
    if app not in _indexes:
        _indexes[app] = engine.SearchIndex(app.config["COE_INDEX_DIR"])
    return _indexes[app]


def _index_docs(condition) -> tuple[list[SearchDocument], list[str]]:
    """Read what the index needs of the matching documents (not their HTML or source).

    Return the live documents to index and the refs of archived ones to remove.
    """
    tags: dict[int, list[str]] = {}
    codes: dict[int, list[str]] = {}
    matching = select(Document.id).where(condition)
    for doc_id, tag in db.session.execute(select(DocumentTag.document_id, DocumentTag.tag)
                                          .where(DocumentTag.document_id.in_(matching))):
        tags.setdefault(doc_id, []).append(tag)
    for doc_id, code in db.session.execute(select(DocumentCompetency.document_id, DocumentCompetency.competency_code)
                                           .where(DocumentCompetency.document_id.in_(matching))):
        codes.setdefault(doc_id, []).append(code)
    live, archived = [], []
    rows = db.session.execute(select(Document.id, Document.kind, Document.slug, Document.title, Document.summary,
                                     Document.text, Document.archived_at).where(condition))
    for doc_id, kind, slug, title, summary, text, archived_at in rows:
        if archived_at is not None:
            archived.append(f"{kind}/{slug}")
        else:
            live.append(SearchDocument(f"{kind}/{slug}", kind, title, summary, text,
                                       sorted(tags.get(doc_id, [])), sorted(codes.get(doc_id, []))))
    return live, archived


def search_changes_since(generation: int) -> SearchChanges:
    return SearchChanges(*_index_docs(Document.generation > generation))


def all_search_documents() -> list[SearchDocument]:
    return _index_docs(Document.archived_at.is_(None))[0]


def _every_change_since(generation: int) -> SearchChanges:
    """What every registered kind (documents, tracks, quizzes) changed after ``generation``."""
    upserts, removals = [], []
    for source in registry().search_sources:
        changes = source.changed_since(generation)
        upserts += changes.upserts
        removals += changes.removals
    return SearchChanges(upserts, removals)


def _every_item() -> list[SearchDocument]:
    return [item for source in registry().search_sources for item in source.all_items()]


def refresh_index(force: bool = False, wait: bool = True) -> str:
    """Bring this host's index to the content generation in the database (``force``: from scratch).

    Without ``wait`` it returns "busy" at once if another worker is already building.
    """
    return search_index().refresh(current_generation(), _every_change_since, _every_item, force=force, wait=wait)


def refresh_index_to(generation: int) -> None:
    """After a sync has committed: bring this host's index to the new generation."""
    refresh_index()


def catch_up_in_background() -> None:
    """Start bringing the index up to date on a thread of its own, unless one is already at it.

    A web request never builds the index: it searches the newest complete generation, or says
    that the index is being built, while this thread works.
    """
    app = current_app._get_current_object()
    with _catch_up_lock:
        running = _catch_ups.get(app)
        if running is not None and running.is_alive():
            return

        def work() -> None:
            with app.app_context():
                try:
                    refresh_index()
                except Exception:
                    log.exception("Bringing the search index up to date failed")
                finally:
                    db.session.remove()

        thread = threading.Thread(target=work, name="coe-index-catch-up", daemon=True)
        _catch_ups[app] = thread
        thread.start()


def wait_for_catch_up(timeout: float | None = None) -> None:
    """Wait for this app's catch-up thread, if one runs (start-up, tests)."""
    thread = _catch_ups.get(current_app._get_current_object())
    if thread is not None:
        thread.join(timeout)


def index_health() -> tuple[bool, str]:
    return search_index().status(current_generation())


def ensure_index() -> None:
    """Rebuild or catch up the index if it is missing, broken or behind the database (start-up, CLI)."""
    ok, _ = index_health()
    if not ok:
        refresh_index()


# --- searching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchInput:
    q: str = ""
    kind: str = ""
    tag: str = ""
    competency: str = ""
    page: int = 1


def search(params: SearchInput, per_page: int = 10) -> engine.SearchResults:
    """Search the library; a query that finds nothing is counted for the admins' gap list."""
    state = content_state()
    ix = search_index()
    published = ix.generation()
    if published is None or published < (state.generation if state else 0):
        catch_up_in_background()  # another host synced, or this index is missing
    request = engine.SearchRequest(
        q=params.q[:200], kind=params.kind if params.kind in registry().search_kind_labels() else "",
        tag=params.tag.lower(), competency=params.competency.lower(), page=params.page, per_page=per_page,
        synonyms=state.synonyms if state else [],
    )
    try:
        results = engine.search(ix.current(), request)
    except engine.IndexUnavailable:
        catch_up_in_background()
        return engine.SearchResults(0, 1, 0, error="The search index is being built. Try again in a minute.")
    except engine.QueryError as exc:
        return engine.SearchResults(0, 1, 0, error=str(exc))
    if params.q.strip() and results.total == 0 and params.page == 1:
        record_miss(params.q)
    return results


def normalise_query(q: str) -> str:
    return " ".join(q.lower().split())[:200]


def record_miss(q: str) -> None:
    """Count a query that found nothing (an upsert, safe under concurrent requests)."""
    query = normalise_query(q)
    if not query:
        return
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(SearchMiss).values(query=query, count=1, last_seen=utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=[SearchMiss.query],
        set_={"count": SearchMiss.count + 1, "last_seen": stmt.excluded.last_seen},
    )
    db.session.execute(stmt)


def frequent_misses(limit: int = 25) -> list[SearchMiss]:
    return list(db.session.scalars(
        select(SearchMiss).order_by(SearchMiss.count.desc(), SearchMiss.last_seen.desc()).limit(limit)))


# --- reading counts ------------------------------------------------------------------------


class ViewCounter:
    """Openings of documents, counted per document and day (never per person).

    A worker adds them up in memory and writes them in one upsert per document and day when
    COE_VIEW_FLUSH_SECONDS have passed since its last write (0: at once), so that reading a document
    does not cost a database write. A worker that is killed loses at most that many seconds of counts.
    """

    def __init__(self) -> None:
        self.pending: dict[tuple[int, dt.date], int] = {}
        self.lock = threading.Lock()
        self.flushed_at = time.monotonic()

    def add(self, document_id: int, day: dt.date) -> None:
        with self.lock:
            self.pending[(document_id, day)] = self.pending.get((document_id, day), 0) + 1
            due = time.monotonic() - self.flushed_at >= current_app.config.get("COE_VIEW_FLUSH_SECONDS", 30)
            if not due:
                return
            pending, self.pending, self.flushed_at = self.pending, {}, time.monotonic()
        try:
            write_views(pending)
        except Exception:  # counting must never break reading: keep the counts for the next write
            db.session.rollback()
            log.warning("document views could not be written; kept for the next attempt", exc_info=True)
            with self.lock:
                for key, count in pending.items():
                    self.pending[key] = self.pending.get(key, 0) + count

    def flush(self) -> None:
        with self.lock:
            pending, self.pending, self.flushed_at = self.pending, {}, time.monotonic()
        if pending:
            write_views(pending)


def write_views(counts: dict[tuple[int, dt.date], int]) -> None:
    """Add the counts to the per-day totals, one upsert per document and day, and commit."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for (document_id, day), count in sorted(counts.items()):
        stmt = insert(DocumentViewDay).values(document_id=document_id, day=day, count=count)
        db.session.execute(stmt.on_conflict_do_update(
            index_elements=[DocumentViewDay.document_id, DocumentViewDay.day],
            set_={"count": DocumentViewDay.count + stmt.excluded.count}))
    db.session.commit()


_view_counters: dict[str, ViewCounter] = {}


def view_counter() -> ViewCounter:
    """This worker's counter for the current app's database."""
    key = str(db.engine.url)
    if key not in _view_counters:
        _view_counters[key] = ViewCounter()
    return _view_counters[key]


def count_view(document_id: int, today: dt.date | None = None) -> None:
    """Count one opening of a document today (per document and day, never per person)."""
    view_counter().add(document_id, today or utcnow().date())


def unopened_documents(days: int = 90, today: dt.date | None = None, limit: int = 50) -> tuple[list[Document], int]:
    """Live documents nobody opened in the last ``days`` days (published before then), oldest review first."""
    since = (today or utcnow().date()) - dt.timedelta(days=days)
    opened = select(DocumentViewDay.document_id).where(DocumentViewDay.day > since)
    condition = (Document.archived_at.is_(None), Document.id.not_in(opened),
                 Document.created_at < dt.datetime.combine(since, dt.time(), dt.timezone.utc))
    total = db.session.scalar(select(func.count(Document.id)).where(*condition)) or 0
    docs = list(db.session.scalars(_live().where(*condition[1:]).order_by(Document.reviewed, Document.title)
                                   .limit(limit)))
    return docs, total
