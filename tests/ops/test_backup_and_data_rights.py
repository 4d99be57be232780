"""Backups that round-trip every table, and people's data exported and erased from the command line."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from sqlalchemy import select, text

from coe.extensions import db


def _every_row(app) -> dict[str, list[tuple]]:
    """Every table's rows, in a stable order, as the database returns them."""
    with app.app_context():
        rows = {}
        for table in db.metadata.sorted_tables:
            order = [column for column in table.primary_key.columns] or list(table.columns)
            rows[table.name] = [tuple(row) for row in db.session.execute(select(table).order_by(*order))]
        db.session.remove()
        return rows


def _add_ratings(app, person_id: int, note: str) -> None:
    from coe.competency import profile
    from coe.auth.models import Person

    with app.test_request_context():
        person = db.session.get(Person, person_id)
        profile.self_assess(person, "risk-management", 3, note)
        db.session.commit()


def test_a_backup_restores_every_table_as_it_was(app, runner, make_person, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and not shutil.which("pg_dump"):
        pytest.fail("PostgreSQL's client tools (pg_dump, pg_restore) are needed for the backup test")
    pm = make_person("pm@example.org", name="Priya Menon")
    _add_ratings(app, pm, "Ran the risk workshop for the warehouse move.")
    before = _every_row(app)
    backup_file = tmp_path / "backups" / "coe.backup"
    result = runner.invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert backup_file.is_file() and not backup_file.with_name("coe.backup.partial").exists()

    # Life goes on after the backup: a new person, a changed name, a deleted rating.
    make_person("late@example.org", name="Arrived After The Backup")
    with app.app_context():
        db.session.execute(text("UPDATE person SET display_name = 'Renamed' WHERE id = :id"), {"id": pm})
        db.session.execute(text("DELETE FROM rating WHERE person_id = :id"), {"id": pm})
        db.session.commit()
        db.session.remove()
    assert _every_row(app) != before

    result = runner.invoke(args=["restore", "--yes", str(backup_file)])
    assert result.exit_code == 0, result.output
    after = _every_row(app)
    # The restore itself is audited, after the restore: every other row is as it was.
    audit_after = after.pop("audit_event")
    audit_before = before.pop("audit_event")
    assert after == before
    assert audit_after[:len(audit_before)] == audit_before
    assert [row for row in audit_after[len(audit_before):]][-1][3] == "backup.restore"
    # The site still works on the restored database, and the index serves it.
    client = app.test_client()
    assert client.get("/healthz").status_code == 200


def test_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(app, runner, make_person, tmp_path):
    make_person("pm@example.org")
    before = _every_row(app)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    result = runner.invoke(args=["restore", "--yes", str(bogus)])
    reason = "not a SQLite database" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") \
        else "pg_restore failed"
    assert result.exit_code != 0 and reason in result.output
    missing = runner.invoke(args=["restore", "--yes", str(tmp_path / "missing.sqlite3")])
    assert missing.exit_code != 0 and "There is no backup file" in missing.output
    assert _every_row(app) == before


@pytest.fixture
def priya(app, make_person, make_team):
    """A PM with ratings, a goal, a validated rating from her lead, and a sign-in on record."""
    from coe.auth.models import Person
    from coe.competency import profile

    team = make_team("Warehouse Programme")
    lead = make_person("lead@example.org", name="Lars Eriksen", leads=(team,))
    pm = make_person("priya.menon@example.org", name="Priya Menon", team_id=team)
    with app.test_request_context():
        person, validator = db.session.get(Person, pm), db.session.get(Person, lead)
        profile.self_assess(person, "risk-management", 3, "Priya ran the risk workshop.", "https://intranet/raid")
        profile.validate(validator, person, "risk-management", 3, "Priya's register held up at G2.", "lead")
        profile.add_goal(person, "stakeholder-engagement", "Priya's stakeholder map for the move", "Template",
                         "/library/templates/stakeholder-register", dt.date.today() + dt.timedelta(days=30))
        db.session.commit()
    client = app.test_client()
    client.login("priya.menon@example.org")
    return pm


def test_export_writes_everything_stored_about_the_person(app, runner, priya, tmp_path):
    out = tmp_path / "priya.json"
    result = runner.invoke(args=["people", "export", "Priya.Menon@example.org", "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["account"]["person"]["email"] == "priya.menon@example.org"
    assert data["account"]["person"]["team"] == "Warehouse Programme"
    assert len(data["account"]["sign_ins"]) == 1
    ratings = data["competency"]["ratings"]
    assert {(r["source"], r["note"]) for r in ratings} == {("self", "Priya ran the risk workshop."),
                                                             ("lead", "Priya's register held up at G2.")}
    assert data["competency"]["goals"][0]["title"] == "Priya's stakeholder map for the move"
    with app.app_context():
        from coe.audit import AuditEvent
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_id == priya)
                                 .order_by(AuditEvent.id.desc())) == "person.export"
    unknown = runner.invoke(args=["people", "export", "nobody@example.org"])
    assert unknown.exit_code != 0 and "Nobody has the email address nobody@example.org" in unknown.output


def test_erase_leaves_nothing_personal_but_keeps_the_numbers(app, runner, priya):
    result = runner.invoke(args=["people", "erase", "priya.menon@example.org", "--yes"])
    assert result.exit_code == 0, result.output
    assert f"Former member #{priya}" in result.output
    # Every table but the published content (whose examples may use any name).
    content = ("document", "content_", "governance_", "competency", "role_profile", "role_target", "search_")
    published = {"quiz", "quiz_competency", "quiz_question", "track", "track_step", "track_audience",
                 "track_competency"}
    rows = {name: table for name, table in _every_row(app).items()
            if not name.startswith(content) and name not in published}
    for trace in ("priya", "menon", "intranet/raid", "stakeholder map"):
        where = [name for name, table in rows.items() if trace in json.dumps(table, default=str).lower()]
        assert not where, f"{trace!r} is still in {where}"
    with app.app_context():
        from coe.auth.models import LoginSession, Person
        from coe.competency.models import Rating

        person = db.session.get(Person, priya)
        assert person.display_name == f"Former member #{priya}" and not person.active
        assert person.password_hash is None and person.team is not None
        assert db.session.scalar(select(LoginSession).where(LoginSession.person_id == priya)) is None
        # The levels stay for the team's statistics.
        assert sorted(db.session.scalars(select(Rating.level).where(Rating.person_id == priya))) == [3, 3]
    # The erased person cannot sign in, and their old session is over.
    client = app.test_client()
    assert "Sign in" in client.get("/", follow_redirects=True).get_data(as_text=True)
    again = runner.invoke(args=["people", "erase", "priya.menon@example.org", "--yes"])
    assert again.exit_code != 0 and "Nobody has the email address" in again.output


def test_the_last_admin_cannot_be_erased(app, runner, make_person):
    make_person("only.admin@example.org", name="Olga Admin", admin=True)
    result = runner.invoke(args=["people", "erase", "only.admin@example.org", "--yes"])
    assert result.exit_code != 0 and "last admin" in result.output
    with app.app_context():
        from coe.auth.models import Person

        assert db.session.scalar(select(Person.display_name).where(Person.email == "only.admin@example.org")) \
            == "Olga Admin"


def test_an_exported_file_is_readable_by_its_owner_only(runner, priya, tmp_path):
    out = tmp_path / "priya.json"
    assert runner.invoke(args=["people", "export", "priya.menon@example.org", "--output", str(out)]).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o600
