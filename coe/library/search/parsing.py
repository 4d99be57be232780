"""From what a person typed to the query Whoosh runs: two modes, acronyms, compounds, bounded wildcards, spelling.

A query without operators is a question ("how do I write a project charter"): it matches items
that contain any of its meaningful words, and Whoosh's OR group with a coordination factor ranks
the items that match more of them higher. Quotes, AND, OR, NOT, parentheses and ``field:``
make a query strict: every word must match, as written (Whoosh's AND group).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from whoosh import qparser
from whoosh.fields import Schema
from whoosh.query import AndNot, Every, Not, NullQuery, Or, Phrase, Prefix, Query, Term, Wildcard

from coe.library.search.analysis import ANALYZER, CONTENT, FIELD_BOOSTS, QUERY_FIELDS, STOP, TEXT_FIELDS, stem
from coe.library.search.results import QueryError

MAX_LENGTH = 200
MAX_WILDCARDS = 3  # wildcard words in one query
MAX_EXPANSIONS = 200  # words one wildcard may stand for
STRICT = re.compile(r'"|\b(?:AND|OR|NOT)\b|\b[A-Za-z_]+:|[()]')
WORD = re.compile(r"[^\W\d_]+")
COORDINATION = 0.9  # OrGroup.factory's scale: the bonus for matching more of the words


@dataclass(frozen=True)
class Parsers:
    """The two query parsers of a generation, over the fields a query may search."""

    natural: qparser.QueryParser
    strict: qparser.QueryParser

    @classmethod
    def for_schema(cls, schema: Schema) -> Parsers:
        # Only searchable fields are known to the parser: "summary:x" works, "ref:x" is plain text.
        searchable = Schema(**{name: schema[name] for name in QUERY_FIELDS})

        def make(group) -> qparser.QueryParser:
            return qparser.MultifieldParser(list(TEXT_FIELDS), searchable, fieldboosts=FIELD_BOOSTS, group=group)

        return cls(make(qparser.OrGroup.factory(COORDINATION)), make(qparser.AndGroup))


@dataclass
class ParsedQuery:
    text: str
    query: Query | None  # None when nothing searchable is left (only stop words)
    strict: bool
    words: list[str] = field(default_factory=list)  # the meaningful words typed, in order
    # For a strict query: the same words, any of them, for when nothing matches all of them.
    relaxed: Query | None = None


def is_strict(text: str) -> bool:
    return bool(STRICT.search(text))


def spaced_words(text: str) -> list[str]:
    """The meaningful words typed apart from each other (a hyphenated word is one word here)."""
    return [w.lower() for w in STRICT.sub(" ", text).split() if w.isalpha() and w.lower() not in STOP and len(w) > 1]


def meaningful_words(text: str) -> list[str]:
    """The words of ``text`` that search on, lower-cased, operators and stop words left out."""
    return [w.lower() for w in WORD.findall(STRICT.sub(" ", text)) if w.lower() not in STOP and len(w) > 1]


def parse(parsers: Parsers, reader, text: str, synonyms: Sequence[Sequence[str]] = ()) -> ParsedQuery:
    """Parse ``text`` into the query to run; raise QueryError when a wildcard would expand too far."""
    text = text.strip()[:MAX_LENGTH]
    strict = is_strict(text)
    parser = parsers.strict if strict else parsers.natural
    searched = _join_hyphenated(text, reader)
    query = _simplify(parser.parse(searched, normalize=True))
    words = meaningful_words(text)
    if query is None:
        return ParsedQuery(text, None, strict, words)
    query = _bound_wildcards(query, reader)
    query = _expand_acronyms(query, searched, synonyms)
    if not strict:
        query = _add_alternatives(query, _compound_alternatives(reader, spaced_words(text)) +
                                  _spelled_out_acronyms(text, synonyms))
    relaxed = _relax(query) if strict else None
    return ParsedQuery(text, query, strict, words, relaxed)


def _simplify(query: Query) -> Query | None:
    query = query.normalize()
    if query is NullQuery or isinstance(query, type(NullQuery)):
        return None
    return query


def _rewrite(query: Query, fn: Callable[[Query], Query | None]) -> Query:
    """Apply ``fn`` to every node, top down; a node ``fn`` replaces is not descended into."""
    replaced = fn(query)
    if replaced is not None:
        return replaced
    if query.is_leaf():
        return query
    rewritten = query.apply(lambda child: _rewrite(child, fn))
    if isinstance(query, Or) and isinstance(rewritten, Or):
        rewritten.scale = query.scale  # Query.apply keeps the children and the boost, not the coordination
    return rewritten


def _leaves(query: Query):
    if query.is_leaf():
        yield query
    else:
        for child in query.children():
            yield from _leaves(child)


# --- wildcards -----------------------------------------------------------------------------


def _bound_wildcards(query: Query, reader) -> Query:
    """Expand each wildcard into the words it stands for, refusing queries that would expand too far.

    Whoosh expands a wildcard lazily and without limit; a query of many short wildcards would
    tie a worker up for seconds. Here each one expands at most once per field, to at most
    MAX_EXPANSIONS words, and a query may hold at most MAX_WILDCARDS of them.
    """
    patterns = {leaf.text for leaf in _leaves(query) if isinstance(leaf, (Wildcard, Prefix))}
    if not patterns:
        return query
    if len(patterns) > MAX_WILDCARDS:
        raise QueryError(f"A search may use at most {MAX_WILDCARDS} words with * or ?; this one has "
                         f"{len(patterns)}. Type more of each word instead.")

    def expand(node: Query) -> Query | None:
        if not isinstance(node, (Wildcard, Prefix)):
            return None
        texts = list(itertools.islice(node._btexts(reader), MAX_EXPANSIONS + 1))
        if len(texts) > MAX_EXPANSIONS:
            shown = node.text + ("*" if isinstance(node, Prefix) else "")
            raise QueryError(f"“{shown}” matches more than {MAX_EXPANSIONS} different words. "
                             "Type more letters before the * so that it says what you are looking for.")
        terms = [Term(node.fieldname, reader.schema[node.fieldname].from_bytes(t), boost=node.boost) for t in texts]
        return Or(terms) if terms else NullQuery

    return _rewrite(query, expand)


# --- acronyms and compounds ----------------------------------------------------------------


def _analysed(text: str) -> list[str]:
    return [token.text for token in ANALYZER(text)]


@functools.lru_cache(maxsize=8)
def _acronym_tables(synonyms: tuple[tuple[str, str], ...]
                    ) -> tuple[dict[str, tuple[str, ...]], dict[tuple[str, ...], str]]:
    """Acronym -> analysed expansion, and back: the same for every search until the synonyms change."""
    analysed = [(acronym, tuple(_analysed(expansion))) for acronym, expansion in synonyms]
    return dict(analysed), {expansion: acronym for acronym, expansion in analysed}


def _expand_acronyms(query: Query, text: str, synonyms: Sequence[Sequence[str]]) -> Query:
    """Inside the parsed query: an acronym term also matches its expansion, a quoted expansion its acronym.

    The rewrite replaces the leaf where it stands, so AND, NOT and fields keep their meaning
    (``matrix NOT raci`` excludes the items that write "responsible accountable consulted informed").
    """
    if not synonyms:
        return query
    by_acronym, by_expansion = _acronym_tables(tuple((acronym, expansion) for acronym, expansion in synonyms))

    def expand(node: Query) -> Query | None:
        if isinstance(node, Term) and node.fieldname in TEXT_FIELDS and node.startchar is not None:
            typed = text[node.startchar:node.endchar].lower()
            expansion = by_acronym.get(typed)
            if expansion:
                return Or([node, Phrase(node.fieldname, list(expansion), boost=node.boost)])
        if isinstance(node, Phrase) and node.fieldname in TEXT_FIELDS:
            acronym = by_expansion.get(tuple(node.words))
            if acronym:
                return Or([node, Term(node.fieldname, stem(acronym), boost=node.boost)])
        return None

    return _rewrite(query, expand)


def _spelled_out_acronyms(text: str, synonyms: Sequence[Sequence[str]]) -> list[Query]:
    """An expansion typed without quotes ("work breakdown structure") also finds its acronym."""
    lowered = " ".join(WORD.findall(text.lower()))
    found = []
    for acronym, expansion in synonyms:
        if re.search(rf"\b{re.escape(expansion)}\b", lowered):
            found.append(_in_every_field(lambda name, a=acronym: Term(name, stem(a), boost=FIELD_BOOSTS[name])))
    return found


def _in_every_field(make: Callable[[str], Query]) -> Query:
    return Or([make(name) for name in TEXT_FIELDS])


def _known(reader, word_stem: str) -> bool:
    return any(reader.frequency(name, word_stem) for name in TEXT_FIELDS)


HYPHENATED = re.compile(r"(?<![\w-])([^\W\d_]+)-([^\W\d_]+)(?![\w-])")


def _join_hyphenated(text: str, reader) -> str:
    """A typed hyphenated pair ("kick-off") searches for the one word the index holds it as ("kickoff").

    The analyser splits "kick-off" into two words, which a query would look for apart; the index
    also holds every hyphenated pair of the content joined, so the joined word finds "kick-off"
    and "kickoff" alike, with one postings list instead of two. Quoted phrases keep their words.
    """
    parts = text.split('"')
    for index in range(0, len(parts), 2):  # outside quotes
        parts[index] = HYPHENATED.sub(
            lambda m: m.group(1) + m.group(2) if _known(reader, stem((m.group(1) + m.group(2)).lower())) else m.group(0),
            parts[index])
    return '"'.join(parts)


def _compound_alternatives(reader, words: list[str]) -> list[Query]:
    """"kick off", "kick-off" and "kickoff" find the same items.

    The index holds a hyphenated pair also as one word ("kick-off" as "kickoff"), and a typed
    hyphenated pair searches for that word (``_join_hyphenated``). Here two words typed apart
    also match the word they form, and a word the content never uses matches the phrase of two
    words it splits into, where the content uses those.
    """
    found: list[Query] = []
    for first, second in itertools.pairwise(words):
        joined = stem(first + second)
        if _known(reader, joined):
            found.append(_in_every_field(lambda name, j=joined: Term(name, j, boost=FIELD_BOOSTS[name])))
    for word in words:
        if _known(reader, stem(word)):
            continue
        for cut in range(3, len(word) - 2):
            head, tail = word[:cut], word[cut:]
            pair = [stem(head), stem(tail)]
            if head in STOP or tail in STOP or min(len(part) for part in pair) < 3:
                continue
            if all(_known(reader, part) for part in pair):
                found.append(_in_every_field(lambda name, p=pair: Phrase(name, p, boost=FIELD_BOOSTS[name])))
    return found


def _add_alternatives(query: Query, alternatives: list[Query]) -> Query:
    """Add alternatives to a question's top-level OR group (they add to the score of what they match)."""
    if not alternatives:
        return query
    if isinstance(query, Or):
        return Or(list(query.subqueries) + alternatives, boost=query.boost, scale=query.scale)
    return Or([query, *alternatives], scale=COORDINATION)


def _relax(query: Query) -> Query | None:
    """The positive words of a strict query, any of them; what it excludes stays excluded.

    None when there is nothing to relax: fewer than two positive words.
    """
    positive: list[Query] = []
    negative: list[Query] = []

    def walk(node: Query) -> None:
        if isinstance(node, Not):
            negative.append(node.query)
        elif isinstance(node, AndNot):
            walk(node.a)
            negative.append(node.b)
        elif node.is_leaf():
            if isinstance(node, Phrase):
                positive.extend(Term(node.fieldname, w, boost=node.boost) for w in node.words)
            elif not isinstance(node, Every):
                positive.append(node)
        else:
            for child in node.children():
                walk(child)

    walk(query)
    if len({leaf.text for leaf in positive if isinstance(leaf, Term)}) < 2:
        return None
    relaxed: Query = Or(positive, scale=COORDINATION)
    return AndNot(relaxed, Or(negative)) if negative else relaxed


# --- spelling ------------------------------------------------------------------------------


def unknown_words(reader, parsed: ParsedQuery) -> list[str]:
    """Typed words the content never uses, and that are not parts of a compound it uses."""
    if parsed.query is None:
        return []
    words = parsed.words
    unknown = []
    for index, word in enumerate(words):
        if not word.isalpha() or len(word) < 3 or _known(reader, stem(word)):
            continue
        neighbours = words[max(0, index - 1):index] + words[index + 1:index + 2]
        if any(_known(reader, stem(word + other)) or _known(reader, stem(other + word)) for other in neighbours):
            continue
        unknown.append(word)
    return unknown


def correct(vocabulary, text: str, unknown: list[str]) -> str | None:
    """Replace each unknown word of ``text`` with the nearest word of the content, fewest edits first."""
    corrector = vocabulary.corrector("word")
    corrected, changed = text, False
    for word in unknown:
        replacement = None
        for maxdist in (1, 2):
            found = corrector.suggest(word, limit=1, maxdist=maxdist, prefix=1)
            if found:
                replacement = found[0]
                break
        if replacement:
            corrected = re.sub(rf"\b{re.escape(word)}\b", replacement, corrected, flags=re.IGNORECASE)
            changed = True
    return corrected if changed else None


def coverage(searcher, words: list[str], docnum: int | None) -> int:
    """How many of ``words`` item ``docnum`` contains, in any text field."""
    if docnum is None:
        return 0
    count = 0
    for word in words:
        word_stem = stem(word)
        if not searcher.reader().frequency(CONTENT, word_stem):
            continue
        matcher = Term(CONTENT, word_stem).matcher(searcher)
        matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            count += 1
    return count


__all__ = ["MAX_EXPANSIONS", "MAX_WILDCARDS", "ParsedQuery", "Parsers", "correct", "coverage", "is_strict", "parse",
           "unknown_words"]
