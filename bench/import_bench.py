"""Importing people from CSV while others search: how long a large file takes, and whether anyone's search fails.

    python bench/import_bench.py [--rows 1000] [--searchers 2]

Syncs the real content into a fresh SQLite database (the embedded default), creates an admin,
then uploads a CSV of N people through the admin's import page (with invitations; no SMTP, so
the page lists the links) while other threads keep searching through the search page, each as
its own signed-in PM. Prints the import time and the searches that ran during it.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coe import create_app  # noqa: E402
from coe.extensions import db  # noqa: E402

PASSWORD = "bench password 2026"
QUERIES = ["risk register", "how do I write a project charter", "stakeholder map", "quantum blockchain",
           "earned value", "kickoff agenda", "status report", "zzyzx nowhere"]


def make_csv(rows: int) -> str:
    lines = ["email,name,team,role_profile,roles,time_zone"]
    profiles = ["associate-pm", "pm", "senior-pm", "program-manager"]
    zones = ["Europe/London", "Europe/Berlin", "Asia/Kolkata", "America/New_York", "UTC"]
    for n in range(rows):
        lines.append(f"person{n:05d}@example.org,Person {n:05d},Bench Team,{profiles[n % 4]},"
                     f"{'mentor' if n % 25 == 0 else ''},{zones[n % 5]}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--searchers", type=int, default=2)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from coe.auth import services
    from coe.content.pipeline import run_sync

    work = Path(tempfile.mkdtemp(prefix="coe-import-bench-"))
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite3'}", "SECRET_KEY": "bench",
                          "COE_INDEX_DIR": str(work / "index"), "RATELIMIT_ENABLED": False,
                          "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade()
            run_sync(app.config["COE_CONTENT_DIR"])
            services.create_team("Bench Team")
            for email, admin in [("admin@example.org", True)] + [(f"pm{n}@example.org", False)
                                                                  for n in range(args.searchers)]:
                services.create_person(services.PersonData(email=email, display_name=email.split("@")[0],
                                                           role_profile="pm", is_admin=admin), password=PASSWORD)
            db.session.commit()
        stop = threading.Event()
        outcomes: list[tuple[float, int]] = []
        lock = threading.Lock()

        def search_loop(n: int) -> None:
            client = app.test_client()
            client.post("/login", data={"email": f"pm{n}@example.org", "password": PASSWORD})
            i = 0
            while not stop.is_set():
                started = time.perf_counter()
                status = client.get("/search", query_string={"q": QUERIES[(i + n) % len(QUERIES)]}).status_code
                with lock:
                    outcomes.append(((time.perf_counter() - started) * 1000, status))
                i += 1

        admin = app.test_client()
        admin.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
        threads = [threading.Thread(target=search_loop, args=(n,)) for n in range(args.searchers)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        with lock:
            outcomes.clear()  # only the searches that overlap the import count
        started = time.perf_counter()
        response = admin.post("/admin/people/import", data={
            "file": (io.BytesIO(make_csv(args.rows).encode()), "people.csv"), "invite": "y"},
            content_type="multipart/form-data")
        elapsed = time.perf_counter() - started
        with lock:
            during = list(outcomes)
        stop.set()
        for thread in threads:
            thread.join()
        assert response.status_code == 200 and f"{args.rows} people imported" in response.get_data(as_text=True), \
            response.get_data(as_text=True)[:2000]
        with app.app_context():
            imported = services.list_people_page().total - 1 - args.searchers
            db.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = [status for _, status in during if status != 200]
    times = [ms for ms, _ in during]
    print(f"\nImport of {args.rows} people (with invitations) through the admin page, SQLite, "
          f"{args.searchers} PMs searching meanwhile\n")
    print(f"| {'measure':<44} | {'value':>12} | {'target':<8} |")
    print(f"|{'-' * 46}|{'-' * 14}|{'-' * 10}|")
    print(f"| {'import request, upload to page (s)':<44} | {elapsed:>12.2f} | {'<= 2 s':<8} |")
    print(f"| {'people imported':<44} | {imported:>12} |          |")
    print(f"| {'searches during the import':<44} | {len(during):>12} |          |")
    print(f"| {'searches that failed':<44} | {len(failed):>12} | {'0':<8} |")
    if times:
        print(f"| {'search median during the import (ms)':<44} | {statistics.median(times):>12.1f} |          |")
        print(f"| {'slowest search during the import (ms)':<44} | {max(times):>12.1f} |          |")


if __name__ == "__main__":
    main()
