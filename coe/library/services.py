"""Browsing, reading and searching the library; keeping the search index current."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import defer, selectinload

from coe.auth.models import utcnow
from coe.errors import NotFound
from coe.extensions import db
from coe.library import search as search_engine
from coe.content.models import ContentState, GovernanceGroup, GovernanceParameter
from coe.library.models import KIND_LABELS, KINDS, Document, DocumentCompetency, DocumentParameter, DocumentTag, SearchMiss
from coe.registry import Offering, SearchChanges, SearchDocument

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


def _live():
    """Live documents, without the bodies that listings never show (they are most of each row)."""
    heavy = (Document.source, Document.html, Document.toc_html, Document.text)
    return select(Document).where(Document.archived_at.is_(None)).options(*(defer(column) for column in heavy))


@dataclass
class Browse:
    documents: list[Document]
    kind_counts: dict[str, int]
    tag_counts: dict[str, int]
    competency_counts: dict[str, int]
    recent: list[Document]


def browse(kind: str = "", tag: str = "", competency: str = "") -> Browse:
    """Return live documents filtered by kind, tag and competency, with counts for each facet."""
    stmt = _live().options(selectinload(Document.tags), selectinload(Document.competencies))
    if tag:
        stmt = stmt.where(Document.tags.any(DocumentTag.tag == tag))
    if competency:
        stmt = stmt.where(Document.competencies.any(DocumentCompetency.competency_code == competency))
    matching = list(db.session.scalars(stmt.order_by(Document.title)))
    kind_counts = Counter(doc.kind for doc in matching)
    shown = [doc for doc in matching if not kind or doc.kind == kind]
    tag_counts = Counter(t for doc in shown for t in doc.tag_names)
    competency_counts = Counter(c for doc in shown for c in doc.competency_codes)
    return Browse(
        documents=shown,
        kind_counts={k: kind_counts.get(k, 0) for k in KINDS},
        tag_counts=dict(sorted(tag_counts.items())),
        competency_counts=dict(sorted(competency_counts.items())),
        recent=recent_documents(),
    )


def get_document(kind: str, slug: str) -> Document:
    """Return the document, archived ones included (old links keep working, with a notice)."""
    doc = db.session.scalar(select(Document).where(Document.kind == kind, Document.slug == slug))
    if doc is None:
        raise NotFound("There is no library document at this address. Try the search box or browse the library.")
    return doc


def related(doc: Document, limit: int = 5) -> list[Document]:
    """Return live documents sharing the most tags and competencies with ``doc``."""
    tags, codes = set(doc.tag_names), set(doc.competency_codes)
    candidates = db.session.scalars(
        _live().where(Document.id != doc.id).options(selectinload(Document.tags), selectinload(Document.competencies))
    )
    scored = []
    for other in candidates:
        linked = 2 if other.ref in doc.links else 0
        score = len(tags & set(other.tag_names)) + 2 * len(codes & set(other.competency_codes)) + linked
        if score:
            scored.append((-score, other.title, other))
    return [other for *_, other in sorted(scored, key=lambda item: item[:2])[:limit]]


def documents_needing_review(today: dt.date | None = None) -> list[tuple[Document, dt.date]]:
    docs = db.session.scalars(_live().order_by(Document.reviewed))
    due = [(doc, next_review(doc)) for doc in docs if review_due(doc, today)]
    return sorted(due, key=lambda pair: pair[1])


def content_status() -> dict:
    state = db.session.get(ContentState, 1)
    counts = dict(db.session.execute(
        select(Document.kind, func.count(Document.id)).where(Document.archived_at.is_(None)).group_by(Document.kind)
    ).all())
    archived = list(db.session.scalars(select(Document).where(Document.archived_at.is_not(None)).order_by(Document.path)))
    return {"state": state, "counts": counts, "archived": archived}


def documents_for_competencies(codes: list[str]) -> dict[str, list[Offering]]:
    """The library's answer to "what builds this competency?"."""
    rows = db.session.execute(
        select(DocumentCompetency.competency_code, Document.kind, Document.slug, Document.title)
        .join(Document, Document.id == DocumentCompetency.document_id)
        .where(DocumentCompetency.competency_code.in_(codes), Document.archived_at.is_(None))
        .order_by(Document.kind, Document.title)
    ).all()
    found: dict[str, list[Offering]] = {}
    for code, kind, slug, title in rows:
        found.setdefault(code, []).append(Offering(KIND_LABELS[kind], title, f"/library/{kind}/{slug}"))
    return found


def document_counts_for_competencies(codes: list[str]) -> dict[str, int]:
    """How many live documents build each competency."""
    return dict(db.session.execute(
        select(DocumentCompetency.competency_code, func.count())
        .join(Document, Document.id == DocumentCompetency.document_id)
        .where(DocumentCompetency.competency_code.in_(codes), Document.archived_at.is_(None))
        .group_by(DocumentCompetency.competency_code)
    ).all())


def document_url(kind: str, slug: str) -> str:
    return url_for("library.document", kind=kind, slug=slug)


def recent_documents(limit: int = 5) -> list[Document]:
    return list(db.session.scalars(_live().order_by(Document.updated_at.desc(), Document.title).limit(limit)))


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


def search_index() -> search_engine.SearchIndex:
    """Return this app's index (one object per app, so each thread keeps its searcher)."""
    ix = current_app.extensions.get("coe.search_index")
    if ix is None:
        ix = current_app.extensions["coe.search_index"] = search_engine.SearchIndex(current_app.config["COE_INDEX_DIR"])
    return ix


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


def refresh_index(force: bool = False, wait: bool = True) -> str:
    """Bring this host's index up to the content generation in the database (``force``: from scratch).

    Without ``wait`` it returns "busy" at once if another worker is already building.
    """
    state = db.session.get(ContentState, 1)
    return search_index().refresh(_current_generation(state), search_changes_since, all_search_documents, force=force, wait=wait)


def refresh_index_to(generation: int) -> None:
    """After a sync: bring this host's index to the generation just committed."""
    refresh_index()


def index_health() -> tuple[bool, str]:
    state = db.session.get(ContentState, 1)
    return search_index().status(state.generation if state else 0)


def ensure_index() -> None:
    """Rebuild or catch up the index if it is missing, broken or behind the database."""
    ok, _ = index_health()
    if not ok:
        refresh_index()


def _current_generation(state: ContentState | None) -> int:
    return state.generation if state else 0


# --- searching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchInput:
    q: str = ""
    kind: str = ""
    tag: str = ""
    competency: str = ""
    page: int = 1


def search(params: SearchInput, per_page: int = 10) -> search_engine.SearchResults:
    """Search the library; a query that finds nothing is counted for the admins' gap list."""
    state = db.session.get(ContentState, 1)
    ix = search_index()
    if ix.generation() != _current_generation(state):
        # Another host synced, or this index is missing: catch up, unless another worker of
        # this host is already at it, in which case the current generation serves meanwhile.
        refresh_index(wait=False)
    request = search_engine.SearchRequest(
        q=params.q[:200], kind=params.kind if params.kind in KINDS else "", tag=params.tag.lower(),
        competency=params.competency.lower(), page=params.page, per_page=per_page,
        synonyms=state.synonyms if state else [],
    )
    try:
        try:
            results = ix.search(request)
        except search_engine.IndexUnavailable:
            if refresh_index(wait=False) == "busy":
                raise
            results = ix.search(request)
    except search_engine.IndexUnavailable:
        return search_engine.SearchResults(0, 1, 0, error="The search index is being built. Try again in a minute.")
    except search_engine.QueryError as exc:
        return search_engine.SearchResults(0, 1, 0, error=str(exc))
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
