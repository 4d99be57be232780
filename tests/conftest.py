"""Fixtures: an app on a clean database per test, clients that carry CSRF tokens, factories.

The suite runs on SQLite by default and on PostgreSQL when COE_TEST_DATABASE_URL is set.
The schema is built once per run by the migrations (so every run also proves they work) and
every table is emptied after each test.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from coe import create_app
from coe.config import PROJECT_ROOT, database_url
from coe.extensions import db

PASSWORD = "correct horse battery staple"
CONTENT = PROJECT_ROOT / "content"


def _test_database_url(tmp_root: Path) -> str:
    url = os.environ.get("COE_TEST_DATABASE_URL")
    if url:
        return database_url("", {"COE_DATABASE_URL": url})
    return f"sqlite:///{tmp_root / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("instance")
    os.environ["COE_INSTANCE_PATH"] = str(path)
    return path


@pytest.fixture(scope="session")
def database(tmp_path_factory, instance_dir):
    """Create the schema once, through the migrations."""
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


def config_for_tests(database: str, tmp_path: Path, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database,
        "COE_INDEX_DIR": str(tmp_path / "index"),
        "COE_CONTENT_DIR": str(CONTENT),
        "COE_PASSWORD_HASHER": "fast",
        "RATELIMIT_STORAGE_URI": "memory://",
        **extra,
    }


def empty_tables() -> None:
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()


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
def app(database, tmp_path):
    app = create_app(config_for_tests(database, tmp_path))
    app.test_client_class = Client
    yield app
    with app.app_context():
        db.session.remove()
        empty_tables()
        db.engine.dispose()


@pytest.fixture
def make_app(database, tmp_path):
    """Build further apps on the test database (a second worker, other settings); dispose them after."""
    apps = []

    def make(**config):
        extra = create_app(config_for_tests(database, tmp_path, **config))
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
def synced(app):
    """Sync the real content/ folder (library, framework) into the test database and index."""
    from coe.library.cli import run_sync

    with app.app_context():
        return run_sync(app.config["COE_CONTENT_DIR"])


@pytest.fixture
def content_copy(tmp_path):
    """A writable copy of content/ for tests that break or change files."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target
