"""Running a query: the top N ranked as Whoosh ranks them (BM25F); the counts and facets come from the matches.

A question (only ORs and terms) is ranked with arrays (``vectors``); any other query by Whoosh's
collector, which skips the blocks of postings that cannot rank.
"""

from __future__ import annotations

import numpy as np
from whoosh import collectors
from whoosh.query import And, Every, Or, Phrase, Query, Term

from coe.library.search import parsing, snippets, vectors
from coe.library.search.analysis import content_prefix
from coe.library.search.results import Hit, SearchRequest, SearchResults
from coe.library.search.storage import Generation


def _top(generation: Generation, searcher, query: Query, allow: Query | None, limit: int) -> list[tuple[float, int]]:
    """The top ``limit`` (score, docnum) pairs, best first."""
    if vectors.is_question(query):
        ranked = vectors.top(generation, searcher, query, _allowed(searcher, allow), limit)
        if ranked is not None:
            return ranked
    collector = collectors.TopCollector(limit=limit)
    if allow is not None:
        collector = collectors.FilterCollector(collector, allow=allow)
    searcher.search_with_collector(query, collector)
    return collector.results().top_n


def _allowed(searcher, allow: Query | None) -> np.ndarray | None:
    """The items the filters allow, as a boolean mask over the items; None when there are no filters."""
    if allow is None:
        return None
    allowed = np.zeros(searcher.reader().doc_count_all(), dtype=bool)
    allowed[list(searcher.docs_for_query(allow))] = True
    return allowed


def _is_union(query: Query) -> bool:
    """Whether ``query`` matches exactly the items that match any of its leaves (only OR above them)."""
    if query.is_leaf():
        return isinstance(query, (Term, Phrase))
    return isinstance(query, Or) and all(_is_union(child) for child in query.children())


def _matched(generation: Generation, searcher, query: Query, allow: Query | None) -> np.ndarray:
    """Every item ``query`` matches, without scoring, as a boolean mask over the items: for the total and facets.

    A question is an OR of words, so its matches are the union of the words' postings (kept
    by the generation once read, deleted items left out); any other query goes through
    Whoosh's own matcher (``docs_for_query``), which leaves out deleted items too.
    """
    reader = searcher.reader()
    matched = np.zeros(reader.doc_count_all(), dtype=bool)
    if _is_union(query):
        for leaf in query.leaves():
            if isinstance(leaf, Term):
                matched[generation.postings(searcher, leaf.fieldname, _bytes(reader, leaf)).docs] = True
            else:
                matched[list(searcher.docs_for_query(leaf))] = True
    else:
        matched[list(searcher.docs_for_query(query))] = True
    allowed = _allowed(searcher, allow)
    if allowed is not None:
        matched &= allowed
    return matched


def _bytes(reader, term: Term) -> bytes:
    return reader.schema[term.fieldname].to_bytes(term.text)


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
        matched = _matched(generation, searcher, query, allow)
        relaxed = False
        if not matched.any() and parsed.relaxed is not None:
            query = parsed.relaxed
            matched = _matched(generation, searcher, query, allow)
            relaxed = bool(matched.any())
        total = int(matched.sum())
        pages = -(-total // request.per_page)
        page = min(max(1, request.page), max(pages, 1))
        top = _top(generation, searcher, query, allow, page * request.per_page) if total else []
        shown = [docnum for _score, docnum in top[(page - 1) * request.per_page:page * request.per_page]]
        tokens = snippets.page_tokens(searcher, snippets.body_leaves(query), shown)
        hits = []
        for docnum in shown:
            fields = searcher.stored_fields(docnum)
            prefix = len(content_prefix(fields["title"], fields["summary"]))
            hits.append(Hit(fields["ref"], fields["kind"], fields["title"], fields["summary"],
                            snippets.snippet(fields["content"], prefix, tokens[docnum]),
                            [tag for tag in fields["tag"].split(",") if tag]))
        results = SearchResults(total=total, page=page, pages=pages, hits=hits, relaxed=relaxed)
        if parsed.query is not None:
            results.suggestion = _suggestion(generation, searcher, parsed, allow,
                                             top[0][1] if top and not relaxed else None)
        if request.facets:
            kinds, tags = generation.facets(searcher).count(matched)
            results.kind_counts, results.tag_counts = _sorted(kinds), _sorted(tags)
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
    top = _top(generation, searcher, again.query, allow, 1)
    if not top:
        return None
    before = parsing.coverage(searcher, parsed.words, best)
    after = parsing.coverage(searcher, again.words, top[0][1])
    return corrected if after > before else None


def _sorted(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
