"""Running a query: Whoosh ranks (BM25F), one pass also records every match for the counts and facets."""

from __future__ import annotations

from whoosh import collectors
from whoosh.query import And, Every, Query, Term

from coe.library.search import parsing, snippets
from coe.library.search.results import Hit, SearchRequest, SearchResults
from coe.library.search.storage import Generation


class _RecordingCollector(collectors.WrappingCollector):
    """Pass every match to Whoosh's top-N collector, and remember each one's document number.

    The counts and facets need every match, so the top-N collector runs without its
    block-quality skipping (``usequality=False``); the ranking is Whoosh's own.
    """

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.docnums: list[int] = []

    def collect(self, sub_docnum):
        self.docnums.append(self.child.offset + sub_docnum)
        return self.child.collect(sub_docnum)


def _run(searcher, query: Query, allow: Query | None, limit: int) -> tuple[list[tuple[float, int]], list[int]]:
    """Return the top ``limit`` (score, docnum) pairs, best first, and every matching docnum."""
    recorder = _RecordingCollector(collectors.TopCollector(limit=limit, usequality=False))
    collector = collectors.FilterCollector(recorder, allow=allow) if allow is not None else recorder
    searcher.search_with_collector(query, collector)
    return recorder.child.results().top_n, recorder.docnums


def _filters(request: SearchRequest) -> Query | None:
    terms = [Term(name, value) for name, value in
             (("kind", request.kind), ("tag", request.tag), ("competency", request.competency)) if value]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else And(terms)


def search(generation: Generation, request: SearchRequest) -> SearchResults:
    """Search ``generation``; raise QueryError when the query cannot be run as written."""
    allow = _filters(request)
    with generation.searcher() as searcher:
        reader = searcher.reader()
        parsed = parsing.parse(generation.parsers, reader, request.q, request.synonyms)
        if parsed.query is None and allow is None:
            return SearchResults(0, 1, 0)
        query = parsed.query or Every()
        limit = max(1, request.page) * request.per_page
        top, matched = _run(searcher, query, allow, limit)
        relaxed = False
        if not matched and parsed.relaxed is not None:
            top, matched = _run(searcher, parsed.relaxed, allow, limit)
            relaxed = bool(matched)
            query = parsed.relaxed
        total = len(matched)
        pages = -(-total // request.per_page)
        page = min(max(1, request.page), max(pages, 1))
        if page * request.per_page > limit:  # the page asked for was past the end
            top, _ = _run(searcher, query, allow, page * request.per_page)
        shown = [docnum for _score, docnum in top[(page - 1) * request.per_page:page * request.per_page]]
        leaves = snippets.body_leaves(query)
        hits = []
        for docnum in shown:
            fields = searcher.stored_fields(docnum)
            hits.append(Hit(fields["ref"], fields["kind"], fields["title"], fields["summary"],
                            snippets.snippet(searcher, docnum, fields["body"], leaves),
                            [tag for tag in fields["tag"].split(",") if tag]))
        results = SearchResults(total=total, page=page, pages=pages, hits=hits, relaxed=relaxed)
        if parsed.query is not None:
            results.suggestion = _suggestion(generation, searcher, parsed, allow,
                                             top[0][1] if top and not relaxed else None)
        if request.facets:
            results.kind_counts, results.tag_counts = _facets(generation.facet_rows(searcher), matched)
        return results


def _suggestion(generation: Generation, searcher, parsed: parsing.ParsedQuery, allow, best: int | None) -> str | None:
    """Offer a corrected query only when it finds items that contain more of the words than now."""
    unknown = parsing.unknown_words(searcher.reader(), parsed)
    if not unknown:
        return None
    corrected = parsing.correct(generation.vocabulary, parsed.text, unknown)
    if corrected is None:
        return None
    again = parsing.parse(generation.parsers, searcher.reader(), corrected)
    if again.query is None:
        return None
    top, _ = _run(searcher, again.query, allow, 1)
    if not top:
        return None
    before = parsing.coverage(searcher, parsed.words, best)
    after = parsing.coverage(searcher, again.words, top[0][1])
    return corrected if after > before else None


def _facets(rows: list[tuple[str, tuple[str, ...]]], docnums: list[int]) -> tuple[dict[str, int], dict[str, int]]:
    kinds: dict[str, int] = {}
    tags: dict[str, int] = {}
    for docnum in docnums:
        kind, doc_tags = rows[docnum]
        kinds[kind] = kinds.get(kind, 0) + 1
        for tag in doc_tags:
            tags[tag] = tags.get(tag, 0) + 1
    return _sorted(kinds), _sorted(tags)


def _sorted(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
