"""Fixtures: an app per test on the synced real content, clients that carry CSRF tokens, factories.

The suite runs on SQLite by default and on PostgreSQL when COE_TEST_DATABASE_URL is set.
The schema is built once per run by the migrations (so every run also proves they work), and the
real content/ folder is synced once per run. Every test then starts from a copy of that state:
on SQLite a copy of the database file, on PostgreSQL the same rows restored into emptied tables,
and a copy of the search index. A test marked ``bare_database`` starts from the empty schema.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, inspect, select, text

from coe import create_app
from coe.config import SOURCE_ROOT, database_url
from coe.extensions import db

PASSWORD = "correct horse battery staple"
CONTENT = SOURCE_ROOT / "content"
FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"


def pytest_configure(config):
    config.addinivalue_line("markers", "bare_database: the test starts from the empty schema, without content")


def fresh_postgres_database(url: str, suffix: str) -> str:
    """Create (or re-create) the database ``<name>_<suffix>`` beside ``url``'s; return its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_{suffix}"
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def postgres_test_url() -> str | None:
    """The PostgreSQL database named by COE_TEST_DATABASE_URL, if any (normalised to the psycopg driver)."""
    url = os.environ.get("COE_TEST_DATABASE_URL")
    return database_url("", {"COE_DATABASE_URL": url}) if url else None


def worker_suffix(name: str) -> str:
    """``name``, told apart per pytest-xdist worker, so that parallel workers never share a database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"{worker}_{name}" if worker else name


def _test_database_url(tmp_root: Path) -> str:
    url = postgres_test_url()
    if url is None:
        return f"sqlite:///{tmp_root / 'test.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return fresh_postgres_database(url, worker) if worker else url


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("instance")
    os.environ["COE_INSTANCE_PATH"] = str(path)
    return path


def config_for_tests(database: str, tmp_path: Path, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database,
        "COE_INDEX_DIR": str(tmp_path / "index"),
        "COE_CONTENT_DIR": str(CONTENT),
        "COE_PASSWORD_HASHER": "fast",
        "RATELIMIT_STORAGE_URI": "memory://",
        "COE_VIEW_FLUSH_SECONDS": 0,  # count every document view as it happens
        **extra,
    }


def empty_tables() -> None:
    """Delete every row. On PostgreSQL one batch of DELETEs: TRUNCATE of some fifty tables costs ~80 ms
    of new relation files per call, deleting the few hundred rows a test leaves costs a few."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("; ".join(f'DELETE FROM "{t.name}"' for t in tables)))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


def _serial_tables() -> list[str]:
    return [t.name for t in db.metadata.sorted_tables if "id" in t.c and t.c.id.autoincrement is not False
            and isinstance(t.c.id.type, db.Integer)]


@dataclass(frozen=True)
class Snapshot:
    """A state every test can start from: a database file (SQLite) or rows (PostgreSQL), and an index."""

    sqlite_file: Path | None
    rows: dict[str, list[dict]]
    index_dir: Path | None

    def restore(self, url: str, tmp_path: Path) -> str:
        """Put the state in place for one test; return the database URL the test uses."""
        if self.index_dir is not None:
            shutil.copytree(self.index_dir, tmp_path / "index")
        if self.sqlite_file is not None:
            copy = tmp_path / "test.sqlite3"
            shutil.copyfile(self.sqlite_file, copy)
            return f"sqlite:///{copy}"
        return url

    def load_rows(self) -> None:
        """Restore the rows into emptied tables, and move each id sequence past them (PostgreSQL)."""
        empty_tables()
        for table in db.metadata.sorted_tables:
            rows = self.rows.get(table.name)
            if rows:
                db.session.execute(insert(table), rows)
        # Every id sequence restarts just past the rows restored (at 1 for an empty table), in one batch.
        db.session.execute(text("; ".join(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
            f"COALESCE((SELECT max(id) FROM \"{name}\"), 0) + 1, false)" for name in _serial_tables())))
        db.session.commit()


def _take_snapshot(app, folder: Path, index_dir: Path | None) -> Snapshot:
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            path = folder / "snapshot.sqlite3"
            db.session.execute(text("VACUUM INTO :path"), {"path": str(path)})
            return Snapshot(path, {}, index_dir)
        rows = {table.name: [dict(row._mapping) for row in db.session.execute(select(table))]
                for table in db.metadata.sorted_tables}
        return Snapshot(None, rows, index_dir)


@pytest.fixture(scope="session")
def database(tmp_path_factory, instance_dir):
    """Create the schema once, through the migrations; return the session database's URL."""
    from flask_migrate import upgrade

    url = _test_database_url(tmp_path_factory.mktemp("db"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture(scope="session")
def snapshots(database, tmp_path_factory) -> dict[str, Snapshot]:
    """The empty schema, and the real content/ synced once (database and index)."""
    from coe.content.pipeline import run_sync

    folder = tmp_path_factory.mktemp("snapshots")
    app = create_app(config_for_tests(database, folder))
    (folder / "bare").mkdir()
    bare = _take_snapshot(app, folder / "bare", None)
    with app.app_context():
        run_sync(CONTENT)
    (folder / "synced").mkdir()
    synced = _take_snapshot(app, folder / "synced", folder / "index")
    with app.app_context():
        empty_tables()
        db.engine.dispose()
    return {"bare": bare, "synced": synced}


class Client(FlaskClient):
    """A test client that fetches the CSRF token from a page before posting a form."""

    def csrf_token(self, page: str = "/login") -> str:
        html = self.get(page).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(self, path: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """POST ``data`` to ``path`` as the form on ``page`` (default: ``path``) would."""
        token = self.csrf_token(page or path)
        return self.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)

    def login(self, email: str, password: str = PASSWORD, remember: bool = False, **kwargs):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self.submit("/login", data, **kwargs)


@pytest.fixture
def test_database(request, database, snapshots, tmp_path) -> str:
    """This test's database URL, holding the synced content (or, for ``bare_database``, nothing)."""
    snapshot = snapshots["bare" if request.node.get_closest_marker("bare_database") else "synced"]
    return snapshot.restore(database, tmp_path)


@pytest.fixture
def app(request, test_database, snapshots, tmp_path):
    app = create_app(config_for_tests(test_database, tmp_path))
    app.test_client_class = Client
    if test_database.startswith("postgresql"):
        with app.app_context():
            snapshots["bare" if request.node.get_closest_marker("bare_database") else "synced"].load_rows()
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            empty_tables()
        db.engine.dispose()


@pytest.fixture
def make_app(app, test_database, tmp_path):
    """Build further apps on the test's database (a second worker, other settings); dispose them after."""
    apps = []

    def make(**config):
        extra = create_app(config_for_tests(test_database, tmp_path, **config))
        extra.test_client_class = Client
        apps.append(extra)
        return extra

    yield make
    for extra in apps:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context with a request context, for calling services directly."""
    with app.test_request_context():
        yield


@pytest.fixture
def make_team(app):
    from coe.auth import services

    def make(name: str = "Digital Delivery", description: str = ""):
        with app.app_context():
            team = services.create_team(name, description)
            db.session.commit()
            return team.id

    return make


@pytest.fixture
def make_person(app):
    """Create a person and return their id; keyword arguments set roles and attributes."""
    from coe.auth import services

    counter = iter(range(1, 10_000))

    def make(email: str | None = None, *, name: str | None = None, password: str | None = PASSWORD,
             team_id: int | None = None, role_profile: str | None = "pm", mentor: bool = False,
             admin: bool = False, leads: tuple[int, ...] = (), active: bool = True, time_zone: str = "UTC"):
        n = next(counter)
        with app.app_context():
            person = services.create_person(services.PersonData(
                email=email or f"person{n}@example.org", display_name=name or f"Person {n}", team_id=team_id,
                role_profile=role_profile, time_zone=time_zone, is_mentor=mentor, is_admin=admin,
                led_team_ids=tuple(leads)), password=password)
            person.active = active
            db.session.commit()
            return person.id

    return make


@pytest.fixture
def admin_client(client, make_person):
    make_person("admin@example.org", admin=True)
    client.login("admin@example.org")
    return client


@pytest.fixture
def pm_client(client, make_person):
    make_person("pm@example.org")
    client.login("pm@example.org")
    return client


@pytest.fixture
def content_copy(tmp_path):
    """A writable copy of content/ for tests that break or change files."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


@pytest.fixture
def mail_server():
    """A real SMTP server (aiosmtpd) on a free port; its ``inbox`` keeps the messages that arrive."""
    from tests.mail_server import MailServer

    with MailServer() as server:
        yield server


@pytest.fixture
def mailing_app(app, mail_server):
    """The test app, sending mail through the test SMTP server."""
    app.config.update(mail_server.config)
    return app
