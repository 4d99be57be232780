"""What a security tester tried from outside: weak passwords, JSON bodies, header injection, look-alike emails."""

from __future__ import annotations

import json

import pytest

from coe.auth.models import Person
from coe.extensions import db
from tests.conftest import PASSWORD


@pytest.mark.parametrize("weak", [
    "111111111111", "passwordpassword", "123456789012", "aaaaaaaaaaaa", "qwertyuiopasdf", "iloveyouiloveyou",
    "abcdefghijklmnop", "password1234", "Password12345!",
])
def test_common_and_patterned_passwords_are_refused(app, pm_client, weak):
    response = pm_client.submit("/account", {
        "password-current_password": PASSWORD, "password-new_password": weak, "password-confirm": weak,
        "password-change_password": "Change password"})
    assert response.status_code == 200
    assert "too easy to guess" in response.get_data(as_text=True)
    assert app.test_client().login("pm@example.org", weak).status_code == 200  # not changed


@pytest.mark.parametrize("own", ["pm.lead@example.org", "PM.LEAD@example.org", "Priyanka Ramaswamy"])
def test_the_persons_own_email_or_name_is_refused(app, client, make_person, own):
    make_person("pm.lead@example.org", name="Priyanka Ramaswamy")
    client.login("pm.lead@example.org")
    response = client.submit("/account", {
        "password-current_password": PASSWORD, "password-new_password": own, "password-confirm": own,
        "password-change_password": "Change password"})
    text = response.get_data(as_text=True)
    assert "cannot be your email address or your name" in text or "too easy to guess" in text


@pytest.mark.parametrize("strong", [
    "kettle on the moon tonight", "Lerwick ferry waited twice", "mauve-otter-pencil-harbour",
    "correct horse battery staple " * 4,  # long passphrases are welcome, up to 128 characters
])
def test_passphrases_are_accepted(app, pm_client, strong):
    response = pm_client.submit("/account", {
        "password-current_password": PASSWORD, "password-new_password": strong, "password-confirm": strong,
        "password-change_password": "Change password"})
    assert response.status_code == 302
    assert app.test_client().login("pm@example.org", strong).status_code == 302


def test_a_json_login_counts_against_the_same_account(app, make_person):
    make_person("pm@example.org")
    for attempt in range(10):
        client = app.test_client()
        token = client.csrf_token()
        response = client.post("/login", data=json.dumps({"email": "PM@example.org", "password": "wrong guess"}),
                               content_type="application/json", headers={"X-CSRFToken": token},
                               environ_base={"REMOTE_ADDR": f"10.0.2.{attempt}"})
        assert response.status_code == 200
    # The eleventh guess, as a form from yet another address, is refused: JSON and form share one count.
    client = app.test_client()
    assert client.login("pm@example.org", environ_base={"REMOTE_ADDR": "10.0.3.1"}).status_code == 429


def test_an_attacker_cannot_lock_the_owner_out_of_a_browser_they_used_before(app, make_person):
    make_person("pm@example.org")
    owner = app.test_client()
    assert owner.login("pm@example.org", environ_base={"REMOTE_ADDR": "10.1.0.1"}).status_code == 302
    owner.submit("/logout", page="/logout", environ_base={"REMOTE_ADDR": "10.1.0.1"})
    for attempt in range(10):
        attacker = app.test_client()
        attacker.login("pm@example.org", "guess number %d" % attempt,
                       environ_base={"REMOTE_ADDR": f"198.51.100.{attempt}"})
    # A new browser is now throttled for this account...
    assert app.test_client().login("pm@example.org", environ_base={"REMOTE_ADDR": "10.1.0.2"}).status_code == 429
    # ...but the owner's own browser, holding its device cookie, signs in.
    assert owner.login("pm@example.org", environ_base={"REMOTE_ADDR": "10.1.0.1"}).status_code == 302


def test_a_forged_device_cookie_gets_no_allowance_of_its_own(app, make_person):
    make_person("pm@example.org")
    for attempt in range(10):
        attacker = app.test_client()
        attacker.set_cookie(app.config["SESSION_COOKIE_NAME"].replace("session", "device"), f"forged{attempt}")
        attacker.login("pm@example.org", "guess", environ_base={"REMOTE_ADDR": f"198.51.100.{attempt}"})
    attacker = app.test_client()
    attacker.set_cookie(app.config["SESSION_COOKIE_NAME"].replace("session", "device"), "forged-again")
    assert attacker.login("pm@example.org", environ_base={"REMOTE_ADDR": "198.51.100.99"}).status_code == 429


@pytest.mark.parametrize("target", ["/library\r\nSet-Cookie: x=1", "/library%0d%0a", "/\nlibrary", "/lib\x7frary",
                                    "/library\tx"])
def test_control_characters_in_next_are_ignored_not_a_500(app, client, make_person, target):
    make_person("pm@example.org")
    token = client.csrf_token()
    response = client.post("/login", data={"email": "pm@example.org", "password": PASSWORD, "next": target,
                                           "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "\r" not in location and "\n" not in location and "Set-Cookie" not in response.headers.get("x", "")
    assert location in ("/", "/library%0d%0a")


@pytest.mark.parametrize("body", [
    {"profile-display_name": "Nul\u0000Name"},
    {"profile-\u0000": "x"},
    {"nested": [{"deeper": "a\u0000b"}]},
])
def test_a_nul_in_a_json_body_is_refused_with_a_message(app, pm_client, body):
    token = pm_client.csrf_token("/account")
    response = pm_client.post("/account", data=json.dumps(body), content_type="application/json",
                              headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    with app.app_context():
        assert "\x00" not in db.session.scalar(db.select(Person.display_name).where(Person.email == "pm@example.org"))


def test_json_nested_without_end_is_refused(app, pm_client):
    body = "[" * 100 + "]" * 100
    response = pm_client.post("/account", data=body, content_type="application/json",
                              headers={"X-CSRFToken": pm_client.csrf_token("/account")})
    assert response.status_code == 400
    assert "nested more deeply" in response.get_data(as_text=True)


@pytest.mark.parametrize("email, problem", [
    ("pm@ex\u0430mple.org", "mixes letters of different scripts"),  # Cyrillic а in the domain
    ("p\u043c@example.org", "mixes letters of different scripts"),  # Cyrillic м in the local part
    ("a" * 65 + "@example.org", "too long before the @-sign"),
])
def test_look_alike_and_overlong_emails_are_refused(app, admin_client, email, problem):
    response = admin_client.submit("/admin/people/new", {
        "email": email, "display_name": "Look Alike", "team_id": "0", "role_profile": "pm", "time_zone": "UTC"})
    assert response.status_code == 200
    assert problem in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Person)
                                 .where(Person.display_name == "Look Alike")) == 0


def test_an_address_in_one_other_script_is_accepted(app):
    from coe.auth.people import normalise_email

    assert normalise_email("müller@beispiel.de") == ("müller@beispiel.de", None)
    assert normalise_email("пм@пример.рф") == ("пм@пример.рф", None)
