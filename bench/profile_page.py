"""Profile one coe page in-process against the performance suite's database.

    python bench/run.py --keep                     # prints the work folder it kept
    python bench/profile_page.py WORK /library/templates/risk-register [--requests 500] [--admin] [--profile]

Signs in as the suite's PM (``--admin``: its admin), requests the page ``--requests`` times through
Flask's test client and prints the median; ``--profile`` then prints cProfile's top functions by own
time and by cumulative time. ``/search`` is driven with the suite's query mix, none repeated.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from corpus import make_queries, vocabulary  # noqa: E402
from run import PASSWORD  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work", type=Path, help="the folder `bench/run.py --keep` kept")
    parser.add_argument("path", help="the page, e.g. /me/competencies")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--admin", action="store_true", help="sign in as the suite's admin instead of its PM")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--database-url", help="the PostgreSQL database the suite seeded, if not SQLite")
    args = parser.parse_args()
    work = args.work.resolve()
    os.environ.update({
        "COE_DATABASE_URL": args.database_url or f"sqlite:///{work / 'coe.sqlite3'}",
        "COE_INSTANCE_PATH": str(work / "instance"), "COE_SECRET_KEY": "bench-secret-key-" + "x" * 16,
        "COE_INDEX_DIR": str(work / "index"), "COE_CONTENT_DIR": str(work / "content"),
        "COE_SECURE_COOKIES": "false", "COE_LOG_LEVEL": "WARNING", "COE_SEARCH_LIMIT": "1000000 per minute"})
    from coe import create_app

    client = create_app().test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    email = "admin@example.org" if args.admin else "pm@example.org"
    signed_in = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if signed_in.status_code != 302:
        sys.exit(f"could not sign in as {email} (status {signed_in.status_code})")
    paths = [args.path]
    if args.path.startswith("/search"):
        queries = make_queries(vocabulary(), 2 * args.requests + 20, random.Random(7))
        paths = [f"/search?q={urllib.parse.quote_plus(q)}" for q in queries]
    for path in paths[:20]:  # warm-up: caches filled, statements compiled
        response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code}")
    times = []
    for n in range(args.requests):
        started = time.perf_counter()
        response = client.get(paths[(20 + n) % len(paths)])
        times.append(time.perf_counter() - started)
    print(f"{args.path}: median {1000 * statistics.median(times):.2f} ms over {args.requests} requests, "
          f"{len(response.data) / 1024:.0f} kB")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(args.requests):
            client.get(paths[(20 + args.requests + n) % len(paths)])
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumtime").print_stats(60)


if __name__ == "__main__":
    main()
