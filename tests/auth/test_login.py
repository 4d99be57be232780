"""Signing in and out, sessions, throttling and CSRF."""

from __future__ import annotations

from tests.conftest import PASSWORD


def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = client.get("/library?kind=templates")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/library?kind%3Dtemplates"


def test_login_page_healthz_and_static_are_public(client):
    for path in ("/login", "/static/css/coe.css", "/bootstrap/static/css/bootstrap.min.css"):
        with client.get(path) as response:
            assert response.status_code == 200, path
    assert client.get("/healthz").is_json


def test_pm_logs_in_and_reaches_home(client, make_person):
    make_person("pm@example.org", name="Priya Patel")
    response = client.login("pm@example.org", follow_redirects=True)
    assert response.status_code == 200
    assert "Welcome, Priya" in response.get_data(as_text=True)


def test_email_is_case_insensitive(client, make_person):
    make_person("pm@example.org")
    response = client.login("PM@Example.ORG")
    assert response.status_code == 302


def test_wrong_password_is_refused_with_a_message(client, make_person):
    make_person("pm@example.org")
    response = client.login("pm@example.org", "wrong password here")
    assert response.status_code == 200
    assert "do not match an account" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_deactivated_account_cannot_log_in(client, make_person):
    make_person("gone@example.org", active=False)
    response = client.login("gone@example.org")
    assert "deactivated" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_next_redirects_only_to_local_paths(client, make_person):
    make_person("pm@example.org")
    token = client.csrf_token()
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = client.post("/login", data={"email": "pm@example.org", "password": PASSWORD,
                                               "next": evil, "csrf_token": token})
        assert response.headers["Location"] == "/", evil
        client.post("/logout", data={"csrf_token": client.csrf_token("/logout")})
        token = client.csrf_token()
    response = client.post("/login", data={"email": "pm@example.org", "password": PASSWORD,
                                           "next": "/library?kind=templates", "csrf_token": token})
    assert response.headers["Location"] == "/library?kind=templates"


def test_login_without_csrf_token_is_rejected_and_does_not_log_in(client, make_person):
    make_person("pm@example.org")
    response = client.post("/login", data={"email": "pm@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_forged_csrf_token_is_rejected(client, make_person):
    make_person("pm@example.org")
    client.csrf_token()
    response = client.post("/login", data={"email": "pm@example.org", "password": PASSWORD,
                                           "csrf_token": "forged.token.value"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_logout_requires_post_with_csrf(pm_client):
    assert pm_client.get("/logout").status_code == 200  # a confirmation page, not a logout
    assert pm_client.get("/").status_code == 200
    assert pm_client.post("/logout").status_code == 400
    assert pm_client.get("/").status_code == 200


def test_replayed_session_cookie_after_logout_gets_no_access(app, pm_client):
    name = app.config["SESSION_COOKIE_NAME"]
    stolen = pm_client.get_cookie(name).value
    pm_client.submit("/logout", page="/logout")
    replay = app.test_client()
    replay.set_cookie(name, stolen)
    response = replay.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_replayed_remember_cookie_after_logout_gets_no_access(app, client, make_person):
    make_person("pm@example.org")
    client.login("pm@example.org", remember=True)
    name = app.config["REMEMBER_COOKIE_NAME"]
    remember = client.get_cookie(name)
    assert remember is not None
    # A fresh browser with only the remember cookie is signed in...
    other = app.test_client()
    other.set_cookie(name, remember.value)
    assert other.get("/").status_code == 200
    client.submit("/logout", page="/logout")
    # ...and after logout the same cookie opens nothing, and the browser was told to drop it.
    assert client.get_cookie(name) is None
    replay = app.test_client()
    replay.set_cookie(name, remember.value)
    assert replay.get("/").status_code == 302


def test_changing_password_ends_other_sessions_but_keeps_this_one(app, client, make_person):
    make_person("pm@example.org")
    client.login("pm@example.org")
    other = app.test_client()
    other.login("pm@example.org")
    response = client.submit("/account", {
        "password-current_password": PASSWORD, "password-new_password": "a brand new passphrase",
        "password-confirm": "a brand new passphrase", "password-change_password": "Change password"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    fresh = app.test_client()
    assert fresh.login("pm@example.org", "a brand new passphrase").status_code == 302


def test_too_short_new_password_is_refused_and_old_one_still_works(app, client, make_person):
    make_person("pm@example.org")
    client.login("pm@example.org")
    response = client.submit("/account", {
        "password-current_password": PASSWORD, "password-new_password": "short",
        "password-confirm": "short", "password-change_password": "Change password"})
    assert response.status_code == 200
    assert "Use 12 to 128 characters" in response.get_data(as_text=True)
    assert app.test_client().login("pm@example.org").status_code == 302


def test_eleventh_failed_attempt_for_an_account_gets_429(app, make_person):
    make_person("pm@example.org")
    for attempt in range(10):
        # A new client (and address) each time: the account limit must hold on its own.
        client = app.test_client()
        response = client.login("pm@example.org", "not the password", environ_base={"REMOTE_ADDR": f"10.0.0.{attempt}"})
        assert response.status_code == 200
    client = app.test_client()
    response = client.login("pm@example.org", environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_eleventh_failed_attempt_from_an_address_gets_429(app, client, make_person):
    for n in range(10):
        response = client.login(f"nobody{n}@example.org", "not the password")
        assert response.status_code == 200
    assert client.login("nobody99@example.org", "not the password").status_code == 429


def test_successful_logins_do_not_count_towards_the_limit(app, make_person):
    make_person("pm@example.org")
    for _ in range(12):
        assert app.test_client().login("pm@example.org").status_code == 302


def test_session_cookies_are_host_only_httponly_lax_and_secure(client, make_person):
    make_person("pm@example.org")
    response = client.login("pm@example.org", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("__Host-coe_session=", "__Host-coe_remember=", "__Host-coe_device="):
        cookie = next(c for c in cookies if c.startswith(name))
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" in cookie
        assert "Path=/" in cookie and "Domain=" not in cookie


def test_passwords_are_stored_as_argon2id_hashes(app, make_person):
    from coe.auth.models import Person
    from coe.extensions import db

    person_id = make_person("pm@example.org")
    with app.app_context():
        stored = db.session.get(Person, person_id).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_production_hasher_meets_owasp_parameters():
    from coe.auth.passwords import _production

    assert _production.memory_cost >= 19 * 1024 and _production.time_cost >= 2
    assert _production.type.name == "ID"


def test_password_of_128_characters_is_accepted(app, client, make_person):
    long_password = ("the tide tables of Lerwick harbour were wrong all winter, so the ferry "
                     "waited and the coffee in the terminal ran out twice before spring")[:128]
    assert len(long_password) == 128
    make_person("pm@example.org", password=long_password)
    assert client.login("pm@example.org", long_password).status_code == 302


def test_behind_a_trusted_proxy_the_throttle_counts_the_forwarded_address(make_app):
    app = make_app(COE_TRUSTED_PROXIES=1)
    for n in range(10):
        client = app.test_client()
        headers = {"X-Forwarded-For": "203.0.113.7"}
        assert client.login(f"nobody{n}@example.org", "not the password", headers=headers).status_code == 200
    # Same proxy, another client behind it: not throttled.
    assert app.test_client().login("x@example.org", "wrong password", headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 200
    assert app.test_client().login("y@example.org", "wrong password", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429


def test_login_limit_holds_across_workers_sharing_redis(make_app, make_person):
    """Two app instances (two workers) count failed logins in one Redis."""
    import os

    import pytest
    import redis

    url = os.environ.get("COE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.ConnectionError:
        if os.environ.get("COE_REQUIRE_REDIS"):
            raise
        pytest.skip(f"no Redis at {url}; set COE_TEST_REDIS_URL to run this test")
    make_person("pm@example.org")
    workers = [make_app(RATELIMIT_STORAGE_URI=url) for _ in range(2)]
    for attempt in range(10):
        client = workers[attempt % 2].test_client()
        response = client.login("pm@example.org", "not the password", environ_base={"REMOTE_ADDR": f"10.1.0.{attempt}"})
        assert response.status_code == 200
    response = workers[0].test_client().login("pm@example.org", environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert response.status_code == 429
    redis.Redis.from_url(url).flushdb()
