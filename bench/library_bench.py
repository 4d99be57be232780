"""Library pages at two sizes: the real library, and the real library plus generated documents.

    python bench/library_bench.py [--docs 5000] [--requests 40]

For each size it syncs the content into a fresh SQLite database, signs in a PM and requests each
page in-process (Flask's test client: routing, the view, its queries and the template, without
a server), after a few warm-up requests. It prints the median per page at both sizes and their
ratio; a page whose cost does not grow with the library stays near 1x.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import make_corpus, vocabulary  # noqa: E402

from coe import create_app  # noqa: E402
from coe.extensions import db  # noqa: E402

PAGES = [
    ("document page", "/library/templates/risk-register"),
    ("/library", "/library"),
    ("/library, filtered by tag", "/library?tag=risk"),
    ("/competencies", "/competencies"),
    ("/search?q=risk+register", "/search?q=risk+register"),
    ("/search, a question", "/search?q=how+do+I+write+a+project+charter"),
]


def measure(content: Path, work: Path, requests: int) -> tuple[int, dict[str, float]]:
    from flask_migrate import upgrade

    from coe.auth.services import PersonData, create_person
    from coe.content.pipeline import run_sync
    from coe.library.models import Document

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite3'}", "SECRET_KEY": "bench",
        "COE_INDEX_DIR": str(work / "index"), "COE_CONTENT_DIR": str(content), "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
    })
    with app.app_context():
        upgrade()
        run_sync(str(content))
        create_person(PersonData(email="pm@example.org", display_name="Bench PM", role_profile="pm"),
                      password="bench password 2026")
        db.session.commit()
        documents = db.session.query(Document).count()
    client = app.test_client()
    client.post("/login", data={"email": "pm@example.org", "password": "bench password 2026"})
    medians = {}
    for name, path in PAGES:
        for _ in range(5):
            assert client.get(path).status_code == 200, path
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        medians[name] = statistics.median(timings)
    with app.app_context():
        db.engine.dispose()
    return documents, medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000, help="documents in the large library, in all")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="coe-library-bench-"))
    try:
        (work / "small").mkdir()
        small_count, small = measure(ROOT / "content", work / "small", args.requests)
        (work / "large").mkdir()
        content = work / "large" / "content"
        real = sum(1 for _ in (ROOT / "content" / "library").rglob("*.md"))
        make_corpus(content, args.docs - real, vocabulary(), random.Random(args.seed), keep_real=True)
        large_count, large = measure(content, work / "large", args.requests)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nLibrary pages, in-process median of {args.requests} requests as a signed-in PM\n")
    print(f"| {'page':<28} | {f'{small_count} documents':>14} | {f'{large_count} documents':>16} | {'ratio':>6} |")
    print(f"|{'-' * 30}|{'-' * 16}|{'-' * 18}|{'-' * 8}|")
    for name, _ in PAGES:
        print(f"| {name:<28} | {small[name]:>11.1f} ms | {large[name]:>13.1f} ms | {large[name] / small[name]:>5.2f}x |")
    print("\nTarget: each page within 2.5x of its time on the real library.")


if __name__ == "__main__":
    main()
