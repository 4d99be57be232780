"""``coe people export`` and ``coe people erase``, end to end through the command line."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from coe import audit
from coe.audit import AuditEvent
from coe.auth import services, tokens
from coe.auth.models import LoginSession, Person, SignInLink
from coe.competency import profile
from coe.competency.models import Goal, Rating
from coe.extensions import db
from tests.ops.dump import dump_text

EMAIL = "thandeka.vandermolen@example.org"
NAME = "Thandeka Vandermolen"


def _member_with_a_history(app, make_person, make_team, client):
    team = make_team("Digital Delivery")
    member_id = make_person(EMAIL, name=NAME, team_id=team)
    mentor_id = make_person("mentor@example.org", name="Omar Haddad", mentor=True)
    make_person("admin@example.org", admin=True)
    assert client.login(EMAIL, remember=True).status_code == 302
    with app.test_request_context():
        member, mentor = db.session.get(Person, member_id), db.session.get(Person, mentor_id)
        profile.self_assess(member, "risk-management", 3, note="Thandeka Vandermolen ran the supplier risk workshop",
                            evidence_url="https://wiki.example.org/thandeka/risk-workshop")
        profile.validate(mentor, member, "risk-management", 2, "Thandeka needs to own a register end to end", "mentor")
        profile.add_goal(member, "risk-management", "Thandeka's Monte Carlo drill for the Harbourside bid", "Template",
                         "https://wiki.example.org/thandeka/qra", dt.date.today() + dt.timedelta(days=30))
        tokens.issue(member, "reset")
        audit.record("data.export", mentor, member, file=f"{EMAIL}.xlsx", note=f"asked by {NAME}")
        db.session.commit()
    return member_id, mentor_id


def test_export_writes_everything_stored_about_the_person(app, runner, client, make_person, make_team, tmp_path):
    member_id, mentor_id = _member_with_a_history(app, make_person, make_team, client)

    result = runner.invoke(args=["people", "export", EMAIL.upper()])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["person_id"] == member_id
    account, competency = data["sections"]["account"], data["sections"]["competency"]
    assert account["person"]["email"] == EMAIL and account["person"]["display_name"] == NAME
    assert account["person"]["team"] == "Digital Delivery"
    assert len(account["sign_ins"]) == 1 and account["sign_ins"][0]["remember"] is True
    assert [link["purpose"] for link in account["sign_in_links"]] == ["reset"]
    assert "secret_hash" not in result.output and "password_hash" not in result.output
    assert {(r["source"], r["level"], r["note"]) for r in competency["ratings"]} == {
        ("self", 3, "Thandeka Vandermolen ran the supplier risk workshop"),
        ("mentor", 2, "Thandeka needs to own a register end to end")}
    assert [g["title"] for g in competency["goals"]] == ["Thandeka's Monte Carlo drill for the Harbourside bid"]
    assert {e["action"] for e in account["audit_events"]} >= {"competency.validate", "data.export"}

    output = tmp_path / "export.json"
    result = runner.invoke(args=["people", "export", EMAIL, "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text())["sections"]["competency"]["goals"][0]["competency"] == "risk-management"
    assert output.stat().st_mode & 0o077 == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "person.export", AuditEvent.subject_id == member_id)) == 2

    unknown = runner.invoke(args=["people", "export", "nobody@example.org"])
    assert unknown.exit_code != 0 and "No one has the email nobody@example.org" in unknown.output


def test_erase_leaves_nothing_personal_and_keeps_the_numbers(app, runner, client, make_person, make_team):
    member_id, mentor_id = _member_with_a_history(app, make_person, make_team, client)
    assert client.get("/").status_code == 200
    with app.app_context():
        levels_before = sorted(db.session.execute(select(Rating.source, Rating.level, Rating.rated_by_id)
                                                  .where(Rating.person_id == member_id)).all())
        assert NAME.lower() in dump_text() and EMAIL in dump_text()

    result = runner.invoke(args=["people", "erase", EMAIL, "--yes"])
    assert result.exit_code == 0, result.output
    assert f"Former member #{member_id}" in result.output

    with app.app_context():
        dump = dump_text()
        for trace in ("thandeka", "vandermolen", EMAIL, "wiki.example.org/thandeka", "harbourside bid"):
            assert trace not in dump, [line for line in dump.splitlines() if trace in line]
        person = db.session.get(Person, member_id)
        assert person.display_name == f"Former member #{member_id}"
        assert person.email.endswith(".invalid") and person.password_hash is None and not person.active
        assert person.team is not None and person.team.name == "Digital Delivery"  # team statistics keep them
        # The numbers stay: every rating with its level, source and validator; the goal with its dates.
        assert sorted(db.session.execute(select(Rating.source, Rating.level, Rating.rated_by_id)
                                         .where(Rating.person_id == member_id)).all()) == levels_before
        assert db.session.scalar(select(func.count()).select_from(Goal).where(Goal.person_id == member_id)) == 1
        assert db.session.scalar(select(func.count()).select_from(LoginSession)
                                 .where(LoginSession.person_id == member_id)) == 0
        assert db.session.scalar(select(func.count()).select_from(SignInLink)
                                 .where(SignInLink.person_id == member_id)) == 0
        erase_event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.erase"))
        assert erase_event.subject_id == member_id
        # The mentor's own record is untouched.
        assert db.session.get(Person, mentor_id).display_name == "Omar Haddad"
        assert services.find_person_by_email(EMAIL) is None

    # The browser that was signed in (with a remember cookie) is signed out, and the old password is gone.
    assert client.get("/").status_code == 302
    assert client.login(EMAIL).status_code == 200
    assert runner.invoke(args=["people", "erase", EMAIL, "--yes"]).exit_code != 0


def test_the_last_admin_who_can_sign_in_cannot_be_erased(app, runner, make_person):
    make_person("admin@example.org", admin=True)
    result = runner.invoke(args=["people", "erase", "admin@example.org", "--yes"])
    assert result.exit_code != 0 and "last admin" in result.output
    with app.app_context():
        assert services.find_person_by_email("admin@example.org").display_name != "Former member #1"
