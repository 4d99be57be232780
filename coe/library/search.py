"""Full-text search over the library with Whoosh. The only module that imports whoosh.

On disk an index directory holds generations and a pointer:

    <index_dir>/CURRENT             {"dir": "gen-00000042-1a2b", "generation": 42, "schema": 3}
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
import json
import os
import re
import secrets
import shutil
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import collectors, highlight, index, qparser
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.query import And, AndMaybe, Every, Or, Term

SCHEMA_VERSION = 5
POINTER = "CURRENT"
FIELDS = ["title", "body"]  # searchable text; body holds the title, summary and text
_WORD = re.compile(r"[a-z]{3,}")


def make_schema() -> Schema:
    analyzer = StemmingAnalyzer()
    return Schema(
        ref=ID(unique=True, stored=True),
        kind=ID(stored=True),
        title=TEXT(analyzer=analyzer, field_boost=3.0, stored=True),
        summary=STORED(),
        # chars=True stores character offsets so highlighting needs no re-analysis of the text.
        body=TEXT(analyzer=analyzer, stored=True, chars=True),
        # Each document's distinct unstemmed words: the dictionary for "did you mean". Cheaper
        # to index than Whoosh's spelling=True, which analyses the whole body a second time.
        vocab=KEYWORD(lowercase=True),
        tag=KEYWORD(stored=True, commas=True, lowercase=True),
        competency=KEYWORD(stored=True, commas=True, lowercase=True),
    )


@dataclass(frozen=True)
class IndexDoc:
    ref: str
    kind: str
    title: str
    summary: str
    text: str
    tags: Sequence[str] = ()
    competencies: Sequence[str] = ()

    def fields(self) -> dict:
        body = f"{self.title}\n{self.summary}\n{self.text}"
        return {
            "ref": self.ref, "kind": self.kind, "title": self.title, "summary": self.summary, "body": body,
            "vocab": " ".join(set(_WORD.findall(f"{self.title} {body}".lower()))),
            "tag": ",".join(self.tags), "competency": ",".join(self.competencies),
        }


@dataclass(frozen=True)
class Changes:
    """Documents to (re)index and refs to remove, to move an index to a newer generation."""

    upserts: list[IndexDoc]
    removals: list[str]


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
    def _lock(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def refresh(
        self,
        target_generation: int,
        changes_since: Callable[[int], Changes],
        all_documents: Callable[[], Iterable[IndexDoc]],
        force: bool = False,
    ) -> str:
        """Bring the index to ``target_generation``; return "current", "updated" or "rebuilt"."""
        with self._lock():
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

    def _build(self, folder: Path, documents: Iterable[IndexDoc]) -> None:
        folder.mkdir(parents=True)
        documents = list(documents)
        ix = index.create_in(str(folder), make_schema())
        procs = 2 if len(documents) >= 1000 and (os.cpu_count() or 1) > 1 else 1
        writer = ix.writer(procs=procs, limitmb=256, multisegment=procs > 1)
        for doc in documents:
            writer.add_document(**doc.fields())
        writer.commit()

    def _apply(self, folder: Path, changes: Changes) -> None:
        ix = index.open_dir(str(folder))
        writer = ix.writer()
        for ref in changes.removals:
            writer.delete_by_term("ref", ref)
        for doc in changes.upserts:
            writer.update_document(**doc.fields())
        # No merge: a small new segment keeps a one-document change well under a second.
        writer.commit(merge=False)

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

    def _open(self, name: str):
        cached = getattr(self._local, "searcher", None)
        if cached is not None and cached[0] == name:
            return cached[1]
        searcher = _open_index(self.directory / name).searcher()
        self._local.searcher = (name, searcher)
        return searcher

    def searcher(self):
        """Return this thread's searcher on the current generation, reopening if it moved."""
        pointer = self.pointer()
        if pointer is None:
            raise IndexUnavailable("The search index has not been built yet.")
        return self._open(pointer["dir"])

    def search(self, request: SearchRequest) -> SearchResults:
        """Run one search: a single pass over the matches counts them, ranks the top N and tallies facets."""
        searcher = self.searcher()
        body_parser = qparser.QueryParser("body", searcher.schema)
        title_parser = qparser.QueryParser("title", searcher.schema)
        # Match on the body (which starts with the title); title matches only add to the score.
        # One field to match keeps queries fast; see DESIGN.md, Search.
        matching = _expand(body_parser, request.q, request.synonyms)
        filters = [Term(name, value) for name, value in
                   (("kind", request.kind), ("tag", request.tag), ("competency", request.competency)) if value]
        if matching is None:
            if not filters:
                return SearchResults(0, 1, 0)
            query = matching = Every()
        else:
            boost = _expand(title_parser, request.q, request.synonyms)
            query = AndMaybe(matching, boost) if boost is not None else matching
        restrict = And(filters) if len(filters) > 1 else (filters[0] if filters else None)
        page = max(1, request.page)
        try:
            top = collectors.TopCollector(limit=page * request.per_page, usequality=False)
            recorder = _MatchRecorder(top) if request.facets else top
            chain = collectors.FilterCollector(recorder, allow=restrict) if restrict is not None else recorder
            searcher.search_with_collector(query, chain)
            results = chain.results()
            total = len(results)
        except Exception as exc:  # Whoosh raises assorted errors for queries it cannot expand
            raise QueryError(f"The query could not be run ({exc.__class__.__name__}); simplify it and try again.") from exc
        pages = max(1, -(-total // request.per_page)) if total else 0
        page = min(page, max(pages, 1))
        body_terms = sorted({text for field, text in matching.existing_terms(searcher.reader(), expand=True)
                             if field == "body"})
        hits = []
        for hit in results[(page - 1) * request.per_page: page * request.per_page]:
            snippet = _snippet(searcher, hit.docnum, hit["body"], body_terms) or highlight.htmlescape(hit["summary"])
            hits.append(Hit(hit["ref"], hit["kind"], hit["title"], hit["summary"], snippet,
                            [t for t in hit["tag"].split(",") if t]))
        out = SearchResults(total=total, page=page, pages=pages, hits=hits)
        if request.facets:
            out.kind_counts, out.tag_counts = self._facets(searcher, recorder.docnums)
        out.suggestion = _suggest(searcher, body_parser, request.q)
        return out

    def _facets(self, searcher, docnums: list[int]) -> tuple[dict[str, int], dict[str, int]]:
        """Count kinds and tags of the matched documents from a per-generation table."""
        table = getattr(self._local, "facets", None)
        if table is None or table[0] is not searcher:
            rows = {docnum: (fields["kind"], [t for t in fields["tag"].split(",") if t])
                    for docnum, fields in searcher.reader().iter_docs()}
            table = self._local.facets = (searcher, rows)
        kinds: dict[str, int] = {}
        tags: dict[str, int] = {}
        for docnum in docnums:
            kind, doc_tags = table[1][docnum]
            kinds[kind] = kinds.get(kind, 0) + 1
            for tag in doc_tags:
                tags[tag] = tags.get(tag, 0) + 1
        return _sorted_counts(kinds), _sorted_counts(tags)


class _MatchRecorder(collectors.WrappingCollector):
    """Note every matching document number on the way to the ranking collector (for facets)."""

    def prepare(self, top_searcher, q, context):
        self.docnums: list[int] = []
        self.child.prepare(top_searcher, q, context)

    def collect(self, sub_docnum):
        self.docnums.append(self.child.offset + sub_docnum)
        return self.child.collect(sub_docnum)


_FRAGMENTER = highlight.PinpointFragmenter(maxchars=240, surround=70, autotrim=True)
_FORMATTER = highlight.HtmlFormatter(tagname="mark", between=" … ")
_SCORER = highlight.BasicFragmentScorer()


def _snippet(searcher, docnum: int, text: str, terms: list[bytes], top: int = 2) -> str:
    """Highlight the query's words in one document from the stored character offsets.

    Whoosh's own pinpoint highlighting needs ``terms=True``, which records the matched terms of
    every matching document; reading the offsets of the top hits only is much cheaper.
    """
    tokens = []
    for term in terms:
        matcher = searcher.postings("body", term)
        matcher.skip_to(docnum)
        if not matcher.is_active() or matcher.id() != docnum:
            continue
        word = term.decode("utf-8")
        for pos, startchar, endchar in matcher.value_as("characters"):
            if endchar <= _FRAGMENTER.charlimit:
                tokens.append(highlight.Token(text=word, pos=pos, startchar=startchar, endchar=endchar, matched=True))
    if not tokens:
        return ""
    tokens.sort(key=lambda token: token.startchar)
    fragments = _FRAGMENTER.fragment_matches(text, tokens)
    return _FORMATTER.format(highlight.top_fragments(fragments, top, _SCORER, highlight.SCORE))


def _open_index(folder: Path):
    """Open a generation; raise IndexUnavailable if its files are damaged."""
    # Whoosh leaves a damaged file open when it fails to read it; the file is closed when the
    # exception is dropped at the end of the except block, so the warning is silenced around both.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return index.open_dir(str(folder))
        except Exception as exc:  # damaged files surface as assorted Whoosh and OS errors
            failure = f"{exc.__class__.__name__}: {exc}"
    raise IndexUnavailable(f"The search index cannot be opened ({failure}).")


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _expand(parser, text: str, synonyms: Sequence[Sequence[str]]):
    """Parse the query; OR in the same query with acronyms and their expansions swapped."""
    text = text.strip()
    if not text:
        return None
    query = parser.parse(text)
    lowered = text.lower()
    alternatives = []
    for acronym, expansion in synonyms:
        acronym_re = re.compile(rf"(?<![\w\"]){re.escape(acronym)}(?![\w\"])")
        phrase_re = re.compile(r"\"?\b" + r"\s+".join(map(re.escape, expansion.split())) + r"\b\"?")
        if acronym_re.search(lowered):
            alternatives.append(acronym_re.sub(f'"{expansion}"', lowered))
        elif phrase_re.search(lowered):
            alternatives.append(phrase_re.sub(acronym, lowered))
    if not alternatives:
        return query
    return Or([query, *(parser.parse(alt) for alt in alternatives)])


def _suggest(searcher, parser, text: str) -> str | None:
    """Suggest a corrected query when words of it are not in the library's vocabulary."""
    if not text.strip():
        return None
    reader = searcher.reader()
    spans: dict[tuple[int, int], str] = {}
    for leaf in parser.parse(text).leaves():
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
        suggestion = _closest(reader, word)
        if suggestion:
            corrected, changed = corrected[:start] + suggestion + corrected[end:], True
    return corrected if changed else None


def _closest(reader, word: str) -> str | None:
    """Return the nearest vocabulary word: fewest edits first, then the most frequent."""
    corrector = reader.corrector("vocab")
    for maxdist in (1, 2):
        found = corrector.suggest(word, limit=1, maxdist=maxdist, prefix=1)
        if found:
            return found[0]
    return None
