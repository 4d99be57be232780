"""Load test: 50 simulated people on real gunicorn (2 workers) against a seeded demo database.

    python bench/load_test.py                          # a fresh SQLite database in a temporary folder
    python bench/load_test.py --database-url postgresql://postgres@127.0.0.1:5432/coe_bench --reset

It migrates the database, syncs content/, seeds the demo organisation, starts gunicorn with the
repository's gunicorn.conf.py on a free loopback port, signs every simulated person in, then runs
the journeys of JOURNEYS for --duration seconds or --max-requests requests, whichever comes first.
Each simulated person picks a journey by its weight, walks its steps, and pauses between pages as a
reader would (--think). It prints requests per second, p50/p95/p99 per route, and every error.

A journey whose first page answers 404 (a part of the site not built yet) is skipped, and the
output says so. ``--reset`` empties a PostgreSQL database first (never point it at one you need).
Nothing here is a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import http.cookiejar
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
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test passphrase for the demo"
QUERIES = ["risk register", "stakeholder map", "RAID log", "change control", "lessons learned", "benefits",
           "steering committee", "earned value", "agile", "status report", "project charter", "WBS",
           "estimat*", "\"critical path\"", "governance", "handover"]


@dataclass(frozen=True)
class Step:
    """One page of a journey: ``path`` may use {doc}, {query}, {area}, {person}; ``route`` names it in the report."""

    route: str
    path: str


@dataclass(frozen=True)
class Journey:
    name: str
    weight: int
    steps: tuple[Step, ...]
    who: str = "anyone"  # "lead" or "mentor": only people with that role walk it


# What people do on the site, and how often. Add a journey when its pages exist: a journey whose
# first page answers 404 is reported as skipped, so the quiz, booking and dashboard journeys below
# start counting as soon as their routes are built.
JOURNEYS: tuple[Journey, ...] = (
    Journey("home", 3, (Step("GET /", "/"),)),
    Journey("browse the library", 4, (
        Step("GET /library", "/library"),
        Step("GET /library?kind=", "/library?kind=templates"),
        Step("GET /library?page=", "/library?page=2"),
        Step("GET /library/<kind>/<slug>", "/library/{doc}"),
    )),
    Journey("search", 4, (
        Step("GET /search?q=", "/search?q={query}"),
        Step("GET /library/<kind>/<slug>", "/library/{doc}"),
    )),
    Journey("open a document", 3, (
        Step("GET /library/<kind>/<slug>", "/library/{doc}"),
        Step("GET /library/<kind>/<slug>.md", "/library/{doc}.md"),
    )),
    Journey("view competencies", 3, (
        Step("GET /me/competencies", "/me/competencies"),
        Step("GET /me/competencies/radar/<area>.svg", "/me/competencies/radar/{area}.svg"),
        Step("GET /competencies", "/competencies"),
    )),
    Journey("take a quiz", 2, (Step("GET /quizzes", "/quizzes"),)),
    Journey("book and cancel a slot", 2, (Step("GET /mentoring", "/mentoring"),)),
    Journey("lead dashboard", 1, (Step("GET /team", "/team"),), who="lead"),
)


# --- the site under test ---------------------------------------------------------------------


@dataclass
class Site:
    people: list[tuple[str, list[str]]]  # (email, roles)
    docs: list[str]  # "kind/slug"
    areas: list[str]


def prepare(env: dict, reset: bool) -> Site:
    """Migrate, sync content, seed the demo (in a child process, with the site's environment)."""
    script = f"""
import json, os
from sqlalchemy import select, text
from coe import create_app
from coe.cli import prepare_site
from coe.extensions import db
app = create_app()
with app.app_context():
    if {reset!r} and db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
prepare_site(app, demo=True)
with app.app_context():
    from coe.auth.models import Person
    from coe.competency.models import CompetencyArea
    from coe.library.models import Document
    people = [(p.email, p.roles) for p in db.session.scalars(select(Person).where(Person.active.is_(True)))]
    docs = [f"{{k}}/{{s}}" for k, s in db.session.execute(select(Document.kind, Document.slug)
                                                       .where(Document.archived_at.is_(None)))]
    areas = list(db.session.scalars(select(CompetencyArea.code)))
print("SITE" + json.dumps({{"people": people, "docs": docs, "areas": areas}}))
"""
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"preparing the site failed:\n{done.stdout}\n{done.stderr}")
    import json

    line = next(line for line in done.stdout.splitlines() if line.startswith("SITE"))
    data = json.loads(line[4:])
    return Site([(email, roles) for email, roles in data["people"]], data["docs"], data["areas"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, log: Path) -> subprocess.Popen:
    handle = open(log, "wb")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                "coe:create_app()"], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    base = f"http://{env['COE_WEB_BIND']}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return process
        except OSError:
            pass
        time.sleep(0.5)
    process.kill()
    sys.exit(f"gunicorn did not become healthy:\n{log.read_text()}")


# --- simulated people --------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, route: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.count += 1
            self.latencies[route].append(seconds)
            if error:
                self.errors[route].append(error)


class Person:
    """One simulated person: their own cookies, and a made-up client address (the login limit is per address)."""

    def __init__(self, base: str, email: str, roles: list[str], address: str):
        self.base, self.email, self.roles = base, email, roles
        self.headers = {"X-Forwarded-For": address, "User-Agent": "coe-load-test"}
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)

    def fetch(self, path: str, data: bytes | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=data, headers=self.headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def sign_in(self) -> None:
        status, html = self.fetch("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        if status != 200 or not token:
            raise RuntimeError(f"/login answered {status} for {self.email}")
        form = urllib.parse.urlencode({"email": self.email, "password": PASSWORD, "csrf_token": token.group(1)})
        status, _ = self.fetch("/login", form.encode())
        if status != 302:
            raise RuntimeError(f"signing in {self.email} answered {status}")


def fill(path: str, site: Site, rng: random.Random) -> str:
    return path.format(doc=rng.choice(site.docs), query=urllib.parse.quote_plus(rng.choice(QUERIES)),
                       area=rng.choice(site.areas))


def run_person(person: Person, journeys: list[Journey], site: Site, results: Results, stop: threading.Event,
               max_requests: int, think: tuple[float, float], seed: int) -> None:
    rng = random.Random(seed)
    mine = [j for j in journeys if j.who == "anyone" or j.who in person.roles]
    weights = [j.weight for j in mine]
    while not stop.is_set():
        journey = rng.choices(mine, weights)[0]
        for step in journey.steps:
            if stop.is_set():
                return
            with results.lock:
                if results.count >= max_requests:
                    stop.set()
                    return
            started = time.perf_counter()
            try:
                status, _ = person.fetch(fill(step.path, site, rng))
                error = f"HTTP {status}" if status >= 400 else None
            except OSError as exc:
                error = f"{type(exc).__name__}: {exc}"
            results.add(step.route, time.perf_counter() - started, error)
            stop.wait(rng.uniform(*think))


def usable_journeys(probe: Person, lead: Person | None, site: Site) -> tuple[list[Journey], list[str]]:
    """Journeys whose first page exists; and a line for each one skipped."""
    usable, skipped = [], []
    rng = random.Random(0)
    for journey in JOURNEYS:
        who = lead if journey.who == "lead" else probe
        if who is None:
            skipped.append(f"{journey.name}: nobody in the demo holds the {journey.who} role")
            continue
        path = fill(journey.steps[0].path, site, rng)
        status, _ = who.fetch(path)
        if status == 404:
            skipped.append(f"{journey.name}: {path} answers 404 (not built yet)")
        else:
            usable.append(journey)
    return usable, skipped


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def report(results: Results, elapsed: float, skipped: list[str], label: str) -> bool:
    print(f"\n{label}: {results.count} requests in {elapsed:.1f} s = {results.count / elapsed:.1f} requests/s")
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          "(1 / 5 / 15 min; the load test's own client runs on the same machine)")
    for line in skipped:
        print(f"  skipped journey: {line}")
    header = f"{'route':<42} {'n':>6} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    everything: list[float] = []
    for route in sorted(results.latencies):
        values = results.latencies[route]
        everything += values
        print(f"{route:<42} {len(values):>6} {len(results.errors.get(route, [])):>4} "
              f"{percentile(values, 50) * 1000:>8.0f} {percentile(values, 95) * 1000:>8.0f} "
              f"{percentile(values, 99) * 1000:>8.0f} {max(values) * 1000:>8.0f}")
    errors = sum(len(v) for v in results.errors.values())
    if everything:
        print(f"{'all routes':<42} {len(everything):>6} {errors:>4} {percentile(everything, 50) * 1000:>8.0f} "
              f"{percentile(everything, 95) * 1000:>8.0f} {percentile(everything, 99) * 1000:>8.0f} "
              f"{max(everything) * 1000:>8.0f}  (mean {statistics.mean(everything) * 1000:.0f} ms)")
    for route, found in results.errors.items():
        kinds = defaultdict(int)
        for error in found:
            kinds[error] += 1
        print(f"  errors on {route}: " + ", ".join(f"{n} x {e}" for e, n in kinds.items()))
    worst = max((percentile(v, 99) for v in results.latencies.values()), default=0)
    ok = errors == 0 and worst < 0.5
    print(f"target (zero errors, p99 < 500 ms on every route): {'met' if ok else 'NOT met'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--reset", action="store_true", help="empty the PostgreSQL database first")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 2.0), metavar=("MIN", "MAX"),
                        help="seconds a person pauses between pages (default 0.5 2.0)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="coe-load-"))
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COE_INSTANCE_PATH": str(folder),
           "COE_DATABASE_URL": args.database_url or f"sqlite:///{folder / 'coe.sqlite3'}",
           "COE_INDEX_DIR": str(folder / "index"), "COE_SECRET_KEY": "load-test-secret-key-0123456789abcdef",
           "COE_DEMO_PASSWORD": PASSWORD, "COE_SECURE_COOKIES": "false", "COE_TRUSTED_PROXIES": "1",
           "COE_WEB_BIND": f"127.0.0.1:{port}", "COE_WEB_WORKERS": str(args.workers),
           "COE_WEB_THREADS": str(args.threads), "COE_WEB_ACCESS_LOG": "off", "COE_LOG_LEVEL": "WARNING"}
    engine = "PostgreSQL" if env["COE_DATABASE_URL"].startswith("postgres") else "SQLite"
    print(f"preparing a demo site on {engine} in {folder} ...")
    site = prepare(env, args.reset)
    server = start_gunicorn(env, folder / "gunicorn.log")
    try:
        base = f"http://127.0.0.1:{port}"
        people = [Person(base, *site.people[n % len(site.people)], address=f"10.1.{n // 250}.{n % 250 + 1}")
                  for n in range(args.users)]
        started = time.perf_counter()
        for person in people:
            person.sign_in()
        print(f"{len(people)} people signed in ({len(site.people)} demo accounts) in "
              f"{time.perf_counter() - started:.1f} s; running for {args.duration:.0f} s or "
              f"{args.max_requests} requests, {args.workers} workers x {args.threads} threads")
        lead = next((p for p in people if "lead" in p.roles), None)
        journeys, skipped = usable_journeys(people[0], lead, site)
        results, stop = Results(), threading.Event()
        threads = [threading.Thread(target=run_person, args=(person, journeys, site, results, stop,
                                                             args.max_requests, tuple(args.think), n))
                   for n, person in enumerate(people)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        stop.wait(args.duration)
        stop.set()
        for thread in threads:
            thread.join(60)
        ok = report(results, time.perf_counter() - started, skipped,
                    f"{engine}, {args.users} people, gunicorn {args.workers} workers x {args.threads} threads")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
