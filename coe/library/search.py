"""Full-text search over the library with Whoosh. The only module that imports whoosh.

On disk an index directory holds generations and a pointer:

    <index_dir>/CURRENT             {"dir": "gen-00000042-1a2b", "generation": 42, "schema": 6}
    <index_dir>/gen-00000042-1a2b/  a complete Whoosh index for content generation 42
    <index_dir>/.lock               held while a generation is being built

A new generation is built in a fresh folder (a copy of the current one plus the changes, or
from scratch) and published by atomically replacing CURRENT. Readers compare CURRENT with the
generation they hold and reopen when it moves, so a reader never sees half an index and a
crash mid-build leaves the old generation serving. The newest two generations are kept, so a
reader that still holds the previous one keeps working.
"""

from __future__ import annotations

import fcntl
import functools
import heapq
import json
import os
import re
import secrets
import shutil
import threading
import warnings
import weakref
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import highlight, index, qparser, scoring
from whoosh.analysis import STOP_WORDS, Token, Tokenizer
from whoosh.analysis.tokenizers import default_pattern
from whoosh.lang import porter
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.query import And, Every, Or, Term

from coe.registry import SearchChanges, SearchDocument

SCHEMA_VERSION = 8
POINTER = "CURRENT"
FIELDS = ["title", "body"]  # searchable text; body holds the title, summary and text
QUERY_FIELDS = ("title", "body", "kind", "tag", "competency")
MAX_MARKED_WORDS = 50  # may be named in a query: tag:risk
_WORD = re.compile(r"[a-z]{3,}")


# "Did you mean" draws on a second, one-document index in each generation holding every distinct
# unstemmed word of the library. Whoosh's spelling=True would analyse every body a second time
# while indexing; this costs one set union per document.
VOCAB = "vocab"


def make_vocab_schema() -> Schema:
    return Schema(word=KEYWORD(lowercase=True, scorable=True))


def _write_vocab(folder: Path, words: set[str]) -> None:
    writer = index.create_in(str(folder), make_vocab_schema(), indexname=VOCAB).writer()
    writer.add_document(word=" ".join(sorted(words)))
    writer.commit()


class StemTokenizer(Tokenizer):
    """Whoosh's StemmingAnalyzer (tokenise, lower-case, drop stop words, Porter stem) in one generator.

    It yields the same tokens and positions as the chain of four (a test compares them on the
    whole library) and indexes about 15% faster, which a first sync of a large library feels.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        if tokenize:
            matches = ((m.group(), m.start(), m.end()) for m in _TOKEN.finditer(value))
        else:
            matches = iter([(value, 0, len(value))])
        pos = None  # as StopFilter renumbers: the first kept token keeps its place, the rest follow on
        for index_, (text, start, end) in enumerate(matches):
            lowered = text.lower()
            if keeporiginal:
                token.original = text
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            if len(lowered) < 2 or lowered in STOP_WORDS:
                if removestops:
                    continue
                token.stopped, token.text = True, lowered
                if positions:
                    token.pos = start_pos + index_
                yield token
                continue
            pos = start_pos + index_ if pos is None else pos + 1
            token.stopped, token.text = False, _stem(lowered)
            if positions:
                token.pos = pos
            yield token


_TOKEN = default_pattern  # the pattern RegexTokenizer uses, so that tokens match Whoosh's exactly


def make_schema() -> Schema:
    analyzer = StemTokenizer()
    return Schema(
        ref=ID(unique=True, stored=True),
        kind=ID(stored=True),
        title=TEXT(analyzer=analyzer, field_boost=3.0, stored=True),
        summary=STORED(),
        # Positions serve phrase queries. Character offsets are not stored: snippets find the few
        # words to mark in the hits' text (see _matched_tokens), cheaper than reading offsets back.
        body=TEXT(analyzer=analyzer, stored=True),
        tag=KEYWORD(stored=True, commas=True, lowercase=True),
        competency=KEYWORD(stored=True, commas=True, lowercase=True),
    )


def _fields(doc: SearchDocument) -> dict:
    body = f"{doc.title}\n{doc.summary}\n{doc.text}"
    return {
        "ref": doc.ref, "kind": doc.kind, "title": doc.title, "summary": doc.summary, "body": body,
        "tag": ",".join(doc.tags), "competency": ",".join(doc.competencies),
    }


def _words(doc: SearchDocument) -> list[str]:
    """The unstemmed words, for the spelling dictionary."""
    return _WORD.findall(f"{doc.title} {doc.summary} {doc.text}".lower())


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
    snippet: str  # HTML: escaped text with <mark> around matches
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
    error: str | None = None


class QueryError(Exception):
    """The query could not be run as written; the message says why."""


class IndexUnavailable(Exception):
    """There is no usable index generation in the directory."""


class SearchIndex:
    """A directory of index generations; build with ``refresh``, read with ``search``."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._local = threading.local()

    # --- the pointer -------------------------------------------------------------------

    def pointer(self) -> dict | None:
        try:
            data = json.loads((self.directory / POINTER).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
            return None
        if not (self.directory / str(data.get("dir", ""))).is_dir():
            return None
        return data

    def generation(self) -> int | None:
        pointer = self.pointer()
        return pointer["generation"] if pointer else None

    def status(self, expected_generation: int) -> tuple[bool, str]:
        """Return whether the index serves ``expected_generation``, and a short description."""
        pointer = self.pointer()
        if pointer is None:
            return False, "missing"
        try:
            self._open(pointer["dir"])
        except Exception as exc:  # any Whoosh or OS error means the index cannot serve
            return False, f"broken: {exc.__class__.__name__}"
        if pointer["generation"] != expected_generation:
            return False, f"behind: generation {pointer['generation']}, content at {expected_generation}"
        return True, f"ok: generation {pointer['generation']}"

    # --- writing -----------------------------------------------------------------------

    @contextmanager
    def _lock(self, wait: bool):
        """Hold the build lock; without ``wait``, yield False at once if someone else holds it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def refresh(
        self,
        target_generation: int,
        changes_since: Callable[[int], SearchChanges],
        all_documents: Callable[[], Iterable[SearchDocument]],
        force: bool = False,
        wait: bool = True,
    ) -> str:
        """Bring the index to ``target_generation``; return "current", "updated", "rebuilt" or "busy".

        Without ``wait`` (a web request), return "busy" at once while another process builds,
        so that requests keep being served from the current generation.
        """
        with self._lock(wait) as locked:
            if not locked:
                return "busy"
            pointer = None if force else self.pointer()
            if pointer is not None and pointer["generation"] == target_generation and self._usable(pointer):
                return "current"
            name = f"gen-{target_generation:08d}-{secrets.token_hex(3)}"
            building = self.directory / f"tmp-{name}"
            self._remove_stale_builds()
            try:
                if pointer is not None and pointer["generation"] < target_generation and self._usable(pointer):
                    shutil.copytree(self.directory / pointer["dir"], building)
                    self._apply(building, changes_since(pointer["generation"]))
                    outcome = "updated"
                else:
                    self._build(building, all_documents())
                    outcome = "rebuilt"
                os.rename(building, self.directory / name)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
            previous = self.pointer()
            self._publish(name, target_generation)
            self._prune(keep={name, previous["dir"] if previous else name})
            return outcome

    def _usable(self, pointer: dict) -> bool:
        try:
            _open_index(self.directory / pointer["dir"]).doc_count()
        except Exception:  # a damaged generation is rebuilt rather than patched
            return False
        return True

    def _build(self, folder: Path, documents: Iterable[SearchDocument]) -> None:
        folder.mkdir(parents=True)
        documents = list(documents)
        ix = index.create_in(str(folder), make_schema())
        procs = 2 if len(documents) >= 1000 and (os.cpu_count() or 1) > 1 else 1
        writer = ix.writer(procs=procs, limitmb=256, multisegment=procs > 1, batchsize=200)
        words: set[str] = set()
        for doc in documents:
            writer.add_document(**_fields(doc))
            words.update(_words(doc))
        writer.commit()
        _write_vocab(folder, words)

    def _apply(self, folder: Path, changes: SearchChanges) -> None:
        ix = index.open_dir(str(folder))
        writer = ix.writer()
        for ref in changes.removals:
            writer.delete_by_term("ref", ref)
        vocab = index.open_dir(str(folder), indexname=VOCAB)
        with vocab.reader() as reader:
            known = {word.decode("utf-8") for word in reader.lexicon("word")}
        words: set[str] = set()
        for doc in changes.upserts:
            writer.update_document(**_fields(doc))
            words.update(_words(doc))
        # No merge: a small new segment keeps a one-document change well under a second.
        writer.commit(merge=False)
        # New words join the dictionary as a small extra document; words of removed documents stay
        # until the next full build (a harmless extra suggestion).
        if words - known:
            vocab_writer = vocab.writer()
            vocab_writer.add_document(word=" ".join(sorted(words - known)))
            vocab_writer.commit(merge=False)

    def _publish(self, name: str, generation: int) -> None:
        tmp = self.directory / f"{POINTER}.{secrets.token_hex(4)}.tmp"
        tmp.write_text(json.dumps({"dir": name, "generation": generation, "schema": SCHEMA_VERSION}))
        os.replace(tmp, self.directory / POINTER)

    def _prune(self, keep: set[str]) -> None:
        for child in self.directory.iterdir():
            if child.is_dir() and child.name.startswith("gen-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def _remove_stale_builds(self) -> None:
        for child in self.directory.iterdir():
            if child.name.startswith("tmp-"):
                shutil.rmtree(child, ignore_errors=True)

    # --- reading -----------------------------------------------------------------------

    def _open(self, name: str) -> _Generation:
        cached = getattr(self._local, "generation", None)
        if cached is not None and cached.name == name:
            return cached
        folder = self.directory / name
        generation = _Generation(name, _open_index(folder).searcher(weighting=_BM25F()),
                                 _open_index(folder, VOCAB).reader())
        self._local.generation = generation
        return generation

    def _current(self) -> _Generation:
        pointer = self.pointer()
        if pointer is None:
            raise IndexUnavailable("The search index has not been built yet.")
        return self._open(pointer["dir"])

    def searcher(self):
        """Return this thread's searcher on the current generation, reopening if it moved."""
        return self._current().searcher

    def search(self, request: SearchRequest) -> SearchResults:
        """Score every match once: that pass counts them, ranks the top N and tallies the facets."""
        generation = self._current()
        searcher = generation.searcher
        filters = [Term(name, value) for name, value in
                   (("kind", request.kind), ("tag", request.tag), ("competency", request.competency)) if value]
        try:
            parsed, matching = _expand(generation.body_parser, request.q, request.synonyms)
            if matching is None and not filters:
                return SearchResults(0, 1, 0)
            # Match on the body (which starts with the title); a title match only adds to the score.
            # Every title match is also a body match, so the sum ranks exactly as a query over
            # both fields would, at the cost of one field's postings (DESIGN.md, Search).
            scores = _score_all(searcher, matching or Every())
            if matching is not None:
                _, boost = _expand(generation.title_parser, request.q, request.synonyms)
                for docnum, score in _score_all(searcher, boost).items():
                    if docnum in scores:
                        scores[docnum] += score
            if filters:
                allowed = set(searcher.docs_for_query(And(filters) if len(filters) > 1 else filters[0]))
                scores = {docnum: score for docnum, score in scores.items() if docnum in allowed}
            body_terms = sorted({text for field, text in (matching or Every()).existing_terms(searcher.reader(), expand=True)
                                 if field == "body"})
            suggestion = _suggest(searcher, generation.vocabulary, parsed, request.q.strip()) if parsed else None
        except Exception as exc:  # Whoosh raises assorted errors for queries it cannot run
            raise QueryError(f"The query could not be run ({exc.__class__.__name__}); simplify it and try again.") from exc
        total = len(scores)
        pages = -(-total // request.per_page)
        page = min(max(1, request.page), max(pages, 1))
        ranked = heapq.nlargest(page * request.per_page, scores.items(), key=lambda item: (item[1], -item[0]))
        shown = [docnum for docnum, _ in ranked[(page - 1) * request.per_page:]]
        # A short prefix* expands to hundreds of words: marking them all would say nothing.
        stems = {term.decode("utf-8") for term in body_terms} if len(body_terms) <= MAX_MARKED_WORDS else set()
        hits = []
        for docnum in shown:
            fields = searcher.stored_fields(docnum)
            snippet = (_snippet(fields["body"], _matched_tokens(fields["body"], stems))
                       or highlight.htmlescape(fields["summary"]))
            hits.append(Hit(fields["ref"], fields["kind"], fields["title"], fields["summary"], snippet,
                            _tags(fields)))
        out = SearchResults(total=total, page=page, pages=pages, hits=hits, suggestion=suggestion)
        if request.facets:
            out.kind_counts, out.tag_counts = generation.facets(scores)
        return out


def _tags(fields: dict) -> list[str]:
    return [tag for tag in fields["tag"].split(",") if tag]


@dataclass
class _Generation:
    """One open generation: its searcher, its spelling dictionary, and a facet table built on first use."""

    name: str
    searcher: object
    vocabulary: object
    _facet_rows: dict[int, tuple[str, list[str]]] | None = None

    def __post_init__(self):
        # Parse against the searchable fields only: "summary:x" or "ref:x" in a query is then
        # plain text rather than a query on a stored-only or internal field.
        schema = self.searcher.schema
        searchable = Schema(**{name: schema[name] for name in QUERY_FIELDS})
        self.body_parser = qparser.QueryParser("body", searchable)
        self.title_parser = qparser.QueryParser("title", searchable)

    def facets(self, docnums: Iterable[int]) -> tuple[dict[str, int], dict[str, int]]:
        """Count the kinds and tags of ``docnums``."""
        if self._facet_rows is None:
            self._facet_rows = {docnum: (fields["kind"], _tags(fields))
                                for docnum, fields in self.searcher.reader().iter_docs()}
        kinds: dict[str, int] = {}
        tags: dict[str, int] = {}
        for docnum in docnums:
            kind, doc_tags = self._facet_rows[docnum]
            kinds[kind] = kinds.get(kind, 0) + 1
            for tag in doc_tags:
                tags[tag] = tags.get(tag, 0) + 1
        return _sorted_counts(kinds), _sorted_counts(tags)


def _score_all(searcher, query) -> dict[int, float]:
    """Return {docnum: score} for every document matching ``query``."""
    scores: dict[int, float] = {}
    context = searcher.context()
    for leaf, offset in searcher.leaf_searchers():
        matcher = query.matcher(leaf, context)
        while matcher.is_active():
            scores[offset + matcher.id()] = matcher.score()
            matcher.next()
    return scores


class _BM25F(scoring.BM25F):
    """BM25F, with each document's length normalisation computed once per segment and field.

    Whoosh's scorer reads the document's field length from disk and calls two functions for every
    posting it scores; on words that match thousands of documents that is a third of the query.
    The score is the same: idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average length)).
    """

    _norms: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        parent = searcher.get_parent()
        B = self._field_B.get(fieldname, self.B)
        per_field = self._norms.setdefault(searcher, {})
        if fieldname not in per_field:
            reader = searcher.reader()
            average = parent.avg_field_length(fieldname) or 1
            # (Whoosh answers None, not the default, for a field that is empty in a document.)
            per_field[fieldname] = [self.K1 * ((1 - B) + B * (reader.doc_field_length(n, fieldname, 1) or 1) / average)
                                    for n in range(reader.doc_count_all())]
        return _BM25FScorer(parent.idf(fieldname, text) * (self.K1 + 1), per_field[fieldname])


class _BM25FScorer(scoring.BaseScorer):
    def __init__(self, idf_k1: float, norms: list[float]):
        self.idf_k1 = idf_k1
        self.norms = norms

    def supports_block_quality(self) -> bool:
        return False

    def score(self, matcher) -> float:
        tf = matcher.weight()
        return self.idf_k1 * tf / (tf + self.norms[matcher.id()])


_FRAGMENTER = highlight.PinpointFragmenter(maxchars=240, surround=70, autotrim=True)
_FORMATTER = highlight.HtmlFormatter(tagname="mark", between=" … ")
_SCORER = highlight.BasicFragmentScorer()


def _matched_tokens(text: str, stems: set[str]) -> list:
    """Find the words of ``text`` whose stem is one of the query's ``stems``, with their offsets.

    Only the words that begin like a stem are stemmed, so this costs far less than analysing the
    text again, and far less than reading the stored character offsets from the postings.
    """
    if not stems:
        return []
    # A Porter stem is the start of its word, except that a final "y" becomes "i".
    prefixes = sorted({stem[:-1] if stem.endswith("i") else stem for stem in stems}, key=len, reverse=True)
    pattern = _prefix_pattern(tuple(prefixes))
    tokens = []
    for match in pattern.finditer(text):
        word = match.group().lower()
        if _stem(word) in stems:
            tokens.append(highlight.Token(text=word, pos=len(tokens), startchar=match.start(),
                                          endchar=match.end(), matched=True))
    return tokens


@functools.lru_cache(maxsize=512)
def _prefix_pattern(prefixes: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(map(re.escape, prefixes)) + r")\w*", re.IGNORECASE)


_stem = functools.lru_cache(maxsize=50_000)(porter.stem)


def _snippet(text: str, tokens: list, top: int = 2) -> str:
    """Return up to ``top`` fragments of ``text`` around the tokens, matches in <mark>."""
    if not tokens:
        return ""
    tokens = sorted(tokens, key=lambda token: token.startchar)
    fragments = _FRAGMENTER.fragment_matches(text, tokens)
    return _FORMATTER.format(highlight.top_fragments(fragments, top, _SCORER, highlight.SCORE))


def _open_index(folder: Path, indexname: str | None = None):
    """Open a generation (or its vocabulary); raise IndexUnavailable if its files are damaged."""
    # Whoosh leaves a damaged file open when it fails to read it; the file is closed when the
    # exception is dropped at the end of the except block, so the warning is silenced around both.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return index.open_dir(str(folder), indexname=indexname)
        except Exception as exc:  # damaged files surface as assorted Whoosh and OS errors
            failure = f"{exc.__class__.__name__}: {exc}"
    raise IndexUnavailable(f"The search index cannot be opened ({failure}).")


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _expand(parser, text: str, synonyms: Sequence[Sequence[str]]):
    """Return the parsed query and the query to run: it ORed with acronyms and expansions swapped."""
    text = text.strip()
    if not text:
        return None, None
    query = parser.parse(text)
    alternatives = []
    # Substitute in the text as typed: the parser reads only upper-case AND/OR/NOT as operators.
    for acronym, expansion in synonyms:
        acronym_re = re.compile(rf"(?<![\w\"]){re.escape(acronym)}(?![\w\"])", re.IGNORECASE)
        phrase_re = re.compile(r"\"?\b" + r"\s+".join(map(re.escape, expansion.split())) + r"\b\"?", re.IGNORECASE)
        if acronym_re.search(text):
            alternatives.append(acronym_re.sub(f'"{expansion}"', text))
        elif phrase_re.search(text):
            alternatives.append(phrase_re.sub(acronym, text))
    if not alternatives:
        return query, query
    return query, Or([query, *(parser.parse(alt) for alt in alternatives)])


def _suggest(searcher, vocabulary, parsed, text: str) -> str | None:
    """Suggest a corrected query when words of the parsed query are not in the library's vocabulary."""
    reader = searcher.reader()
    spans: dict[tuple[int, int], str] = {}
    for leaf in parsed.leaves():
        words = [(leaf.text, leaf.startchar, leaf.endchar)] if isinstance(leaf, Term) else []
        for stemmed, start, end in words:
            if start is None or end is None or leaf.fieldname not in FIELDS:
                continue
            if any(reader.frequency(name, stemmed) for name in FIELDS):
                continue
            original = text[start:end].lower()
            if len(original) > 2 and original.isalpha():
                spans[(start, end)] = original
    if not spans:
        return None
    corrected, changed = text, False
    for (start, end), word in sorted(spans.items(), reverse=True):
        suggestion = _closest(vocabulary, word)
        if suggestion:
            corrected, changed = corrected[:start] + suggestion + corrected[end:], True
    return corrected if changed else None


def _closest(vocabulary, word: str) -> str | None:
    """Return the nearest vocabulary word: fewest edits first."""
    corrector = vocabulary.corrector("word")
    for maxdist in (1, 2):
        found = corrector.suggest(word, limit=1, maxdist=maxdist, prefix=1)
        if found:
            return found[0]
    return None
