"""The app factory, configuration, database settings, migrations and error pages."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from coe import create_app
from coe.config import database_url, from_environment
from coe.extensions import db


def test_database_url_defaults_to_sqlite_in_instance_folder(tmp_path):
    assert database_url(str(tmp_path), {}) == f"sqlite:///{tmp_path / 'coe.sqlite3'}"


def test_database_url_honours_hosting_platform_variable():
    url = database_url("", {"DATABASE_URL": "postgres://u:p@db.internal:5432/coe"})
    assert url == "postgresql+psycopg://u:p@db.internal:5432/coe"
    assert database_url("", {"COE_DATABASE_URL": "sqlite:///x.db", "DATABASE_URL": "postgres://a/b"}) == "sqlite:///x.db"


def test_secret_key_is_generated_once_with_private_permissions(tmp_path, monkeypatch):
    monkeypatch.delenv("COE_SECRET_KEY", raising=False)
    monkeypatch.setenv("COE_INSTANCE_PATH", str(tmp_path))
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).secret_key
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).secret_key
    assert first == second and len(first) >= 64
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret_key")] == []


def test_secret_key_from_environment_or_config_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("COE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COE_SECRET_KEY", "from-env")
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).secret_key == "from-env"
    monkeypatch.delenv("COE_SECRET_KEY")
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "given"}).secret_key == "given"
    assert not (tmp_path / "secret_key").exists()


def test_an_empty_key_file_is_refused_with_a_clear_message(tmp_path):
    import pytest

    from coe.config import load_or_create_secret_key

    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="holds no usable key"):
        load_or_create_secret_key(str(tmp_path))


def test_configuration_comes_from_coe_variables(tmp_path):
    config = from_environment(str(tmp_path), {
        "COE_CONTENT_DIR": "/srv/content", "COE_INDEX_DIR": "/srv/index", "COE_REDIS_URL": "redis://127.0.0.1:6379/0",
        "COE_SECRET_KEY": "k"})
    assert config["COE_CONTENT_DIR"] == "/srv/content"
    assert config["COE_INDEX_DIR"] == "/srv/index"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_a_server_database_gets_a_pinged_pool_sized_from_the_environment(tmp_path):
    config = from_environment(str(tmp_path), {
        "COE_DATABASE_URL": "postgresql://coe@db.internal/coe", "COE_DB_POOL_SIZE": "3", "COE_DB_MAX_OVERFLOW": "7"})
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    options = config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_pre_ping"] is True and options["pool_size"] == 3 and options["max_overflow"] == 7
    assert from_environment(str(tmp_path), {})["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}


def test_sqlite_runs_in_wal_with_busy_timeout_and_foreign_keys(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "k"})
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def test_models_and_migrations_agree(app):
    with app.app_context():
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_team_name_key_migration_fills_existing_teams(tmp_path):
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}", "SECRET_KEY": "k"})
    with app.app_context():
        upgrade(revision="0001")
        db.session.execute(text("INSERT INTO team (name, description, created_at) VALUES ('Digital Delivery', '', '2026-01-01')"))
        db.session.commit()
        upgrade()
        assert db.session.execute(text("SELECT name_key FROM team")).scalar() == "digital delivery"
        db.engine.dispose()


def test_migrations_downgrade_and_upgrade_cleanly(tmp_path):
    from flask_migrate import downgrade, upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}", "SECRET_KEY": "k"})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert db.session.execute(text("SELECT count(*) FROM sqlite_master WHERE name='person'")).scalar() == 0
        upgrade()
        assert db.session.execute(text("SELECT count(*) FROM sqlite_master WHERE name='person'")).scalar() == 1
        db.engine.dispose()


def test_unknown_page_gets_404_in_the_layout(pm_client):
    response = pm_client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and 'id="coe-main"' in page


def test_unexpected_error_gets_500_page_without_details(app, make_person):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    make_person("pm@example.org")
    client = app.test_client()
    client.login("pm@example.org")
    response = client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "secret internals" not in page


def test_api_errors_are_json(pm_client):
    response = pm_client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json["error"] == "Page not found"


def test_healthz_reports_database_and_index(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["checks"]["database"]["ok"] is True
    assert response.json["checks"]["index"]["detail"].startswith("ok")


def test_healthz_is_503_when_the_index_is_missing(app, client):
    import shutil

    shutil.rmtree(app.config["COE_INDEX_DIR"])
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["index"] == {"ok": False, "detail": "missing"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "SECRET_KEY": "k", "COE_INDEX_DIR": str(tmp_path / "ix")})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"]["ok"] is False


def test_console_script_is_the_flask_cli_for_the_app(tmp_path):
    env = {**os.environ, "COE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "COE_SECRET_KEY": "k"}
    result = subprocess.run([sys.executable, "-c", "from coe.cli import main; main()", "routes"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "library.search" in result.stdout and "/healthz" in result.stdout


def test_nul_characters_in_queries_and_forms_get_400_not_500(client, pm_client):
    for path in ("/search?q=%00x", "/api/search?q=risk%00", "/library?tag=%00", "/admin/people?q=%00"):
        response = pm_client.get(path)
        assert response.status_code == 400, path
    anonymous = client.application.test_client()
    token = anonymous.csrf_token()
    response = anonymous.post("/login", data={"email": "pm\x00@example.org", "password": "x", "csrf_token": token})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_templates_build_the_same_links_as_url_for(app):
    """Templates remember the links they build; each must be what Flask's url_for writes."""
    from flask import url_for
    from werkzeug.routing import BuildError

    cached = app.jinja_env.globals["url_for"]
    with app.test_request_context("/library", base_url="http://coe.example.org/prefix"):
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            values = {name: 7 if "id" in name else "risk-register" for name in rule.arguments}
            for extra in ({}, {"q": "risk & issue"}, {"page": 2}):
                if set(extra) & set(values):
                    continue
                try:
                    expected = url_for(rule.endpoint, **values, **extra)
                except (BuildError, ValueError):  # a converter that takes other values (a file format)
                    continue
                assert cached(rule.endpoint, **values, **extra) == cached(rule.endpoint, **values, **extra) == expected
        assert cached("static", filename="css/coe.css") == url_for("static", filename="css/coe.css")
        assert cached("library.search", q="x", _external=True) == "http://coe.example.org/prefix/search?q=x"
        assert cached("library.search", page=1) == url_for("library.search", page=1)
        assert cached("library.search", page=True) == url_for("library.search", page=True)
