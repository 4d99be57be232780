"""Faults: real gunicorn workers killed mid-request, a content sync killed mid-way, the database going away.

Each test runs the real thing (gunicorn, ``coe content sync`` in its own process, a TCP proxy in
front of PostgreSQL) and checks what a user or operator relies on afterwards: nothing committed is
lost, nothing is half-written, and the site recovers by itself.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coe.extensions import db
from tests.conftest import CONTENT, PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(app, tmp_path: Path, **extra) -> dict[str, str]:
    return {**os.environ, "COE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "COE_INSTANCE_PATH": str(tmp_path / "instance"), "COE_SECRET_KEY": "fault-test-secret-key-0123456789",
            "COE_INDEX_DIR": app.config["COE_INDEX_DIR"], "COE_CONTENT_DIR": str(CONTENT),
            "COE_SECURE_COOKIES": "false", "PYTHONPATH": str(ROOT), **extra}


class Gunicorn:
    def __init__(self, app, tmp_path: Path, workers: int = 2, **settings: str):
        self.port = _free_port()
        self.log = tmp_path / "gunicorn.log"
        env = _env(app, tmp_path, COE_BIND=f"127.0.0.1:{self.port}", COE_WORKERS=str(workers), **settings)
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"), "coe:create_app()"],
                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        self.wait_until_serving()

    def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not serve /healthz:\n{self.log.read_text()}")

    def workers(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)


@pytest.fixture
def gunicorn(app, tmp_path):
    servers = []

    def start(workers: int = 2, **settings: str) -> Gunicorn:
        server = Gunicorn(app, tmp_path, workers, **settings)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class Browser:
    """A signed-in visitor over real HTTP, with cookies and CSRF tokens."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def token(self, path: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path)[1]).group(1)

    def sign_in(self, email: str) -> None:
        data = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": self.token("/login")})
        self.opener.open(self.base + "/login", data.encode(), timeout=60).read()
        assert "/login" not in self.opener.open(self.base + "/account", timeout=60).url

    def upload(self, path: str, filename: str, content: bytes, fields: dict[str, str]) -> tuple[int, str]:
        boundary = "coe-fault-test-boundary"
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                     f"Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(self.base + path, data=body, headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        with self.opener.open(request, timeout=120) as response:
            return response.status, response.read().decode()


def test_gunicorn_serves_the_site_and_its_access_log_holds_no_secret(app, gunicorn, make_person):
    make_person("pm@example.org")
    server = gunicorn(workers=2)
    assert len(server.workers()) == 2
    browser = Browser(server.url)
    browser.sign_in("pm@example.org")
    status, page = browser.get("/library")
    assert status == 200 and "The CoE library" in page
    secret = "Xy7kQ2mN9pLr4TbV8wZc3HdF"
    assert browser.get(f"/password/set/{secret}")[0] == 410
    server.stop()
    log = server.log.read_text()
    assert '"GET /library HTTP/1.1" 200' in log
    assert "/password/set/[redacted]" in log and secret not in log


def _people_like(app, prefix: str) -> int:
    from coe.auth.models import Person

    with app.app_context():
        count = db.session.scalar(select(func.count(Person.id)).where(Person.email.like(f"{prefix}%")))
        db.session.remove()
        return count


def test_a_recycled_worker_writes_the_views_it_counted_and_is_replaced(app, gunicorn, make_person):
    """A worker recycled after its maximum of requests (which ends its process through
    coe.serving.end_worker) has first written the document views it was holding, and the master starts
    another in its place."""
    from coe.library.models import Document, DocumentViewDay

    make_person("pm@example.org")
    # One worker, recycled after 20 requests; views are held in the worker until it ends.
    server = gunicorn(workers=1, COE_MAX_REQUESTS="20", COE_MAX_REQUESTS_JITTER="0",
                      COE_VIEW_FLUSH_SECONDS="3600")
    [first] = server.workers()
    browser = Browser(server.url)
    browser.sign_in("pm@example.org")
    for _ in range(5):
        assert browser.get("/library/templates/risk-register")[0] == 200
    for _ in range(40):
        if server.workers() not in ([first], []):
            break
        browser.get("/healthz")
    else:
        raise AssertionError(f"the worker was not recycled:\n{server.log.read_text()}")
    assert first not in server.workers()
    assert browser.get("/library")[0] == 200  # the replacement serves, with the sign-in intact
    with app.app_context():
        counted = db.session.scalar(select(func.sum(DocumentViewDay.count)).join(Document).where(
            Document.kind == "templates", Document.slug == "risk-register"))
    assert counted == 5
    log = server.log.read_text()
    assert "Autorestarting worker after current request" in log and "Traceback" not in log


def test_a_worker_killed_mid_import_leaves_all_or_nothing_and_is_replaced(app, gunicorn, make_person):
    make_person("admin@example.org", admin=True)
    server = gunicorn(workers=1)
    browser = Browser(server.url)
    browser.sign_in("admin@example.org")
    rows = 3000
    interrupted = 0
    for attempt, delay in enumerate((0.05, 0.3, 0.8)):
        prefix = f"fault{attempt}-"
        csv = "email,name,team,role_profile,roles\n" + "".join(
            f"{prefix}{n}@example.org,Imported Person {attempt}-{n},,pm,\n" for n in range(rows))
        token = browser.token("/admin/people/import")
        outcome: dict[str, object] = {}

        def post() -> None:
            try:
                outcome["status"], _ = browser.upload("/admin/people/import", "people.csv", csv.encode(),
                                                   {"csrf_token": token})
            except (OSError, urllib.error.URLError) as error:
                outcome["error"] = error

        worker = server.workers()[0]
        thread = threading.Thread(target=post)
        thread.start()
        time.sleep(delay)
        if thread.is_alive():
            os.kill(worker, signal.SIGKILL)
        thread.join(60)
        if "error" in outcome:
            interrupted += 1
            # All of the file, or none of it: never a part.
            assert _people_like(app, prefix) in (0, rows), outcome
        else:
            assert _people_like(app, prefix) == rows, outcome["status"]
        server.wait_until_serving()  # the master has started a new worker
        assert server.workers() and server.workers()[0] != worker or "status" in outcome
    assert interrupted, "no import was in flight when its worker was killed: the test proved nothing"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        with sqlite3.connect(path) as check:
            assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The site still serves, and the import still works after the faults.
    csv = "email,name,team,role_profile,roles\nafter-fault@example.org,After The Fault,,pm,\n"
    status, page = browser.upload("/admin/people/import", "people.csv", csv.encode(),
                                  {"csrf_token": browser.token("/admin/people/import")})
    assert _people_like(app, "after-fault") == 1, page


def _content_state(app) -> tuple[int, int]:
    from coe.content.pipeline import current_generation
    from coe.library.models import Document

    with app.app_context():
        state = current_generation(), db.session.scalar(select(func.count(Document.id)))
        db.session.remove()
        return state


def test_a_sync_killed_mid_way_leaves_the_old_content_and_index_serving(app, tmp_path, pm_client):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    practices = sorted((content / "library" / "practices").glob("*.md"))
    for n in range(400):  # enough documents that the sync is still rendering when it is killed
        source = practices[n % len(practices)]
        text = source.read_text().replace("\ntitle: ", f"\ntitle: Copy {n} of ", 1)
        (content / "library" / "practices" / f"copy-{n:03d}-{source.name}").write_text(text)
    generation, documents = _content_state(app)
    pointer = Path(app.config["COE_INDEX_DIR"]) / "CURRENT"
    published = pointer.read_text()
    env = _env(app, tmp_path)
    log = tmp_path / "sync.log"
    with log.open("w") as output:
        sync = subprocess.Popen([sys.executable, "-c", "from coe.cli import main; main()", "content", "sync",
                                 "--dir", str(content)], env=env, stdout=output, stderr=subprocess.STDOUT)
    time.sleep(3)
    assert sync.poll() is None, "the sync finished before it could be killed: " + log.read_text()
    sync.send_signal(signal.SIGKILL)
    sync.wait(30)
    # Nothing of the killed sync is visible: same generation, same documents, same published index.
    assert _content_state(app) == (generation, documents)
    assert pointer.read_text() == published
    page = pm_client.get("/search?q=risk+register").get_data(as_text=True)
    assert "Risk Register" in page and "Copy " not in page
    # The next sync completes and publishes everything.
    finished = subprocess.run([sys.executable, "-c", "from coe.cli import main; main()", "content", "sync",
                               "--dir", str(content)], env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert _content_state(app) == (generation + 1, documents + 400)


@pytest.mark.skipif(os.environ.get("COE_TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="SQLite's lock; the PostgreSQL outage is the next test")
def test_a_locked_sqlite_database_answers_503_and_the_site_recovers(app, client, make_person):
    make_person("pm@example.org")
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing for longer than the busy timeout
    try:
        response = client.login("pm@example.org")
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0  # the limiter on /login may name its own window
        assert "Briefly unavailable" in response.get_data(as_text=True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.login("pm@example.org").status_code == 302
    assert client.get("/library").status_code == 200


class Proxy:
    """A TCP proxy in front of PostgreSQL that can be cut (every connection dropped, new ones refused)."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, _free_port()
        self.connections: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.lock = threading.Lock()
        self.up()

    def up(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                listener.close()
                return
            server = socket.create_connection(self.target)
            with self.lock:
                if listener is not self.listener:  # cut while this connection was being made
                    client.close()
                    server.close()
                    continue
                self.connections += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        with self.lock:
            listener, self.listener = self.listener, None
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone would not
        except OSError:
            pass
        listener.close()
        with self.lock:
            connections, self.connections = self.connections, []
        for s in connections:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already shut down by its pipe when the other side closed
            s.close()


@pytest.mark.skipif(not os.environ.get("COE_TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="a PostgreSQL outage; SQLite's lock is the previous test")
def test_postgresql_going_away_answers_503_and_the_site_recovers_without_restart(app, make_app, make_person):
    from sqlalchemy.engine import make_url

    make_person("pm@example.org")
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = make_app(SQLALCHEMY_DATABASE_URI=url.set(host="127.0.0.1", port=proxy.port)
                       .render_as_string(hide_password=False))
    client = proxied.test_client()
    assert client.login("pm@example.org").status_code == 302
    assert client.get("/library").status_code == 200
    proxy.cut()
    page = client.get("/library")
    assert page.status_code == 503 and "Briefly unavailable" in page.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503
    proxy.up()
    assert client.get("/library").status_code == 200  # the pool's pre-ping replaces the dead connections
    assert client.get("/healthz").status_code == 200
    proxy.cut()  # close the proxy's sockets
