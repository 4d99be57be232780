"""The performance suite: coe's main pages against Flask's own ceiling, served the same way.

    python bench/run.py [--seconds 10] [--connections 8] [--database-url URL] [--keep]

1. Seeds a benchmark database in a temporary folder: the real content plus generated documents
   (5,000 library documents in all), 30 tracks and 40 quizzes (the real ones and copies), 500
   people in 25 teams with 3 years of monthly ratings in every competency, and, where those domains
   are installed, 100 mentors with weekly availability and 2,000 bookings.
2. Starts gunicorn with 2 sync workers on 127.0.0.1 for coe, and in the same run for a minimal
   Flask hello-world and a minimal Jinja-over-one-query page (``bench/ceiling.py``).
3. Drives every route with wrk (Debian's ``wrk``) for the same time and connections, signed in as
   a PM (``/team`` as an admin: the whole organisation), after a short warm-up whose figure is
   reported as "cold". Search uses a fixed mix of 1-3 word queries, none repeated within a run, so
   no result is served from a cache.
4. Measures hello-world and the Jinja page again after coe's routes: a shared machine's speed drifts
   during a run, so each ratio is to the mean of the two hello-world runs, and the Jinja page's two
   figures show how far the machine moved.
5. Prints one table (route, requests/s, p50, p99, non-2xx responses, ratio to hello-world) and the
   resident memory of each coe worker after the run. Stops its servers and removes its folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from corpus import make_corpus, make_queries, vocabulary  # noqa: E402

PASSWORD = "bench password 2026"
PEOPLE, TEAMS, MONTHS, DOCUMENTS, TRACKS, QUIZZES = 500, 25, 36, 5000, 30, 40
MENTORS, BOOKINGS = 100, 2000


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cold_rps: float | None = None
    first_ms: float | None = None


# --- seeding ------------------------------------------------------------------------------------

def make_content(folder: Path, rng: random.Random) -> None:
    """The real content, plus generated documents, tracks and quizzes up to the suite's sizes."""
    real = ROOT / "content"
    real_documents = len(list((real / "library").rglob("*.md")))
    make_corpus(folder, DOCUMENTS - real_documents, vocabulary(), rng, keep_real=True)
    for sub in ("tracks", "quizzes"):
        if (real / sub).is_dir():
            shutil.copytree(real / sub, folder / sub, dirs_exist_ok=True)
    _copies(folder / "tracks", "*.yml", TRACKS)
    _copies(folder / "quizzes", "*.yml", QUIZZES, skip_with_gift=True)


def _copies(folder: Path, pattern: str, total: int, skip_with_gift: bool = False) -> None:
    """Copy the folder's files under new names (and titles) until it holds ``total`` items."""
    if not folder.is_dir():
        return
    originals = [p for p in sorted(folder.glob(pattern))
                 if not (skip_with_gift and p.with_suffix(".gift").exists())]
    count = len(list(folder.glob(pattern)))
    n = 0
    while count < total and originals:
        source = originals[n % len(originals)]
        n += 1
        text = source.read_text(encoding="utf-8")
        text = re.sub(r'^title: "?(.*?)"?$', lambda m: f'title: "{m.group(1)} (edition {n})"', text, count=1,
                      flags=re.M)
        (folder / f"{source.stem}-edition-{n}{source.suffix}").write_text(text, encoding="utf-8")
        count += 1


def seed(work: Path, database_url: str, rng: random.Random) -> dict:
    """Build the benchmark database and index; return what the routes need (ids, slugs, logins)."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from coe import create_app
    from coe.auth import services
    from coe.auth.models import Person
    from coe.competency.models import Competency, Rating
    from coe.content.pipeline import run_sync
    from coe.extensions import db

    content = work / "content"
    make_content(content, rng)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-secret-key-" + "x" * 16,
                      "COE_INDEX_DIR": str(work / "index"), "COE_CONTENT_DIR": str(content),
                      "COE_PASSWORD_HASHER": "argon2id"})
    facts: dict = {}
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        run_sync(str(content))
        facts["sync_s"] = time.perf_counter() - started
        teams = [services.create_team(f"Delivery team {n + 1}") for n in range(TEAMS)]
        profiles = ["associate-pm", "pm", "senior-pm", "program-manager"]
        admin = services.create_person(services.PersonData(
            email="admin@example.org", display_name="Bench Admin", is_admin=True, role_profile="program-manager"),
            password=PASSWORD)
        pm = services.create_person(services.PersonData(
            email="pm@example.org", display_name="Bench PM", team_id=teams[0].id, role_profile="pm"),
            password=PASSWORD)
        db.session.execute(insert(Person), [
            {"email": f"person{n}@example.org", "display_name": f"Person {n}", "team_id": teams[n % TEAMS].id,
             "role_profile": profiles[n % 4], "active": True, "is_admin": False, "is_mentor": n < MENTORS,
             "time_zone": "Europe/Amsterdam", "session_version": 1}
            for n in range(PEOPLE - 2)])
        db.session.flush()
        people = list(db.session.scalars(select(Person.id).order_by(Person.id)))
        competencies = list(db.session.scalars(select(Competency.id)))
        start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=30 * MONTHS)
        rows = []
        for person_id in people:
            for competency_id in competencies:
                level = 1 + (person_id + competency_id) % 3
                for month in range(0, MONTHS, 1):
                    self_rated = month % 2 == 0
                    rows.append({"person_id": person_id, "competency_id": competency_id,
                                 "level": min(5, level + month // 18), "source": "self" if self_rated else "lead",
                                 "rated_by_id": person_id if self_rated else admin.id, "note": "Monthly review.",
                                 "evidence_url": "", "created_at": start + dt.timedelta(days=30 * month)})
            if len(rows) > 50_000:
                db.session.execute(insert(Rating), rows)
                rows = []
        if rows:
            db.session.execute(insert(Rating), rows)
        from coe.competency import current

        current.rebuild()  # ratings inserted in bulk: bring the current levels the dashboard reads up to date
        db.session.commit()
        facts.update(ratings=db.session.query(Rating).count(), people=len(people), pm_id=pm.id, admin_id=admin.id)
        facts["mentor_id"] = seed_mentoring(people[2:2 + MENTORS], people, rng)
        db.session.commit()
        facts["document"] = "/library/templates/risk-register"
        facts["track"] = "/tracks/new-pm-onboarding"
        db.engine.dispose()
    return facts


def seed_mentoring(mentor_ids: list[int], people: list[int], rng: random.Random) -> int | None:
    """100 mentors with weekly availability and 2,000 bookings, when the mentoring domain is installed."""
    try:
        from coe.mentoring import bench_seed
    except ImportError:
        return None
    return bench_seed.seed(mentor_ids, people, BOOKINGS, rng)


# --- serving ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers on a free loopback port, stopped on exit."""

    def __init__(self, app: str, cwd: Path, env: dict[str, str], log: Path, config: Path | None = None):
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync",
                   "--bind", f"127.0.0.1:{self.port}", "--timeout", "120"]
        if config is not None and config.exists():
            command += ["--config", str(config)]
        self.log = log.open("w")
        self.process = subprocess.Popen(command + [app], cwd=cwd, env={**os.environ, **env}, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self, path: str = "/", timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log.name}")
            try:
                urllib.request.urlopen(self.url + path, timeout=5).read()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer {path} in {timeout:.0f} s")

    def worker_memory_mb(self) -> list[tuple[float, float]]:
        """(resident, of which mapped from files) of each worker, in MB. The file-backed part is mostly the
        search index, which Whoosh maps from disk: those pages are shared by the workers and the page cache."""
        sizes = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.process.pid:
                    status = (stat.parent / "status").read_text()
                    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
                    mapped = int(re.search(r"RssFile:\s+(\d+)", status).group(1)) / 1024
                    sizes.append((rss, mapped))
            except (OSError, AttributeError, IndexError):
                continue
        return sorted(sizes)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def sign_in(base: str, email: str) -> str:
    """Sign in through the login form; return the Cookie header value of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token.group(1)}).encode()
    opener.open(base + "/login", data=data, timeout=30).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    check = urllib.request.Request(base + "/account", headers={"Cookie": cookie})
    with urllib.request.urlopen(check, timeout=30) as response:
        if "/login" in response.url:
            raise RuntimeError(f"could not sign in as {email}")
    return cookie


# --- load ---------------------------------------------------------------------------------------

LUA_PATHS = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[((i - 1) %% #paths) + 1])
end
"""


def wrk(url: str, paths: list[str], seconds: float, connections: int, cookie: str | None, work: Path) -> Result:
    script = work / "paths.lua"
    script.write_text(LUA_PATHS % ", ".join('"%s"' % p.replace('"', '\\"') for p in paths))
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--latency", "-s", str(script)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True,
                            timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    return Result("", rps, _latency(output, "50"), _latency(output, "99"), errors)


def _latency(output: str, pct: str) -> float:
    value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def first_request_ms(url: str, cookie: str | None) -> float:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        if response.status != 200 or "/login" in response.url:
            raise RuntimeError(f"{url} answered {response.status} at {response.url}")
    return (time.perf_counter() - started) * 1000


def measure(name: str, server: Server, paths: list[str], args, cookie: str | None, work: Path) -> Result:
    first = first_request_ms(server.url + paths[0], cookie)
    cold = wrk(server.url, paths, args.warmup, args.connections, cookie, work)
    warm = wrk(server.url, paths, args.seconds, args.connections, cookie, work)
    warm.name, warm.cold_rps, warm.first_ms = name, cold.rps, first
    return warm


# --- the run ------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="measured load per route")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up load per route, reported as cold")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database-url", help="PostgreSQL URL to seed instead of a SQLite file (it is emptied)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and print its path")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/run.py drives the servers with wrk: apt-get install wrk")
    started = time.monotonic()
    rng = random.Random(2026)
    work = Path(tempfile.mkdtemp(prefix="coe-bench-"))
    servers: list[Server] = []
    try:
        database_url = args.database_url or f"sqlite:///{work / 'coe.sqlite3'}"
        if args.database_url:
            _empty(database_url)
        print(f"seeding {DOCUMENTS:,} documents, {PEOPLE} people, {MONTHS} months of ratings... ", end="", flush=True)
        facts = seed(work, database_url, rng)
        print(f"done in {time.monotonic() - started:.0f} s (content sync {facts['sync_s']:.0f} s, "
              f"{facts['ratings']:,} ratings)")

        from ceiling import seed_page_database
        seed_page_database(str(work / "ceiling.sqlite3"))
        env = {"COE_DATABASE_URL": database_url, "COE_INSTANCE_PATH": str(work / "instance"),
               "COE_SECRET_KEY": "bench-secret-key-" + "x" * 16, "COE_INDEX_DIR": str(work / "index"),
               "COE_CONTENT_DIR": str(work / "content"), "COE_SECURE_COOKIES": "false",
               "COE_LOG_LEVEL": "WARNING",
               # The suite measures capacity: one signed-in PM sends far more searches than a person's allowance.
               "COE_SEARCH_LIMIT": "1000000 per minute", "CEILING_DATABASE": str(work / "ceiling.sqlite3")}
        (work / "instance").mkdir()
        hello = Server("ceiling:hello()", BENCH, env, work / "hello.log")
        page = Server("ceiling:page()", BENCH, env, work / "page.log")
        coe = Server("coe:create_app()", work, env, work / "coe.log", config=ROOT / "gunicorn.conf.py")
        servers += [hello, page, coe]
        for server in servers:
            server.wait("/healthz" if server is coe else "/")
        pm_cookie = sign_in(coe.url, "pm@example.org")
        admin_cookie = sign_in(coe.url, "admin@example.org")

        queries = [urllib.parse.quote_plus(q) for q in make_queries(vocabulary(), 6000, rng)]
        routes: list[tuple[str, list[str], str | None]] = [
            ("/healthz", ["/healthz"], None),
            ("/library/<kind>/<slug>", [facts["document"]], pm_cookie),
            ("/search?q= (1-3 words, uncached)", [f"/search?q={q}" for q in queries], pm_cookie),
            ("/me/competencies", ["/me/competencies"], pm_cookie),
            ("/tracks/<slug>", [facts["track"]], pm_cookie),
            ("/mentors", ["/mentors"], pm_cookie),
            ("/mentors/<id>", [f"/mentors/{facts['mentor_id']}"], pm_cookie),
            ("/team (whole organisation)", ["/team"], admin_cookie),
        ]
        results = [measure("hello world", hello, ["/"], args, None, work),
                   measure("Jinja page over one query", page, ["/"], args, None, work)]
        skipped = []
        for name, paths, cookie in routes:
            try:
                results.append(measure(name, coe, paths, args, cookie, work))
            except (urllib.error.HTTPError, RuntimeError) as error:
                skipped.append(f"{name}: {error}")
        memory = coe.worker_memory_mb()
        # The ceiling again at the end: a shared machine's speed drifts over a run, and the ratios are to the
        # mean of both hello-world runs. The Jinja page's two figures show how far the machine moved.
        hello_again = measure("hello world, again", hello, ["/"], args, None, work)
        results += [hello_again, measure("Jinja page over one query, again", page, ["/"], args, None, work)]
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    ceiling = (results[0].rps + hello_again.rps) / 2
    print(f"\ngunicorn, 2 sync workers, wrk -t2 -c{args.connections}; {args.warmup:.0f} s warm-up (cold) then "
          f"{args.seconds:.0f} s measured per route; SQLite unless --database-url\n")
    print(f"| {'route':<36} | {'req/s':>8} | {'cold req/s':>10} | {'first':>8} | {'p50':>8} | {'p99':>8} "
          f"| {'errors':>6} | {'ratio':>6} |")
    print(f"|{'-' * 38}|{'-' * 10}|{'-' * 12}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 8}|{'-' * 8}|")
    for r in results:
        first = f"{r.first_ms:.0f} ms" if r.first_ms is not None else ""
        print(f"| {r.name:<36} | {r.rps:>8,.0f} | {r.cold_rps or 0:>10,.0f} | {first:>8} | {r.p50_ms:>5.1f} ms "
              f"| {r.p99_ms:>5.1f} ms | {r.errors:>6} | {r.rps / ceiling:>6.3f} |")
    for line in skipped:
        print(f"not measured: {line}")
    print(f"\ncoe worker resident memory after the run: "
          f"{', '.join(f'{rss:.0f} MB ({mapped:.0f} MB of it mapped from files)' for rss, mapped in memory)}")
    print(f"suite took {time.monotonic() - started:.0f} s")


def _empty(database_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    main()
