"""Search benchmark: coe's Whoosh engine against SQLite FTS5 on the same synthetic library.

    python bench/search_bench.py [--docs 5000] [--queries 300]

Generates a corpus of Markdown documents (~500 words each, vocabulary drawn from the real
library so that word frequencies look like the CoE's writing), then:

1. runs coe's real content sync into a fresh SQLite database and builds the Whoosh index
   (full sync), then changes one document and syncs again (incremental);
2. runs a fixed set of one-to-three-word queries through coe's search (top 10, highlighted
   snippets, facet counts), as the results page does;
3. loads the same corpus into SQLite FTS5 and runs the same queries with bm25 and snippet().

Prints one table. Nothing here is a test: figures vary with the machine.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from coe import create_app  # noqa: E402
from coe.extensions import db  # noqa: E402

from corpus import make_corpus, make_queries, percentile, vocabulary  # noqa: E402


def bench_coe(corpus: Path, work: Path, queries: list[str], warmup: list[str]) -> dict:
    from coe.content.pipeline import run_sync
    from coe.library.services import SearchInput, search, search_index
    from flask_migrate import upgrade

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite3'}",
        "SECRET_KEY": "bench", "COE_INDEX_DIR": str(work / "index"), "COE_CONTENT_DIR": str(corpus),
    })
    with app.test_request_context():
        upgrade()
        started = time.perf_counter()
        run_sync(str(corpus))
        full = time.perf_counter() - started
        changed = next((corpus / "library" / "practices").glob("doc-*.md"))
        changed.write_text(changed.read_text() + "\n\nAn added closing paragraph about the wombat register.\n")
        started = time.perf_counter()
        report = run_sync(str(corpus))
        incremental = time.perf_counter() - started
        assert report.counts["documents updated"] == 1, report.counts
        assert [h.ref for h in search(SearchInput(q="wombat")).hits] == [f"practices/{changed.stem}"]
        from coe.library import search as engine
        from coe.library.search import SearchRequest

        generation = search_index().current()

        latencies, facet_latencies, hits = [], [], 0
        for q in warmup:  # open the searcher, fill the OS cache; not the measured queries
            engine.search(generation, SearchRequest(q=q))
        for q in queries:
            started = time.perf_counter()
            results = engine.search(generation, SearchRequest(q=q, facets=False))
            latencies.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            engine.search(generation, SearchRequest(q=q))
            facet_latencies.append((time.perf_counter() - started) * 1000)
            hits += len(results.hits)
        size = sum(p.stat().st_size for p in (work / "index").rglob("*") if p.is_file()) / 2**20
        db.engine.dispose()
    return {"full": full, "incremental": incremental, "latencies": latencies, "facets": facet_latencies,
            "hits": hits, "size": size}


def bench_fts5(corpus: Path, work: Path, queries: list[str], warmup: list[str]) -> dict:
    conn = sqlite3.connect(work / "fts.sqlite3")
    started = time.perf_counter()
    conn.execute("CREATE VIRTUAL TABLE doc USING fts5(ref UNINDEXED, title, body, tokenize='porter unicode61')")
    rows = []
    for path in sorted((corpus / "library").rglob("*.md")):
        text = path.read_text()
        front, body = text.split("\n---\n", 1)
        title = re.search(r'^title: "?(.*?)"?$', front, re.MULTILINE).group(1)
        rows.append((path.stem, title, body))
    conn.executemany("INSERT INTO doc VALUES (?, ?, ?)", rows)
    conn.commit()
    build = time.perf_counter() - started
    latencies, hits = [], 0
    sql = ("SELECT ref, title, snippet(doc, 2, '<mark>', '</mark>', ' … ', 24) FROM doc WHERE doc MATCH ? "
           "ORDER BY bm25(doc, 0, 3.0, 1.0) LIMIT 10")
    for q in warmup:
        conn.execute(sql, (" OR ".join(f'"{w}"' for w in q.split()),)).fetchall()
    for q in queries:
        # OR, as coe reads a query without operators: any of the words, more of them ranked higher.
        match = " OR ".join(f'"{w}"' for w in q.split())
        started = time.perf_counter()
        found = conn.execute(sql, (match,)).fetchall()
        latencies.append((time.perf_counter() - started) * 1000)
        hits += len(found)
    conn.close()
    return {"full": build, "latencies": latencies, "hits": hits}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    words = vocabulary()
    work = Path(tempfile.mkdtemp(prefix="coe-bench-"))
    try:
        corpus = work / "content"
        make_corpus(corpus, args.docs, words, rng)
        queries = make_queries(words, args.queries, rng)
        warmup = make_queries(words, 20, random.Random(args.seed + 1))
        coe = bench_coe(corpus, work, queries, warmup)
        fts = bench_fts5(corpus, work, queries, warmup)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def row(name, value, target=""):
        print(f"| {name:<46} | {value:>14} | {target:<12} |")

    print(f"\nSearch benchmark: {args.docs} documents of ~500 words, {args.queries} queries of 1-3 words, top 10\n")
    print(f"| {'measure':<46} | {'value':>14} | {'target':<12} |")
    print(f"|{'-' * 48}|{'-' * 16}|{'-' * 14}|")
    row("coe: full sync + index (s)", f"{coe['full']:.2f}", "<= 15 s")
    row("coe: re-sync, one document changed (s)", f"{coe['incremental']:.2f}", "<= 1 s")
    row("coe: query p50, highlights (ms)", f"{statistics.median(coe['latencies']):.1f}")
    row("coe: query p95, highlights (ms)", f"{percentile(coe['latencies'], 95):.1f}", "<= 20 ms")
    row("coe: query p50, highlights + facets (ms)", f"{statistics.median(coe['facets']):.1f}")
    row("coe: query p95, highlights + facets (ms)", f"{percentile(coe['facets'], 95):.1f}")
    row("coe: index size (MiB)", f"{coe['size']:.1f}")
    row("FTS5: build (s)", f"{fts['full']:.2f}")
    row("FTS5: query p50, snippet (ms)", f"{statistics.median(fts['latencies']):.1f}")
    row("FTS5: query p95, snippet (ms)", f"{percentile(fts['latencies'], 95):.1f}")
    row("p95 ratio coe / FTS5", f"{percentile(coe['latencies'], 95) / percentile(fts['latencies'], 95):.1f}x")
    row("results returned (coe / FTS5)", f"{coe['hits']} / {fts['hits']}")


if __name__ == "__main__":
    main()
