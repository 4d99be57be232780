"""Questions ranked with arrays: Whoosh's BM25F and coordination computed for every matching item at once.

A question is an OR of terms (each word in the title, summary and content fields, and nested ORs
for compounds and wildcards). Whoosh ranks it by walking a tree of union matchers one posting at a
time, which costs most of a search when common words match thousands of items. Here the same
arithmetic runs on numpy arrays over each term's postings and each field's lengths, which the
generation reads once. What Whoosh does is reproduced segment by segment, since it builds one
matcher tree per segment:

- a term's score is ``scoring.bm25`` with the idf, average length, B and K1 of the scorer Whoosh
  makes for it (``BM25FScorer``), the posting's weight and the item's quantised field length;
  a term missing from a segment makes no matcher there;
- a term's boost multiplies its score and an OR's boost its sum; an OR of one part is that part
  (its boost and scale unused);
- an OR builds the matcher ``Or._matcher`` picks: a tree of unions, summed in the order of Whoosh's
  ``make_weighted_tree`` (by estimated size), so sums are equal to the last bit; or, for an OR
  without scale of more than two parts in a segment of at most 5,000 items, an
  ``ArrayUnionMatcher``, which sums its parts in order and reads postings ahead: its terms count in
  the coordination's term count but never as matching (they never stand on the current item);
- the top OR's coordination is ``CoordMatcher._sqr(score, matching)``, with ``termcount`` the
  term matchers of the segment's tree and ``matching`` those standing on the item;
- deleted items never match; the best ``limit`` are ordered by score, then document number.

One difference, for a question whose top OR has a coordination scale: Whoosh's TopCollector
replaces its matcher tree every ten items and whenever its minimum score rises (``replace=10``).
The replacement drops the terms whose postings have run out, and the new CoordMatcher counts the
terms again, so an item that comes after some term's last posting is scored with a smaller term
count (lower, usually) than the same item would get before it: a score depends on where the item
stands in the index. Here the term count is the tree's for every item, as Whoosh scores when it
keeps its first matcher (``TopCollector(replace=0)``). Every question the app parses has that
scale (``parsing.COORDINATION``); the equivalence tests compare with that collector, and check
that the default one differs only by counting fewer terms.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass

import numpy as np
from whoosh import scoring
from whoosh.query import Or, Query, Term

from coe.library.search.storage import Generation

# Or._matcher builds an ArrayUnionMatcher for an OR without scale of more than two parts in a
# segment of at most this many items (Whoosh's own constant, written in the method's body).
PRELOAD_MAX_DOCS = 5000
_MATCHER_TYPES = (Or.AUTO_MATCHER, Or.DEFAULT_MATCHER, Or.ARRAY_MATCHER)


class NotAQuestion(Exception):
    """The query needs Whoosh's own matchers."""


def is_question(query: Query) -> bool:
    """Whether ``query`` is built only of ORs (a scale on the top one alone) and positively boosted terms."""

    def plain(node: Query, top: bool) -> bool:
        if type(node) is Term:
            return node.boost > 0 and not node.minquality
        return (type(node) is Or and node.matcher_type in _MATCHER_TYPES and node.boost > 0
                and (top or not node.scale) and all(plain(child, False) for child in node.subqueries))

    return plain(query, True)


@dataclass(frozen=True)
class Scored:
    """Every item a question matches, by document number, with its score and what the coordination made of it."""

    docnums: np.ndarray
    scores: np.ndarray
    sums: np.ndarray  # the score before the coordination (equal to the score where there is none)
    matching: np.ndarray  # the term matchers standing on the item (CoordMatcher's ``matching``)
    termcounts: np.ndarray  # the term matchers of the item's segment tree; 0 where there is no coordination


def scored(generation: Generation, searcher, query: Query, allowed: np.ndarray | None = None) -> Scored | None:
    """Score every item a question matches, as Whoosh scores it; None for any other query.

    ``allowed`` (a boolean mask over the items, or None for all) keeps only the items a filter allows.
    """
    if not is_question(query):
        return None
    terms = _Terms(generation, searcher)
    pieces = []
    try:
        for number, (subsearcher, offset) in enumerate(searcher.leaf_searchers()):
            segment = _Segment(number, offset, subsearcher.doc_count_all(), subsearcher.reader())
            part = _part(query, segment, terms)
            if part is None:
                continue
            matched = part.matched if allowed is None else part.matched & allowed[offset:offset + segment.size]
            found = np.flatnonzero(matched)
            sums, matching = part.scores[found], part.matching[found]
            termcount = part.terms if _coordinated(query, segment, part) else 0
            scores = _sqr(sums, matching, termcount, query.scale) if termcount else sums
            pieces.append((found + offset, scores, sums, matching, np.full(found.size, termcount)))
    except NotAQuestion:
        return None
    if not pieces:
        return Scored(*(np.empty(0, dtype=dtype) for dtype in (np.int64, np.float64, np.float64, np.int16, np.int64)))
    return Scored(*(np.concatenate(column) for column in zip(*pieces)))


def top(generation: Generation, searcher, query: Query, allowed: np.ndarray | None,
        limit: int) -> list[tuple[float, int]] | None:
    """The best ``limit`` (score, docnum) pairs of a question, as Whoosh ranks them; None for other queries."""
    found = scored(generation, searcher, query, allowed)
    return None if found is None else best(found.docnums, found.scores, limit)


def best(docnums: np.ndarray, scores: np.ndarray, limit: int) -> list[tuple[float, int]]:
    """The ``limit`` best pairs, by score descending then document number ascending, as Whoosh's heap keeps them."""
    if docnums.size > limit > 0:
        # Everything that ties with the limit-th score stays a candidate; the sort settles ties by docnum.
        kth = np.partition(scores, docnums.size - limit)[docnums.size - limit]
        keep = scores >= kth
        docnums, scores = docnums[keep], scores[keep]
    order = np.lexsort((docnums, -scores))[:max(limit, 0)]
    return [(float(scores[i]), int(docnums[i])) for i in order]


@dataclass(frozen=True)
class _Segment:
    number: int
    offset: int
    size: int  # items, deleted ones included
    reader: object


@dataclass
class _Part:
    """What a matcher (sub)tree gives in one segment, by the segment's document numbers."""

    scores: np.ndarray  # float64, zero where the tree does not match
    matched: np.ndarray  # bool
    matching: np.ndarray  # int16: the tree's term matchers standing on the item (what CoordMatcher counts)
    terms: int  # the tree's term matchers (CoordMatcher's term count)


class _Terms:
    """Each term's BM25F score at each of its postings, computed once per query."""

    def __init__(self, generation: Generation, searcher):
        self.generation = generation
        self.searcher = searcher
        self._found: dict[tuple[str, bytes], tuple] = {}

    def scores_of(self, term: Term) -> tuple | None:
        """The term's postings and their scores, or None where the index does not hold the term."""
        schema = self.searcher.schema
        if term.fieldname not in schema:
            return None
        try:
            btext = schema[term.fieldname].to_bytes(term.text)
        except ValueError:
            return None
        key = (term.fieldname, btext)
        if key not in self._found:
            self._found[key] = self._score(term.fieldname, btext)
        return self._found[key]

    def _score(self, fieldname: str, btext: bytes) -> tuple | None:
        postings = self.generation.postings(self.searcher, fieldname, btext)
        if not any(postings.present):
            return None
        # The scorer Whoosh makes for the term: its idf and average length come from the top-level
        # searcher, as every segment's scorer takes them.
        scorer = self.searcher.weighting.scorer(self.searcher, fieldname, btext)
        if type(scorer) is not scoring.BM25FScorer:
            raise NotAQuestion(f"{fieldname} is not scored by BM25F")
        lengths = self.generation.lengths(self.searcher, fieldname)
        scores = scoring.bm25(scorer.idf, postings.weights, lengths[postings.docs], scorer.avgfl, scorer.B, scorer.K1)
        return postings, scores


def _part(node: Query, segment: _Segment, terms: _Terms) -> _Part | None:
    """Score ``node`` in ``segment`` as the matcher Whoosh builds for it there; None where that is a NullMatcher."""
    if type(node) is Term:
        return _term_part(node, segment, terms)
    subs = node.subqueries
    if not subs:
        return None
    if len(subs) == 1:
        return _part(subs[0], segment, terms)
    if _preloaded(node, segment):
        return _array_union(node, segment, terms)
    part = _union_tree(node, segment, terms)
    if part is not None and node.boost != 1.0:
        part.scores = part.scores * node.boost
    # The coordination of the top OR (only the top one has a scale) is left to ``scored``.
    return part


def _term_part(term: Term, segment: _Segment, terms: _Terms) -> _Part | None:
    found = terms.scores_of(term)
    if found is None:
        return None
    postings, scores = found
    if not postings.present[segment.number]:
        return None
    start, end = postings.bounds[segment.number], postings.bounds[segment.number + 1]
    local = postings.docs[start:end] - segment.offset
    values = scores[start:end]
    part = _Part(np.zeros(segment.size), np.zeros(segment.size, dtype=bool),
                 np.zeros(segment.size, dtype=np.int16), 1)
    part.scores[local] = values * term.boost if term.boost != 1.0 else values
    part.matched[local] = True
    part.matching[local] = 1
    return part


def _preloaded(node: Or, segment: _Segment) -> bool:
    """Whether Or._matcher makes an ArrayUnionMatcher for ``node`` here (a collector that needs no current match)."""
    if node.matcher_type != Or.AUTO_MATCHER:
        return node.matcher_type == Or.ARRAY_MATCHER
    return not (len(node.subqueries) < node.TOO_MANY_CLAUSES
                and (node.scale or len(node.subqueries) == 2 or segment.size > PRELOAD_MAX_DOCS))


def _array_union(node: Or, segment: _Segment, terms: _Terms) -> _Part:
    """ArrayUnionMatcher: the parts' scores times the boost, added in order; items match where the sum is positive."""
    total = np.zeros(segment.size)
    count = 0
    for sub in node.subqueries:
        part = _part(sub, segment, terms)
        if part is not None:
            total = total + part.scores * node.boost
            count += part.terms
    return _Part(total, total > 0, np.zeros(segment.size, dtype=np.int16), count)


def _union_tree(node: Or, segment: _Segment, terms: _Terms) -> _Part | None:
    """A tree of UnionMatchers, shaped as make_weighted_tree shapes it, so that sums are added in Whoosh's order.

    make_weighted_tree sorts (estimated size, matcher) pairs and inserts each merged pair with
    ``insort``, so where sizes tie the matchers' own comparisons decide. Matchers compare equal to
    any matcher of another class, except that a WrappingMatcher (a boosted term) sorts before a
    FilterMatcher (an unboosted term in a segment with deletions), its subclass, whose reflected
    ``__gt__`` Python asks first. Stand-ins of the same classes make the same comparisons.
    """
    weighted = [(sub.estimate_size(segment.reader), _stand_in(sub, segment, terms)) for sub in node.subqueries]
    weighted.sort()
    while len(weighted) > 1:
        (size_a, a), (size_b, b) = weighted.pop(0), weighted.pop(0)
        insort(weighted, (size_a + size_b, _UnionStandIn(_union(a.part, b.part))))
    return weighted[0][1].part


class _StandIn:
    """In place of a Whoosh matcher while the tree is shaped: its comparisons are Matcher's own."""

    def __init__(self, part: _Part | None):
        self.part = part

    def __eq__(self, other):
        return self.__class__ is type(other)

    def __lt__(self, other):
        return type(other) is self.__class__

    def __ne__(self, other):
        return not self.__eq__(other)

    def __gt__(self, other):
        return not (self.__lt__(other) or self.__eq__(other))

    def __le__(self, other):
        return self.__eq__(other) or self.__lt__(other)

    def __ge__(self, other):
        return self.__eq__(other) or self.__gt__(other)

    __hash__ = object.__hash__


class _NullStandIn(_StandIn):
    """NullMatcher: a term missing from the segment."""


class _LeafStandIn(_StandIn):
    """A term's own postings matcher."""


class _WrappingStandIn(_StandIn):
    """WrappingMatcher: a boosted term or OR."""


class _FilterStandIn(_WrappingStandIn):
    """FilterMatcher (a WrappingMatcher): a term's postings without the segment's deleted items."""


class _UnionStandIn(_StandIn):
    """UnionMatcher."""


class _ArrayUnionStandIn(_StandIn):
    """ArrayUnionMatcher."""


def _stand_in(sub: Query, segment: _Segment, terms: _Terms) -> _StandIn:
    """The stand-in for the matcher Whoosh makes for ``sub`` in this segment, holding what it scores."""
    if type(sub) is Term:
        part = _term_part(sub, segment, terms)
        if part is None:
            return _NullStandIn(None)
        if sub.boost != 1.0:
            return _WrappingStandIn(part)
        return _FilterStandIn(part) if segment.reader.has_deletions() else _LeafStandIn(part)
    subs = getattr(sub, "subqueries", ())
    if len(subs) == 1:
        return _stand_in(subs[0], segment, terms)
    part = _part(sub, segment, terms)
    if not subs:
        return _NullStandIn(part)
    if isinstance(sub, Or) and _preloaded(sub, segment):
        return _ArrayUnionStandIn(part)
    return _WrappingStandIn(part) if sub.boost != 1.0 else _UnionStandIn(part)


def _union(a: _Part | None, b: _Part | None) -> _Part | None:
    """UnionMatcher: the sum where both match, either one's score where one does."""
    if a is None or b is None:
        return a if b is None else b
    # Zero where a side does not match, and x + 0.0 == x: the sum is each side's score there.
    return _Part(a.scores + b.scores, a.matched | b.matched, a.matching + b.matching, a.terms + b.terms)


def _coordinated(query: Query, segment: _Segment, part: _Part) -> bool:
    """Whether DefaultOr wraps the top OR's matcher in a CoordMatcher in this segment (it has a scale and terms)."""
    return (type(query) is Or and bool(query.scale) and len(query.subqueries) > 1
            and not _preloaded(query, segment) and part.terms > 0)


def _sqr(sums: np.ndarray, matching: np.ndarray, termcount: int, scale: float) -> np.ndarray:
    """CoordMatcher._sqr over every item: the bonus for matching more of the terms, in Whoosh's arithmetic."""
    if termcount == scale:
        return np.zeros_like(sums)
    # The scalars as Python computes them in _sqr, so that the array arithmetic rounds the same way.
    spread = (termcount - scale) ** 2
    bonus = np.array([(count - 1) / spread for count in range(termcount + 1)])
    return (sums + bonus[matching]) * ((termcount - 1) / termcount)
