"""Load test: simulated people using the demo site through gunicorn, bounded in time and requests.

    python bench/load_test.py [--users 50] [--seconds 60] [--max-requests 100000] [--think 0.5]
                              [--database-url postgresql://postgres@127.0.0.1:5432/loadtest]

Seeds the demo organisation into a fresh database (SQLite in a temporary folder, or the
PostgreSQL database given, which is emptied first), starts gunicorn with 2 workers on 127.0.0.1
with the repository's gunicorn.conf.py, signs each simulated person in as a demo account, and lets
them run the journeys in JOURNEYS at random, pausing ``--think`` seconds (on average) between
requests, as people do. It stops at the time or request bound, whichever comes first, and prints
requests/s, p50/p95/p99 per route and every error. A journey whose pages this build does not have
(404) is reported and left out.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "load test password 2026"
QUERIES = ["risk register", "how do I write a project charter", "stakeholder map", "earned value",
           "agile vs waterfall", "status report", "lessons learned", "change request", "RACI", "kickoff",
           "benefits realisation", "schedule baseline", "budget tolerance", "stage gate", "estimating"]


class Skip(Exception):
    """The journey's pages are not in this build."""


@dataclass
class Stats:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    skipped: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, route: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.requests += 1
            self.timings[route].append(ms)
            if error:
                self.errors.append(f"{route}: {error}")


class User:
    """One signed-in person with their own connection and cookies."""

    def __init__(self, port: int, email: str, stats: Stats, rng: random.Random):
        self.port, self.email, self.stats, self.rng = port, email, stats, rng
        self.cookies: dict[str, str] = {}
        self.location: str | None = None  # where the last response redirected to
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, route: str, body: dict | None = None,
                expect: tuple[int, ...] = (200, 302)) -> str:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.stats.add(route, (time.perf_counter() - started) * 1000, f"{method} {path}: {error!r}")
            return ""
        ms = (time.perf_counter() - started) * 1000
        self.location = urllib.parse.urlsplit(response.headers.get("Location") or "").path or None
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.status == 404 and route.startswith("journey:"):
            raise Skip(route)
        self.stats.add(route, ms, None if response.status in expect else
                       f"{method} {path} answered {response.status}: " + " | ".join(re.findall(r'class="(?:alert alert-danger|invalid-feedback)[^>]*>([^<]{0,160})', text))[:300])
        return text

    def get(self, path: str, route: str | None = None, **kwargs) -> str:
        return self.request("GET", path, route or path, **kwargs)

    def post(self, path: str, data: dict, route: str | None = None, form_page: str | None = None, **kwargs) -> str:
        page = self.get(form_page or path, route=f"{route or path} (form)")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        return self.request("POST", path, route or path, {**data, "csrf_token": token.group(1) if token else ""},
                            **kwargs)

    def sign_in(self) -> None:
        self.post("/login", {"email": self.email, "password": PASSWORD}, route="POST /login", expect=(302,))

    def think(self, mean: float) -> None:
        if mean > 0:
            time.sleep(self.rng.expovariate(1 / mean))


# --- journeys -----------------------------------------------------------------------------------
# Each takes a signed-in user and the site's facts. Add one per new area of the site.

def browse(user: User, facts: dict) -> None:
    user.get("/library", "/library")
    user.get(f"/library?kind={user.rng.choice(['methodologies', 'templates', 'practices'])}", "/library?kind=")
    user.get(user.rng.choice(facts["documents"]), "/library/<kind>/<slug>")


def search(user: User, facts: dict) -> None:
    page = user.get(f"/search?q={urllib.parse.quote_plus(user.rng.choice(QUERIES))}", "/search?q=")
    hits = re.findall(r'<h3 class="h6 mb-1"><a href="(/library/[^"]+)"', page)
    if hits:
        user.get(user.rng.choice(hits), "/library/<kind>/<slug>")


def read_document(user: User, facts: dict) -> None:
    user.get(user.rng.choice(facts["documents"]), "/library/<kind>/<slug>")


def competencies(user: User, facts: dict) -> None:
    user.get("/", "/ (home)")
    user.get("/me/competencies", "/me/competencies")


QUIZ = "change-and-governance"  # attempts unlimited, no waiting: a person can take it again and again


def take_quiz(user: User, facts: dict) -> None:
    """Open a quiz, start an attempt, answer each question with its first option and submit it for grading."""
    page = user.get(f"/quizzes/{QUIZ}", "journey:/quizzes/<slug>")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    user.request("POST", f"/quizzes/{QUIZ}/start", "POST /quizzes/<slug>/start",
                 {"csrf_token": token.group(1) if token else ""}, expect=(302,))
    if not user.location or "/attempts/" not in user.location:
        return
    attempt_path = user.location
    attempt = user.get(attempt_path, "/quizzes/<slug>/attempts/<id>")
    if user.location and user.location.endswith("/review"):
        # Another simulated person signed in to the same account submitted this open attempt meanwhile:
        # the site shows its review, as it would in a second tab.
        user.get(user.location, "/quizzes/<slug>/attempts/<id>/review")
        return
    answers: dict[str, str] = {}
    for name, value in re.findall(r'<input[^>]*type="(?:radio|checkbox)"[^>]*name="(q\d+)"[^>]*value="([^"]*)"', attempt):
        answers.setdefault(name, value)
    for name in re.findall(r'<input class="form-control" id="(q\d+)"', attempt):
        answers.setdefault(name, "42")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', attempt)
    user.request("POST", attempt_path, "POST /quizzes/<slug>/attempts/<id> (submit)",
                 {**answers, "finish": "Submit for grading", "csrf_token": token.group(1) if token else ""},
                 expect=(302,))
    if user.location:
        user.get(user.location, "/quizzes/<slug>/attempts/<id>/review")


def book_and_cancel(user: User, facts: dict) -> None:
    """A mentee opens their mentor's page, books a free slot, then cancels the booking; a PM without a
    mentor (only mentees book) browses the mentors instead."""
    if not facts["mentors"]:
        raise Skip("journey:/mentors/<id>")
    mentor = facts["mentor_of"].get(user.email)
    if mentor is None:
        user.get("/mentors", "/mentors")
        return
    page = user.get(f"/mentors/{mentor}", "journey:/mentors/<id>")
    form = re.search(r'<form[^>]*action="(/mentors/\d+/book)"', page)
    starts = re.findall(r'name="start"[^>]*value="([^"]+)"', page)
    if not form or not starts:
        return
    # Several simulated people share a mentor: each picks one of the first free slots at random, and one
    # who loses the race for a slot is told so (409), as the site should.
    user.post(form.group(1), {"start": user.rng.choice(starts[:20]), "topic": "Load test session",
                              "competency": "", "book": "y"},
              route="POST /mentors/<id>/book", form_page=f"/mentors/{mentor}", expect=(302, 409))
    if user.location != "/bookings":
        return
    bookings = user.get("/bookings", "/bookings")
    mine = re.search(r'— Load test session</h3>.*?<form[^>]*action="(/bookings/\d+/cancel)"', bookings, re.S)
    if mine:
        user.post(mine.group(1), {"reason": "Load test", "cancel": "y"}, route="POST /bookings/<id>/cancel",
                  form_page="/bookings")


def lead_dashboard(user: User, facts: dict) -> None:
    user.get("/team", "journey:/team")


JOURNEYS: dict[str, tuple[Callable[[User, dict], None], float, str]] = {
    # name: (journey, weight, who runs it: pm or lead)
    "browse the library": (browse, 3, "pm"),
    "search": (search, 4, "pm"),
    "open a document": (read_document, 3, "pm"),
    "view competencies": (competencies, 2, "pm"),
    "take a quiz": (take_quiz, 1, "pm"),
    "book and cancel a slot": (book_and_cancel, 1, "pm"),
    "lead dashboard": (lead_dashboard, 1, "lead"),
}


# --- running ------------------------------------------------------------------------------------

def seed(database_url: str, work: Path) -> dict:
    """Seed the demo organisation; return the demo logins, document paths, quizzes and mentors."""
    os.environ["COE_DEMO_PASSWORD"] = PASSWORD
    from sqlalchemy import select

    from coe import create_app
    from coe.cli import prepare_site
    from coe.extensions import db
    from coe.library.models import Document

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "load-test-secret-key-0123456789",
                      "COE_INDEX_DIR": str(work / "index")})
    logins, _ = prepare_site(app, demo=True)
    with app.app_context():
        documents = [f"/library/{kind}/{slug}" for kind, slug in
                     db.session.execute(select(Document.kind, Document.slug).where(Document.archived_at.is_(None)))]
        mentors = _optional(db, "coe.mentoring.models", "MentorProfile", "person_id")
        mentor_of = _mentor_of(db) if mentors else {}
        db.engine.dispose()
    return {"logins": logins, "documents": documents, "mentors": mentors, "mentor_of": mentor_of}


def _mentor_of(db) -> dict[str, int]:
    """Each mentee's email and their active mentor's id."""
    from sqlalchemy import select

    from coe.auth.models import Person
    from coe.mentoring.models import Mentorship

    return dict(db.session.execute(select(Person.email, Mentorship.mentor_id)
                                   .join(Mentorship, Mentorship.mentee_id == Person.id)
                                   .where(Mentorship.state == "active")).all())


def _optional(db, module: str, model: str, column: str) -> list:
    try:
        cls = getattr(__import__(module, fromlist=[model]), model)
    except (ImportError, AttributeError):
        return []
    from sqlalchemy import select

    return list(db.session.scalars(select(getattr(cls, column))))


def start_gunicorn(database_url: str, work: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "COE_DATABASE_URL": database_url, "COE_INSTANCE_PATH": str(work / "instance"),
           "COE_SECRET_KEY": "load-test-secret-key-0123456789", "COE_INDEX_DIR": str(work / "index"),
           "COE_SECURE_COOKIES": "false", "COE_BIND": f"127.0.0.1:{port}", "COE_WORKERS": "2",
           "COE_ACCESS_LOG": str(work / "access.log"), "COE_LOG_LEVEL": "warning"}
    with (work / "gunicorn.log").open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
                                    "coe:create_app()"], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start: " + (work / "gunicorn.log").read_text())


def make_user(n: int, port: int, facts: dict, stats: Stats) -> tuple[User, str]:
    """The n-th simulated person: one in ten is a lead, the others PMs, each a demo account."""
    leads = [email for email, role in facts["logins"] if "lead" in role]
    pms = [email for email, role in facts["logins"] if "lead" not in role and "admin" not in role]
    who = "lead" if leads and n % 10 == 9 else "pm"
    emails = leads if who == "lead" else pms
    return User(port, emails[n % len(emails)], stats, random.Random(n)), who


def run_user(user: User, who: str, facts: dict, stats: Stats, args, stop: threading.Event) -> None:
    names = [name for name, (_, _, role) in JOURNEYS.items() if role == who]
    weights = [JOURNEYS[name][1] for name in names]
    while not stop.is_set():
        name = user.rng.choices(names, weights)[0]
        if name in stats.skipped:
            if all(n in stats.skipped for n in names):
                return
            continue
        try:
            JOURNEYS[name][0](user, facts)
        except Skip:
            with stats.lock:
                stats.skipped.add(name)
        user.think(args.think)
        if stats.requests >= args.max_requests:
            stop.set()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a person's requests (s)")
    parser.add_argument("--database-url", help="a PostgreSQL database to use (it is emptied first)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="coe-load-"))
    process = None
    try:
        database_url = args.database_url or f"sqlite:///{work / 'coe.sqlite3'}"
        if args.database_url:
            from sqlalchemy import create_engine, text

            engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            engine.dispose()
            database_url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        facts = seed(database_url, work)
        process, port = start_gunicorn(database_url, work)
        # Everyone signs in first (argon2id makes each sign-in cost ~0.2 s of CPU on purpose);
        # the measured run starts once they all have.
        sign_ins = Stats()
        users = [make_user(n, port, facts, sign_ins) for n in range(args.users)]
        for user, _ in users:
            user.sign_in()
        stats, stop = Stats(), threading.Event()
        for user, _ in users:
            user.stats = stats
        threads = [threading.Thread(target=run_user, args=(user, who, facts, stats, args, stop), daemon=True)
                   for user, who in users]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        stop.wait(args.seconds)
        stop.set()
        for thread in threads:
            thread.join(60)
        elapsed = time.monotonic() - started
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        shutil.rmtree(work, ignore_errors=True)

    engine = "PostgreSQL" if args.database_url else "SQLite"
    logins = sign_ins.timings.get("POST /login", [])
    if logins:
        print(f"\n{len(logins)} sign-ins before the run: median {statistics.median(logins):.0f} ms, "
              f"{len(sign_ins.errors)} errors")
    print(f"\n{args.users} simulated people for {elapsed:.0f} s against gunicorn (2 sync workers, {engine}); "
          f"mean think time {args.think} s; {stats.requests:,} requests, {stats.requests / elapsed:,.1f} req/s, "
          f"{len(stats.errors)} errors\n")
    print(f"| {'route':<40} | {'requests':>8} | {'req/s':>6} | {'p50':>8} | {'p95':>8} | {'p99':>8} | {'errors':>6} |")
    print(f"|{'-' * 42}|{'-' * 10}|{'-' * 8}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 8}|")
    errors_by_route = defaultdict(int)
    for line in stats.errors:
        errors_by_route[line.split(": ", 1)[0]] += 1
    for route, values in sorted(stats.timings.items(), key=lambda kv: -len(kv[1])):
        print(f"| {route.removeprefix('journey:'):<40} | {len(values):>8,} | {len(values) / elapsed:>6.1f} "
              f"| {statistics.median(values):>5.1f} ms | {percentile(values, 95):>5.1f} ms "
              f"| {percentile(values, 99):>5.1f} ms | {errors_by_route[route]:>6} |")
    everything = [ms for values in stats.timings.values() for ms in values]
    if everything:
        print(f"| {'all':<40} | {len(everything):>8,} | {len(everything) / elapsed:>6.1f} "
              f"| {statistics.median(everything):>5.1f} ms | {percentile(everything, 95):>5.1f} ms "
              f"| {percentile(everything, 99):>5.1f} ms | {len(stats.errors):>6} |")
    for name in sorted(stats.skipped):
        print(f"not in this build (404), left out: {name}")
    for line in stats.errors[:20]:
        print(f"error: {line}")


if __name__ == "__main__":
    main()
