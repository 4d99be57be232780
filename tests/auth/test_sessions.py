"""Sign-in sessions: a fresh one per sign-in, ended by logout, idling, age, or "sign out everywhere"."""

from __future__ import annotations

from datetime import timedelta

from coe.audit import AuditEvent
from coe.auth.models import LoginSession, Person, utcnow
from coe.extensions import db


def _sessions(app, email="pm@example.org") -> list[LoginSession]:
    with app.app_context():
        person_id = db.session.scalar(db.select(Person.id).where(Person.email == email))
        return list(db.session.scalars(db.select(LoginSession).where(LoginSession.person_id == person_id)
                                       .order_by(LoginSession.id)))


def _age(app, session_id: int, **shift) -> None:
    """Move a sign-in's clock back, as if time had passed."""
    with app.app_context():
        login = db.session.get(LoginSession, session_id)
        login.created_at -= timedelta(**shift)
        login.last_seen_at -= timedelta(**shift)
        login.expires_at -= timedelta(**shift)
        db.session.commit()


def test_each_sign_in_gets_its_own_session_and_token(app, client, make_person):
    make_person("pm@example.org")
    client.login("pm@example.org", remember=True)
    first = client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]).value
    first_session = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    client.submit("/logout", page="/logout")
    client.login("pm@example.org", remember=True)
    assert client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]).value != first
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value != first_session
    rows = _sessions(app)
    assert len(rows) == 2 and rows[0].ended_at is not None and rows[1].ended_at is None
    # The database holds only a hash of the key the browser has.
    assert all(len(row.key_hash) == 64 and row.key_hash not in first for row in rows)


def test_a_session_cookie_from_before_sign_in_is_not_reused(app, client, make_person):
    make_person("pm@example.org")
    client.get("/login")
    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
    client.login("pm@example.org")
    with client.session_transaction() as after:
        assert "planted" not in after


def test_an_idle_session_ends_after_the_idle_limit(app, client, make_person):
    make_person("pm@example.org")
    client.login("pm@example.org")
    assert client.get("/").status_code == 200
    _age(app, _sessions(app)[0].id, hours=7, minutes=50)
    assert client.get("/").status_code == 200  # used within 8 hours: still signed in, and seen again now
    assert _sessions(app)[0].last_seen_at.replace(tzinfo=None) > (utcnow() - timedelta(minutes=1)).replace(tzinfo=None)
    _age(app, _sessions(app)[0].id, hours=8, minutes=5)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _sessions(app)[0].ended_at is not None


def test_a_busy_session_still_ends_at_its_absolute_limit(app, client, make_person):
    make_person("pm@example.org")
    client.login("pm@example.org")
    with app.app_context():
        login = db.session.get(LoginSession, _sessions(app)[0].id)
        login.created_at -= timedelta(hours=12, minutes=1)
        login.expires_at -= timedelta(hours=12, minutes=1)  # last seen just now
        db.session.commit()
    assert client.get("/").status_code == 302


def test_the_idle_limit_is_configurable(make_app, make_person):
    app = make_app(COE_SESSION_IDLE_MINUTES=30)
    make_person("pm@example.org")
    client = app.test_client()
    client.login("pm@example.org")
    _age(app, _sessions(app)[0].id, minutes=31)
    assert client.get("/").status_code == 302


def test_remember_me_outlives_the_browser_session_but_not_its_two_weeks(app, client, make_person):
    make_person("pm@example.org")
    client.login("pm@example.org", remember=True)
    remember = client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]).value
    session_id = _sessions(app)[0].id
    _age(app, session_id, days=3)  # idle for three days: a remembered device stays signed in
    browser = app.test_client()
    browser.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember)
    assert browser.get("/").status_code == 200
    _age(app, session_id, days=11, minutes=1)
    browser = app.test_client()
    browser.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember)
    assert browser.get("/").status_code == 302


def test_signing_out_ends_this_device_only(app, make_person):
    make_person("pm@example.org")
    laptop, phone = app.test_client(), app.test_client()
    laptop.login("pm@example.org")
    phone.login("pm@example.org")
    laptop.submit("/logout", page="/logout")
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 200


def test_sign_out_everywhere_ends_every_device_and_is_audited(app, make_person):
    make_person("pm@example.org")
    laptop, phone = app.test_client(), app.test_client()
    laptop.login("pm@example.org", remember=True)
    phone.login("pm@example.org")
    page = laptop.get("/account").get_data(as_text=True)
    assert "Where you are signed in" in page and "this device" in page
    assert laptop.get("/logout").get_data(as_text=True).count("1 other device") == 1
    response = laptop.submit("/logout", {"scope": "everywhere"}, page="/logout", follow_redirects=True)
    assert "signed out of every device" in response.get_data(as_text=True)
    assert phone.get("/").status_code == 302
    assert all(row.ended_at is not None for row in _sessions(app))
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.action)) == "person.sessions_ended"


def test_a_deactivated_person_is_signed_out_at_once(app, admin_client, make_person):
    person = make_person("pm@example.org")
    pm = app.test_client()
    pm.login("pm@example.org")
    admin_client.submit(f"/admin/people/{person}/deactivate", page="/admin/people")
    assert pm.get("/").status_code == 302


def test_sign_ins_over_a_month_past_their_end_are_purged_nightly(app, client, make_person):
    from coe.auth.sessions import purge_ended_sessions

    make_person("pm@example.org")
    for _ in range(3):
        client.login("pm@example.org")
        client.submit("/logout", page="/logout")
    client.login("pm@example.org")
    old, recent, _other, live = _sessions(app)
    with app.app_context():
        db.session.get(LoginSession, old.id).ended_at = utcnow() - timedelta(days=31)
        db.session.commit()
    assert purge_ended_sessions.call_local() == 1
    assert [row.id for row in _sessions(app)] == [recent.id, _other.id, live.id]
    assert client.get("/").status_code == 200


def test_the_teams_a_person_leads_come_with_the_sign_in_and_follow_a_change(app, make_person, make_team):
    from coe.auth import sessions

    north, south = make_team("North"), make_team("South")
    make_person("lead@example.org", leads=(north, south))
    make_person("pm@example.org")
    with app.test_request_context():
        tokens = {email: sessions.start(db.session.scalar(db.select(Person).where(Person.email == email)))
                  for email in ("lead@example.org", "pm@example.org")}
        db.session.commit()
    with app.test_request_context():
        lead, pm = sessions.load(tokens["lead@example.org"]), sessions.load(tokens["pm@example.org"])
        assert lead.led_team_ids == {north, south} and pm.led_team_ids == frozenset()
        assert lead.roles == ["learner", "lead"] and pm.roles == ["learner"]
        # Editing the signed-in person's own teams in the same request is seen at once.
        lead.led_teams = [team for team in lead.led_teams if team.id == south]
        assert lead.led_team_ids == {south}
        lead.led_teams.clear()
        assert lead.led_team_ids == frozenset() and "lead" not in lead.roles
