"""The users CLI: create an admin, set a password."""

from __future__ import annotations

from coe.auth.models import Person
from coe.extensions import db


def test_create_admin_reads_password_from_stdin(app, runner, client):
    result = runner.invoke(args=["users", "create-admin", "Boss@Example.org", "--password-stdin"],
                           input="a sturdy admin password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        person = db.session.scalar(db.select(Person).where(Person.email == "boss@example.org"))
        assert person.is_admin
    assert client.login("boss@example.org", "a sturdy admin password").status_code == 302
    assert client.get("/admin/people").status_code == 200


def test_create_admin_prompts_twice(app, runner):
    result = runner.invoke(args=["users", "create-admin", "boss@example.org"],
                           input="a sturdy admin password\na sturdy admin password\n")
    assert result.exit_code == 0, result.output


def test_create_admin_refuses_a_short_password(app, runner):
    result = runner.invoke(args=["users", "create-admin", "boss@example.org", "--password-stdin"], input="short\n")
    assert result.exit_code != 0
    assert "Use 12 to 128 characters" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Person.id))) == 0


def test_create_admin_refuses_a_bad_email(app, runner):
    result = runner.invoke(args=["users", "create-admin", "not an email", "--password-stdin"],
                           input="a sturdy admin password\n")
    assert result.exit_code != 0
    assert "not a valid email address" in result.output


def test_set_password_ends_sessions(app, runner, client, make_person):
    make_person("pm@example.org")
    client.login("pm@example.org")
    result = runner.invoke(args=["users", "set-password", "pm@example.org", "--password-stdin"],
                           input="another good passphrase\n")
    assert result.exit_code == 0, result.output
    assert client.get("/").status_code == 302
    assert app.test_client().login("pm@example.org", "another good passphrase").status_code == 302
