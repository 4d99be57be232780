"""The site under real gunicorn (2 workers, the repository's gunicorn.conf.py), and a worker killed mid-request."""

from __future__ import annotations

import os
import signal
import threading
import time

from sqlalchemy import func, select

from coe.auth.models import Person
from coe.extensions import db
from tests.conftest import PASSWORD
from tests.ops.web import Browser, Gunicorn


def test_gunicorn_serves_health_and_signed_in_pages_without_logging_secrets(app, make_person, test_database,
                                                                            tmp_path):
    make_person("pm@example.org", name="Amara Osei")
    # Preloaded: the app (and its engine) is built in the master, and post_fork drops the inherited pool.
    with Gunicorn(test_database, tmp_path / "web", tmp_path / "index",
                  extra_env={"COE_WEB_PRELOAD": "true"}) as server:
        assert len(server.worker_pids()) == 2
        browser = Browser(server.base)
        health = browser.get("/healthz")
        assert health.status == 200 and '"status":"ok"' in health.body.replace(" ", "")
        assert browser.login("pm@example.org", PASSWORD).status == 302
        home = browser.get("/")
        assert home.status == 200 and "Amara Osei" in home.body
        assert home.headers["Cache-Control"] == "no-store"
        # Many requests, spread over both workers, all served.
        assert {browser.get("/library").status for _ in range(10)} == {200}
        # A one-time link's secret never reaches the access log.
        browser.get("/password/set/s3cr3t-link-value-for-the-log-test")
        browser.get("/calendar/feeds/feedtoken123.ics")
        time.sleep(0.5)
    log = (tmp_path / "web" / "access.log").read_text()
    assert "GET /healthz" in log and "GET /library" in log
    assert "/password/set/[redacted]" in log and "/calendar/[redacted]" in log
    assert "s3cr3t" not in log and "feedtoken123" not in log


def _csv(domain: str, count: int) -> bytes:
    lines = ["email,name,team,role_profile,roles"]
    lines += [f"member{n}@{domain},Member {n},,pm," for n in range(count)]
    return ("\n".join(lines) + "\n").encode()


def _count(app, domain: str) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Person).where(Person.email.like(f"%@{domain}")))
        db.session.remove()
        return count


def test_a_worker_killed_mid_import_loses_nothing_committed_and_leaves_nothing_half_written(
        app, make_person, test_database, tmp_path):
    make_person("admin@example.org", admin=True)
    marker = tmp_path / "paused.pid"
    server = Gunicorn(test_database, tmp_path / "web", tmp_path / "index", app="tests.ops.paused_app:create()",
                      extra_env={"COE_TEST_PAUSE_MARKER": str(marker)})
    with server:
        admin = Browser(server.base)
        assert admin.login("admin@example.org", PASSWORD).status == 302
        done = admin.post_file("/admin/people/import", {}, "file", "first.csv", _csv("first.example.org", 5))
        assert done.status == 302, done.body
        assert _count(app, "first.example.org") == 5

        outcome = {}

        def slow_import():
            try:
                outcome["response"] = admin.post_file("/admin/people/import", {}, "file", "slow.csv",
                                                      _csv("slow.example.org", 400), timeout=120)
            except OSError as exc:  # the connection dies with the worker
                outcome["error"] = exc

        thread = threading.Thread(target=slow_import)
        thread.start()
        deadline = time.monotonic() + 90
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), server.output()
        time.sleep(0.2)
        victim = int(marker.read_text())
        assert victim in server.worker_pids()
        os.kill(victim, signal.SIGKILL)
        thread.join(60)
        assert "error" in outcome or outcome["response"].status >= 500

        # None of the 400 rows the killed request had written; all of the earlier, committed import.
        assert _count(app, "slow.example.org") == 0
        assert _count(app, "first.example.org") == 5

        # gunicorn replaces the worker; the site serves and writes (no lock was left behind).
        deadline = time.monotonic() + 60
        while (victim in server.worker_pids() or len(server.worker_pids()) < 2) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert victim not in server.worker_pids() and len(server.worker_pids()) == 2
        assert admin.get("/healthz").status == 200
        again = admin.post_file("/admin/people/import", {}, "file", "again.csv", _csv("again.example.org", 7))
        assert again.status == 302, again.body
        assert _count(app, "again.example.org") == 7
