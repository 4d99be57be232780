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

from coe import create_app  # noqa: E402
from coe.extensions import db  # noqa: E402

TAGS = ["risk", "planning", "scheduling", "governance", "agile", "cost", "reporting", "stakeholders",
        "communication", "change", "quality", "closure", "initiation", "scope", "vendors", "teams"]
COMPETENCIES = ["risk-management", "planning", "estimation", "governance", "communication",
                "stakeholder-engagement", "agile-delivery", "cost-management"]


def vocabulary() -> list[str]:
    """The words of the real library, repeated as often as it uses them."""
    words = []
    for path in (ROOT / "content" / "library").rglob("*.md"):
        body = path.read_text().split("\n---\n", 1)[-1]
        words += [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]{2,}", body)]
    return words


def make_corpus(folder: Path, count: int, words: list[str], rng: random.Random) -> None:
    shutil.copytree(ROOT / "content" / "competencies", folder / "competencies")
    kinds = ["methodologies", "templates", "practices"]
    for kind in kinds:
        (folder / "library" / kind).mkdir(parents=True)
    for n in range(count):
        kind = kinds[n % 3]
        title = " ".join(rng.choice(words) for _ in range(rng.randint(3, 6))).title()
        paragraphs = []
        written = 0
        while written < 480:
            length = rng.randint(40, 90)
            paragraphs.append(" ".join(rng.choice(words) for _ in range(length)) + ".")
            written += length
        rows = "\n".join(f"| {rng.choice(words)} | {rng.choice(words)} {rng.choice(words)} |" for _ in range(3))
        body = (f"## {rng.choice(words).title()} {rng.choice(words)}\n\n{paragraphs[0]}\n\n"
                f"| Item | Detail |\n|---|---|\n{rows}\n\n" + "\n\n".join(paragraphs[1:]))
        front = (f"---\ntitle: \"{title}\"\nsummary: \"{' '.join(rng.choice(words) for _ in range(14))}\"\n"
                 f"tags: [{', '.join(rng.sample(TAGS, 2))}]\ncompetencies: [{rng.choice(COMPETENCIES)}]\n"
                 f"owner: PMO Standards\nversion: \"1.0\"\nreviewed: 2026-06-01\nreview_every: 12\n---\n\n")
        (folder / "library" / kind / f"doc-{n:05d}.md").write_text(front + body)


def make_queries(words: list[str], count: int, rng: random.Random) -> list[str]:
    distinct = sorted(set(words))
    common = [w for w in distinct if words.count(w) >= 3] if len(distinct) < 5000 else distinct
    return [" ".join(rng.choice(common) for _ in range(rng.randint(1, 3))) for _ in range(count)]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


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
        changed = corpus / "library" / "templates" / "doc-00001.md"
        changed.write_text(changed.read_text() + "\n\nAn added closing paragraph about the wombat register.\n")
        started = time.perf_counter()
        report = run_sync(str(corpus))
        incremental = time.perf_counter() - started
        assert report.counts["documents updated"] == 1, report.counts
        assert [h.ref for h in search(SearchInput(q="wombat")).hits] == ["templates/doc-00001"]
        ix = search_index()
        from coe.library.search import SearchRequest

        latencies, facet_latencies, hits = [], [], 0
        for q in warmup:  # open the searcher, fill the OS cache; not the measured queries
            ix.search(SearchRequest(q=q))
        for q in queries:
            started = time.perf_counter()
            results = ix.search(SearchRequest(q=q, facets=False))
            latencies.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            ix.search(SearchRequest(q=q))
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
        title = re.search(r'^title: "(.*)"$', front, re.MULTILINE).group(1)
        rows.append((path.stem, title, body))
    conn.executemany("INSERT INTO doc VALUES (?, ?, ?)", rows)
    conn.commit()
    build = time.perf_counter() - started
    latencies, hits = [], 0
    sql = ("SELECT ref, title, snippet(doc, 2, '<mark>', '</mark>', ' … ', 24) FROM doc WHERE doc MATCH ? "
           "ORDER BY bm25(doc, 0, 3.0, 1.0) LIMIT 10")
    for q in warmup:
        conn.execute(sql, (" ".join(f'"{w}"' for w in q.split()),)).fetchall()
    for q in queries:
        match = " ".join(f'"{w}"' for w in q.split())
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
