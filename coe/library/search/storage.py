"""Index generations on disk: build, publish atomically, open, and share between threads.

An index directory holds generations and a pointer:

    <index_dir>/CURRENT             {"dir": "gen-00000042-1a2b", "generation": 42, "schema": 9}
    <index_dir>/gen-00000042-1a2b/  a complete Whoosh index for content generation 42
    <index_dir>/.lock               held while a generation is being built

A new generation is built in a fresh folder (a copy of the current one plus the changes, or
from scratch) and published by atomically replacing CURRENT. The published generation never
moves backwards: a build for a generation at or below the published one is not made. Readers
compare CURRENT with the generation they hold and reopen when it moves, so a reader never sees
half an index, and a crash mid-build leaves the old generation serving. The newest two
generations are kept, so a reader that still holds the previous one keeps working.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import re
import secrets
import shutil
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import index
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher
from whoosh.reading import ReaderClosed

from coe.library.search.analysis import content_of, make_schema, make_vocabulary_schema
from coe.library.search.parsing import Parsers
from coe.library.search.results import IndexUnavailable
from coe.registry import SearchChanges, SearchDocument

SCHEMA_VERSION = 11
POINTER = "CURRENT"
VOCABULARY = "vocab"
_WORD = re.compile(r"[a-z]{3,}")


def _fields(doc: SearchDocument) -> dict:
    return {
        "ref": doc.ref, "kind": doc.kind, "title": doc.title, "summary": doc.summary,
        "content": content_of(doc.title, doc.summary, doc.text),
        "tag": ",".join(doc.tags), "competency": ",".join(doc.competencies),
        "facets": f"{doc.kind}|{','.join(doc.tags)}".encode(),
    }


def _words(doc: SearchDocument) -> set[str]:
    """The distinct unstemmed words of an item, for the spelling dictionary."""
    return set(_WORD.findall(f"{doc.title} {doc.summary} {doc.text}".lower()))


def _open_index(folder: Path, indexname: str | None = None):
    """Open a generation (or its vocabulary); raise IndexUnavailable if its files are damaged."""
    # Whoosh leaves a damaged file open when it fails to read it; the file is closed when the
    # exception is dropped at the end of the except block, so the warning is silenced around both.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            # The first search costs a worker some 85 MB at 5,000 documents, mostly Whoosh copying its
            # memory-mapped segment files into buffers of its own. Reading through the files instead
            # (FileStorage(supports_mmap=False)) saved that memory but made searches 60% slower
            # (bench/README.md), and the shared vocabulary reader would then seek one file from every
            # thread: the memory is the cheaper side.
            return index.open_dir(str(folder), indexname=indexname)
        except Exception as exc:  # damaged files surface as assorted Whoosh and OS errors
            failure = f"{exc.__class__.__name__}: {exc}"
    raise IndexUnavailable(f"The search index cannot be opened ({failure}).")


# How many postings a generation keeps in memory at most: 12 MiB of them (an int32 document
# number and a float64 weight each).
TERM_CACHE_POSTINGS = 1 << 20


@dataclass(frozen=True)
class TermPostings:
    """A term's postings in every segment as arrays: document numbers (deleted items left out) and weights."""

    docs: np.ndarray  # int32, ascending
    weights: np.ndarray  # float64: the weights (term frequencies) Whoosh stores as float32
    bounds: np.ndarray  # docs[bounds[n]:bounds[n + 1]] are segment n's postings
    present: tuple[bool, ...]  # whether segment n's term dictionary holds the term (all its items may be deleted)

    @property
    def size(self) -> int:
        return int(self.docs.size)


def _leaf_arrays(matcher) -> tuple[np.ndarray, np.ndarray]:
    """A leaf matcher's document numbers and weights, a block at a time where the codec allows it.

    Whoosh's W3LeafMatcher decodes each block's ids and weights at once, into a tuple and an array;
    taking them through its private ``_read_ids``, ``_read_weights``, ``_ids``, ``_weights`` and
    ``_next_block`` saves three Python calls per posting. This is the one function that touches
    Whoosh's private attributes; any other matcher, or a Whoosh whose internals changed names, is
    read one posting at a time through the public Matcher interface.
    """
    if isinstance(matcher, W3LeafMatcher) and all(
            hasattr(matcher, name) for name in ("_read_ids", "_read_weights", "_ids", "_weights", "_next_block")):
        id_blocks, weight_blocks = [np.empty(0, dtype=np.int32)], [np.empty(0)]
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            id_blocks.append(np.asarray(matcher._ids, dtype=np.int32))
            weight_blocks.append(np.asarray(matcher._weights, dtype=np.float64))
            matcher._next_block()
        return np.concatenate(id_blocks), np.concatenate(weight_blocks)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float64)


def read_postings(searcher, fieldname: str, btext: bytes, deleted: np.ndarray) -> TermPostings:
    """Read a term's postings from every segment of ``searcher``, leaving out the deleted items."""
    docs, weights, present = [], [], []
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        ids, found = np.empty(0, dtype=np.int32), np.empty(0)
        present.append((fieldname, btext) in reader)
        if present[-1]:
            matcher = reader.postings(fieldname, btext)
            # A segment with deletions wraps its postings in a filter; the deleted mask does its work here.
            ids, found = _leaf_arrays(matcher.child if isinstance(matcher, FilterMatcher) else matcher)
            ids += offset
        alive = ~deleted[ids]
        docs.append(ids[alive])
        weights.append(found[alive])
    bounds = np.cumsum([0] + [segment.size for segment in docs])
    return TermPostings(np.concatenate(docs), np.concatenate(weights), bounds, tuple(present))


@dataclass(frozen=True)
class Facets:
    """Every item's kind and tags as arrays, so that counting them over a match is array arithmetic."""

    kinds: list[str]
    kind_of: np.ndarray  # item -> index into kinds
    tags: list[str]
    has_tag: np.ndarray  # tags x items, True where the item carries the tag

    @classmethod
    def of(cls, rows: list[tuple[str, list[str]]]) -> Facets:
        kinds = sorted({kind for kind, _ in rows})
        tags = sorted({tag for _, item_tags in rows for tag in item_tags})
        kind_index, tag_index = {k: n for n, k in enumerate(kinds)}, {t: n for n, t in enumerate(tags)}
        has_tag = np.zeros((len(tags), len(rows)), dtype=bool)
        for docnum, (_kind, item_tags) in enumerate(rows):
            for tag in item_tags:
                has_tag[tag_index[tag], docnum] = True
        kind_of = np.array([kind_index[kind] for kind, _ in rows], dtype=np.int16)
        return cls(kinds, kind_of, tags, has_tag)

    def count(self, matched: np.ndarray) -> tuple[dict[str, int], dict[str, int]]:
        """Count the kinds and tags of the matched items (a boolean mask over all items)."""
        kinds = np.bincount(self.kind_of[matched], minlength=len(self.kinds))
        tags = self.has_tag[:, matched].sum(axis=1) if len(self.tags) else []
        return ({k: int(n) for k, n in zip(self.kinds, kinds) if n},
                {t: int(n) for t, n in zip(self.tags, tags) if n})


class Generation:
    """One open generation, shared by every thread of the process.

    Whoosh searchers are not documented as safe to share between threads, so each request
    borrows one from a pool and gives it back; the pool grows to the number of threads that
    search at once. What a generation reads once (the parsers, the vocabulary, the facet
    column, terms' postings, field lengths) is read once for all threads.
    """

    def __init__(self, name: str, folder: Path):
        self.name = name
        self._index = _open_index(folder)
        self.vocabulary = _open_index(folder, VOCABULARY).reader()
        self.parsers = Parsers.for_schema(self._index.schema)
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._facets: Facets | None = None
        self._postings: OrderedDict[tuple[str, bytes], TermPostings] = OrderedDict()
        self._postings_size = 0
        self._lengths: dict[str, np.ndarray] = {}
        self._deleted: np.ndarray | None = None

    @contextmanager
    def searcher(self) -> Iterator:
        try:
            searcher = self._idle.get_nowait()
        except queue.Empty:
            searcher = self._index.searcher()
        try:
            yield searcher
        finally:
            if self._closed:  # a newer generation took over while this one was in use
                searcher.close()
            else:
                self._idle.put(searcher)

    def facets(self, searcher) -> Facets:
        """Kinds and tags of every item by document number, read from the facet column once."""
        if self._facets is None:
            with self._lock:
                if self._facets is None:
                    rows: list[tuple[str, list[str]]] = []
                    for leaf, _offset in searcher.leaf_searchers():
                        column = leaf.reader().column_reader("facets")
                        for docnum in range(leaf.reader().doc_count_all()):
                            kind, _, tags = column[docnum].decode().partition("|")
                            rows.append((kind, [tag for tag in tags.split(",") if tag]))
                    self._facets = Facets.of(rows)
        return self._facets

    def postings(self, searcher, fieldname: str, btext: bytes) -> TermPostings:
        """A term's postings as arrays, read once and kept (the least recently used are dropped first).

        A common word's postings cover most of the library; reading them for every question
        that uses the word would cost more than all the rest of the search.
        """
        key = (fieldname, btext)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        postings = read_postings(searcher, fieldname, btext, self.deleted(searcher))
        with self._lock:
            if key not in self._postings:
                self._postings[key] = postings
                self._postings_size += postings.size
            while self._postings_size > TERM_CACHE_POSTINGS and len(self._postings) > 1:
                _key, dropped = self._postings.popitem(last=False)
                self._postings_size -= dropped.size
        return postings

    def lengths(self, searcher, fieldname: str) -> np.ndarray:
        """Every item's length in ``fieldname`` by document number, as BM25F reads it (Whoosh's quantised lengths)."""
        found = self._lengths.get(fieldname)
        if found is None:
            found = np.zeros(searcher.doc_count_all(), dtype=np.float64)
            for subsearcher, offset in searcher.leaf_searchers():
                for docnum in range(subsearcher.doc_count_all()):
                    # The scorer's own call; None where the item has nothing in the field (never scored).
                    found[offset + docnum] = subsearcher.doc_field_length(docnum, fieldname, 1) or 0
            with self._lock:
                found = self._lengths.setdefault(fieldname, found)
        return found

    def deleted(self, searcher) -> np.ndarray:
        """Which items are deleted (replaced by a later change), as a boolean mask by document number."""
        if self._deleted is None:
            deleted = np.zeros(searcher.doc_count_all(), dtype=bool)
            for subsearcher, offset in searcher.leaf_searchers():
                reader = subsearcher.reader()
                if reader.has_deletions():
                    for docnum in range(reader.doc_count_all()):
                        deleted[offset + docnum] = reader.is_deleted(docnum)
            self._deleted = deleted
        return self._deleted

    def doc_count(self) -> int:
        return self._index.doc_count()

    def close(self) -> None:
        """A newer generation took over: close the searchers no request holds (the others are closed
        when given back) and the vocabulary."""
        self._closed = True
        _close_readers(self._idle, self.vocabulary)


def _close_readers(idle: queue.SimpleQueue, vocabulary) -> None:
    while True:
        try:
            idle.get_nowait().close()
        except queue.Empty:
            break
    try:
        vocabulary.close()
    except ReaderClosed:
        pass


class SearchIndex:
    """A directory of index generations; build with ``refresh``, read with ``current``."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._open: Generation | None = None
        self._open_lock = threading.Lock()

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
            self.current()
        except IndexUnavailable as exc:
            return False, f"broken: {exc}"
        if pointer["generation"] < expected_generation:
            return False, f"behind: generation {pointer['generation']}, content at {expected_generation}"
        return True, f"ok: generation {pointer['generation']}"

    # --- reading -----------------------------------------------------------------------

    def current(self) -> Generation:
        """The published generation, opened once per process and reopened when the pointer moves."""
        pointer = self.pointer()
        if pointer is None:
            raise IndexUnavailable("The search index has not been built yet.")
        opened = self._open
        if opened is not None and opened.name == pointer["dir"]:
            return opened
        with self._open_lock:
            if self._open is None or self._open.name != pointer["dir"]:
                previous, self._open = self._open, Generation(pointer["dir"], self.directory / pointer["dir"])
                if previous is not None:
                    previous.close()
            return self._open

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
        all_items: Callable[[], Iterable[SearchDocument]],
        force: bool = False,
        wait: bool = True,
    ) -> str:
        """Bring the index to ``target_generation``; return "current", "updated", "rebuilt" or "busy".

        A target at or below the published generation changes nothing (a caller that read the
        content state before a newer sync committed must not publish an older index); ``force``
        rebuilds from scratch, numbered ``target_generation``. Without ``wait``, return "busy" at once
        while another process builds.
        """
        with self._lock(wait) as locked:
            if not locked:
                return "busy"
            pointer = self.pointer()
            usable = pointer is not None and self._usable(pointer)
            if usable and pointer["generation"] >= target_generation and not force:
                return "current"
            # A forced rebuild takes the database's generation even when the index claims a later one:
            # after a restore the database went back in time, and an index numbered ahead of it would
            # take the next syncs for ones it already holds. (Should a newer sync have committed
            # meanwhile, the rebuild holds its content anyway, and the next catch-up re-applies it.)
            generation = target_generation if force else max(target_generation, pointer["generation"] if pointer else 0)
            name = f"gen-{generation:08d}-{secrets.token_hex(3)}"
            building = self.directory / f"tmp-{name}"
            self._remove_stale_builds()
            try:
                if usable and not force:
                    shutil.copytree(self.directory / pointer["dir"], building)
                    self._apply(building, changes_since(pointer["generation"]))
                    outcome = "updated"
                else:
                    self._build(building, all_items())
                    outcome = "rebuilt"
                os.rename(building, self.directory / name)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
            self._publish(name, generation)
            self._prune(keep={name, pointer["dir"] if pointer else name})
            return outcome

    def _usable(self, pointer: dict) -> bool:
        try:
            _open_index(self.directory / pointer["dir"]).doc_count()
        except Exception:  # a damaged generation is rebuilt rather than patched
            return False
        return True

    def _build(self, folder: Path, items: Iterable[SearchDocument]) -> None:
        folder.mkdir(parents=True)
        items = list(items)
        ix = index.create_in(str(folder), make_schema())
        procs = 2 if len(items) >= 1000 and (os.cpu_count() or 1) > 1 else 1
        writer = ix.writer(procs=procs, limitmb=256, multisegment=procs > 1, batchsize=200)
        words: set[str] = set()
        for item in items:
            writer.add_document(**_fields(item))
            words |= _words(item)
        writer.commit()
        vocabulary = index.create_in(str(folder), make_vocabulary_schema(), indexname=VOCABULARY).writer()
        vocabulary.add_document(word=" ".join(sorted(words)))
        vocabulary.commit()

    def _apply(self, folder: Path, changes: SearchChanges) -> None:
        ix = index.open_dir(str(folder))
        writer = ix.writer()
        for ref in changes.removals:
            writer.delete_by_term("ref", ref)
        vocabulary = index.open_dir(str(folder), indexname=VOCABULARY)
        with vocabulary.reader() as reader:
            known = {word.decode("utf-8") for word in reader.lexicon("word")}
        words: set[str] = set()
        for item in changes.upserts:
            writer.update_document(**_fields(item))
            words |= _words(item)
        # No merge: a small new segment keeps a one-document change well under a second.
        writer.commit(merge=False)
        # New words join the dictionary as a small extra document; words of removed items stay
        # until the next full build (a harmless extra suggestion).
        if words - known:
            vocabulary_writer = vocabulary.writer()
            vocabulary_writer.add_document(word=" ".join(sorted(words - known)))
            vocabulary_writer.commit(merge=False)

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
