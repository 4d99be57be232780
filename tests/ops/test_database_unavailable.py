"""The database going away: a friendly 503 (never a 500), and the site recovers by itself when it returns."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PASSWORD
from tests.ops.tcp_proxy import TcpProxy


def _assert_friendly_503(response) -> None:
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Back in a moment" in html and "cannot reach its database" in html
    assert "Traceback" not in html
    assert int(response.headers["Retry-After"]) > 0


def test_a_locked_sqlite_database_gives_503_and_the_next_request_works(app, client, make_person, test_database):
    if not test_database.startswith("sqlite"):
        pytest.skip("SQLite's write lock; PostgreSQL has its own test below")
    make_person("pm@example.org")
    client.login("pm@example.org")
    assert client.get("/").status_code == 200
    # Another process holds the write lock for longer than the 5 s busy timeout (a stuck writer,
    # a backup tool): a page that must write cannot, and says so.
    blocker = sqlite3.connect(make_url(test_database).database, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        other = app.test_client()
        response = other.submit("/login", {"email": "pm@example.org", "password": PASSWORD})
        _assert_friendly_503(response)
        # Readers are not blocked (WAL): the signed-in home page still renders.
        assert client.get("/").status_code == 200
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert other.login("pm@example.org").status_code == 302
    assert other.get("/").status_code == 200


def test_postgresql_going_away_gives_503_and_the_site_recovers_without_restart(make_app, make_person,
                                                                              test_database):
    if not test_database.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (COE_TEST_DATABASE_URL)")
    make_person("pm@example.org")
    url = make_url(test_database)
    with TcpProxy((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        app = make_app(SQLALCHEMY_DATABASE_URI=proxied)
        client = app.test_client()
        assert client.login("pm@example.org").status_code == 302
        assert client.get("/").status_code == 200

        proxy.cut()  # the server restarts: open connections drop, new ones are refused
        _assert_friendly_503(client.get("/"))
        _assert_friendly_503(client.get("/library"))
        health = client.get("/healthz")
        assert health.status_code == 503 and health.is_json

        proxy.restore()  # it is back: the same process serves again, and the person is still signed in
        assert client.get("/").status_code == 200
        assert client.get("/healthz").status_code == 200
