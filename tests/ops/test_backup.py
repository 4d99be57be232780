"""``coe backup`` and ``coe restore``: a round trip gives back every table exactly, and search works after it."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import threading

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import make_url

from coe.audit import AuditEvent
from coe.auth import services
from coe.auth.models import Person
from coe.competency import profile
from coe.competency.models import Goal
from coe.extensions import db
from tests.ops.dump import table_contents


def _some_history(app, make_person, make_team):
    team = make_team("Infrastructure Portfolio")
    pm_id = make_person("pm@example.org", name="Noor Achterberg", team_id=team)
    mentor_id = make_person("mentor@example.org", mentor=True)
    with app.test_request_context():
        pm, mentor = db.session.get(Person, pm_id), db.session.get(Person, mentor_id)
        profile.self_assess(pm, "risk-management", 3, note="Ran the supplier risk review")
        profile.validate(mentor, pm, "risk-management", 2, "Owns the register now", "mentor")
        profile.add_goal(pm, "stakeholder-engagement", "Stakeholder map for the depot move", "Template", "",
                         dt.date.today() + dt.timedelta(days=20))
        db.session.commit()
    return pm_id


def _without_restore_event(contents: dict) -> dict:
    """The restore records itself in the audit log after putting the backup back; leave that one event out."""
    with_event = contents["audit_event"]
    contents["audit_event"] = [row for row in with_event if "backup.restore" not in row]
    assert len(with_event) - len(contents["audit_event"]) == 1
    return contents


def test_backup_and_restore_give_back_every_table(app, runner, make_person, make_team, tmp_path, test_database):
    if test_database.startswith("postgresql") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    pm_id = _some_history(app, make_person, make_team)
    with app.app_context():
        before = table_contents()
    assert sum(len(rows) for rows in before.values()) > 100

    backup_file = tmp_path / "backups" / "coe.backup"
    result = runner.invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert backup_file.stat().st_size > 0

    # Life goes on after the backup: people change, goals go, new people arrive.
    with app.test_request_context():
        db.session.get(Person, pm_id).display_name = "Renamed After The Backup"
        db.session.execute(delete(Goal))
        db.session.commit()
    make_person("newcomer@example.org")
    with app.app_context():
        assert table_contents() != before

    result = runner.invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt" in result.output
    with app.app_context():
        after = _without_restore_event(table_contents())
        assert services.find_person_by_email("newcomer@example.org") is None
    for table in before:
        assert after[table] == before[table], f"table {table} differs after the round trip"
    assert after.keys() == before.keys()

    # The site works on the restored database: sign-in, and a search served by the rebuilt index.
    client = app.test_client()
    assert client.login("pm@example.org").status_code == 302
    page = client.get("/search?q=risk+register")
    assert page.status_code == 200 and "Risk register" in page.get_data(as_text=True)


def test_a_sqlite_backup_is_consistent_while_a_writer_is_mid_transaction(app, runner, make_person, tmp_path,
                                                                         test_database):
    if not test_database.startswith("sqlite"):
        pytest.skip("SQLite's online backup")
    make_person("pm@example.org")
    writing, done = threading.Event(), threading.Event()

    def write_slowly():
        # A worker in the middle of a write transaction that it will roll back after 3 s.
        writer = sqlite3.connect(make_url(test_database).database, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO team (name, name_key, description, created_at) "
                       "VALUES ('Half Written', 'half written', '', '2026-01-01')")
        writing.set()
        done.wait(3)
        writer.execute("ROLLBACK")
        writer.close()

    thread = threading.Thread(target=write_slowly)
    thread.start()
    try:
        assert writing.wait(10)
        result = runner.invoke(args=["backup", str(tmp_path / "live.backup")])
        assert result.exit_code == 0, result.output
    finally:
        done.set()
        thread.join()
    copy = sqlite3.connect(tmp_path / "live.backup")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM team WHERE name = 'Half Written'").fetchone()[0] == 0
        assert copy.execute("SELECT count(*) FROM person WHERE email = 'pm@example.org'").fetchone()[0] == 1
    finally:
        copy.close()
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "backup.create"


def test_restoring_something_that_is_not_a_backup_changes_nothing(app, runner, make_person, tmp_path,
                                                                  test_database):
    if not test_database.startswith("sqlite"):
        pytest.skip("the SQLite restore's checks")
    make_person("pm@example.org")
    not_a_backup = tmp_path / "notes.db"
    not_a_backup.write_text("these are meeting notes, not a database\n" * 100)
    result = runner.invoke(args=["restore", str(not_a_backup), "--yes"])
    assert result.exit_code != 0 and "not a SQLite backup of this site" in result.output
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE TABLE person (id INTEGER)")
    other.close()
    result = runner.invoke(args=["restore", str(tmp_path / "other.db"), "--yes"])
    assert result.exit_code != 0 and "not a backup of this site" in result.output
    with app.app_context():
        assert services.find_person_by_email("pm@example.org") is not None
