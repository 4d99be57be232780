"""The audit log an admin reads, and the security log an operator alerts on."""

from __future__ import annotations

import logging

from coe.audit import AuditEvent
from coe.auth.models import Person
from coe.extensions import db
from tests.conftest import PASSWORD


def _events(app) -> list[tuple[str, str | None, str | None, dict]]:
    with app.app_context():
        names = dict(db.session.execute(db.select(Person.id, Person.email)).all())
        return [(e.action, names.get(e.actor_id), names.get(e.subject_id), e.detail)
                for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def test_role_changes_deactivations_and_validations_are_recorded(app, admin_client, make_person, make_team):
    team = make_team("Digital Delivery")
    pm = make_person("pm@example.org", team_id=team)
    lead = make_person("lead@example.org", team_id=team, leads=(team,))
    admin_client.submit(f"/admin/people/{pm}", {
        "email": "pm@example.org", "display_name": "Priya", "team_id": str(team), "role_profile": "pm",
        "time_zone": "UTC", "is_mentor": "y"})
    admin_client.submit(f"/admin/people/{pm}/deactivate", page="/admin/people")
    admin_client.submit(f"/admin/people/{pm}/reactivate", page="/admin/people")
    lead_client = app.test_client()
    lead_client.login("lead@example.org")
    lead_client.submit(f"/people/{pm}/competencies", {
        "rating-competency": "risk-management", "rating-level": "3", "rating-note": "Ran the risk review.",
        "rating-as_role": "lead", "rating-rate": "y"})
    assert _events(app) == [
        ("role.mentor", "admin@example.org", "pm@example.org", {"before": False, "after": True}),
        ("person.deactivate", "admin@example.org", "pm@example.org", {}),
        ("person.reactivate", "admin@example.org", "pm@example.org", {}),
        ("competency.validate", "lead@example.org", "pm@example.org",
         {"competency": "risk-management", "level": 3, "role": "lead"}),
    ]
    assert lead  # the lead exists before the validation


def test_a_change_that_fails_records_nothing(app, admin_client, make_person):
    pm = make_person("pm@example.org")
    make_person("taken@example.org")
    response = admin_client.submit(f"/admin/people/{pm}", {
        "email": "taken@example.org", "display_name": "Priya", "team_id": "0", "role_profile": "pm",
        "time_zone": "UTC", "is_admin": "y"})
    assert "already uses" in response.get_data(as_text=True)
    assert _events(app) == []


def test_admins_read_and_filter_the_log_and_nobody_else_sees_it(app, admin_client, make_person):
    other = make_person("other@example.org")
    pm_client = app.test_client()
    pm_client.login("other@example.org")
    admin_client.submit(f"/admin/people/{other}/deactivate", page="/admin/people")
    admin_client.submit(f"/admin/people/{other}/link", page=f"/admin/people/{other}")
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "deactivated" in page and "made a sign-in link for" in page
    only = admin_client.get("/admin/audit?action=person.deactivate").get_data(as_text=True)
    assert "deactivated" in only and "made a sign-in link for" not in only
    assert admin_client.get("/admin/audit?action=no.such.thing").status_code == 200
    admin_client.submit(f"/admin/people/{other}/reactivate", page="/admin/people")
    pm_client.login("other@example.org")
    assert pm_client.get("/admin/audit").status_code == 403


def test_failed_sign_ins_and_refusals_are_logged_without_secrets(app, pm_client, make_person, caplog):
    make_person("someone@example.org")
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="coe.security"):
        client.login("someone@example.org", "my wrong guess of a password")
        client.login("nobody@example.org", "another wrong guess")
        pm_client.get("/admin/people")
        pm_client.post("/logout", data={"csrf_token": "forged"})
    lines = [record.getMessage() for record in caplog.records if record.name == "coe.security"]
    assert any(line.startswith("sign-in failed (wrong password for person") for line in lines)
    assert any(line.startswith("sign-in failed (no such account)") for line in lines)
    assert any(line.startswith("access refused: GET /admin/people for person") for line in lines)
    assert any(line.startswith("CSRF check failed") for line in lines)
    text = "\n".join(lines)
    for secret in ("my wrong guess", "another wrong guess", PASSWORD, "someone@example.org", "nobody@example.org"):
        assert secret not in text
