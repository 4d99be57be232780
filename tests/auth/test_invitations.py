"""New people get in through one-time links: invitations from admins, password resets they ask for."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import urlsplit

from coe.auth.models import Person, SignInLink
from coe.extensions import db


def link_in(text: str) -> str:
    match = re.search(r"https?://[^\s\"<]+/password/set/[A-Za-z0-9_\-]+", text)
    assert match, text
    return urlsplit(match.group(0)).path


def set_password_through(client, path: str, password: str = "a brand new passphrase"):
    return client.submit(path, {"new_password": password, "confirm": password})


def add_person(admin_client, email: str = "new.pm@example.org", **extra):
    return admin_client.submit("/admin/people/new", {
        "email": email, "display_name": "New PM", "team_id": "0", "role_profile": "pm", "time_zone": "UTC",
        "invite": "y", **extra}, follow_redirects=True)


def test_without_mail_the_admin_sees_the_link_and_the_person_signs_in_with_it(app, admin_client):
    page = add_person(admin_client).get_data(as_text=True)
    assert "one-time link to set their password" in page
    path = link_in(page)
    newcomer = app.test_client()
    assert "Welcome, New" in newcomer.get(path).get_data(as_text=True)
    response = set_password_through(newcomer, path)
    assert response.status_code == 302
    assert newcomer.get("/").status_code == 200  # signed in
    assert app.test_client().login("new.pm@example.org", "a brand new passphrase").status_code == 302


def test_a_link_works_once_and_is_stored_only_as_a_hash(app, admin_client):
    path = link_in(add_person(admin_client).get_data(as_text=True))
    secret = path.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalar(db.select(SignInLink))
        assert secret not in (stored.secret_hash, stored.password_marker)
    assert set_password_through(app.test_client(), path).status_code == 302
    response = app.test_client().get(path)
    assert response.status_code == 410
    assert "already been used" in response.get_data(as_text=True)


def test_an_invitation_expires_after_seven_days(app, admin_client):
    path = link_in(add_person(admin_client).get_data(as_text=True))
    with app.app_context():
        link = db.session.scalar(db.select(SignInLink))
        assert link.expires_at.replace(tzinfo=dt.timezone.utc) - link.created_at.replace(tzinfo=dt.timezone.utc) \
            == dt.timedelta(days=7)
        link.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
        db.session.commit()
    assert "expired" in app.test_client().get(path).get_data(as_text=True)


def test_a_new_link_replaces_the_old_one_and_a_password_change_voids_any(app, admin_client, make_person):
    person = make_person("pm@example.org")
    first = link_in(admin_client.submit(f"/admin/people/{person}/link", page=f"/admin/people/{person}")
                    .get_data(as_text=True))
    second = link_in(admin_client.submit(f"/admin/people/{person}/link", page=f"/admin/people/{person}")
                     .get_data(as_text=True))
    assert "newer link" in app.test_client().get(first).get_data(as_text=True)
    pm = app.test_client()
    pm.login("pm@example.org")
    pm.submit("/account", {"password-current_password": "correct horse battery staple",
                           "password-new_password": "another long passphrase",
                           "password-confirm": "another long passphrase", "password-change_password": "y"})
    assert "password of this account changed" in app.test_client().get(second).get_data(as_text=True)


def test_the_person_page_shows_whether_the_invitation_is_pending_used_or_expired(app, admin_client):
    path = link_in(add_person(admin_client).get_data(as_text=True))
    with app.app_context():
        person_id = db.session.scalar(db.select(Person.id).where(Person.email == "new.pm@example.org"))
    assert "pending" in admin_client.get(f"/admin/people/{person_id}").get_data(as_text=True)
    set_password_through(app.test_client(), path)
    assert ">used<" in admin_client.get(f"/admin/people/{person_id}").get_data(as_text=True)


def test_with_mail_the_invitation_arrives_by_email(mailing_app, admin_client, mail_server):
    page = add_person(admin_client, "mailed@example.org").get_data(as_text=True)
    assert "invited by email" in page and "/password/set/" not in page
    [message] = mail_server.inbox.to("mailed@example.org")
    assert message["Subject"] == "Your account on the PM Center of Excellence"
    assert message["From"] == "coe@example.org"
    path = link_in(message.get_payload(decode=True).decode())
    assert set_password_through(mailing_app.test_client(), path).status_code == 302


def test_a_mail_task_run_twice_sends_each_message_once(mailing_app, mail_server):
    from coe.mail import deliver_mails

    message = {"key": "test:once", "to": "once@example.org", "subject": "Once", "text": "Only once.\n",
               "attachments": []}
    with mailing_app.app_context():
        deliver_mails([message])
        deliver_mails([message])  # a retry, or a second worker
    assert len(mail_server.inbox.to("once@example.org")) == 1


def test_mail_goes_out_only_when_the_change_is_committed(mailing_app, admin_client, mail_server):
    from coe.extensions import db
    from coe.mail import Mail, send

    with mailing_app.test_request_context():
        send([Mail("test:rolled-back", "never@example.org", "Never", "Rolled back.\n")])
        db.session.rollback()
        db.session.commit()
    assert mail_server.inbox.to("never@example.org") == []


def test_forgot_password_sends_a_one_hour_link_and_says_the_same_for_unknown_addresses(
        mailing_app, client, make_person, mail_server):
    make_person("pm@example.org")
    known = client.submit("/password/forgot", {"email": "pm@example.org"}).get_data(as_text=True)
    unknown = client.submit("/password/forgot", {"email": "nobody@example.org"}).get_data(as_text=True)
    strip = lambda html: re.sub(r'name="csrf_token"[^>]*', "", html)  # noqa: E731
    assert strip(known) == strip(unknown)
    assert mail_server.inbox.to("nobody@example.org") == []
    [message] = mail_server.inbox.to("pm@example.org")
    assert "within 60 minutes" in message.get_payload(decode=True).decode()
    with mailing_app.app_context():
        link = db.session.scalar(db.select(SignInLink))
        assert link.purpose == "reset"
        assert (link.expires_at.replace(tzinfo=None) - link.created_at.replace(tzinfo=None)) == dt.timedelta(hours=1)
    path = link_in(message.get_payload(decode=True).decode())
    assert set_password_through(mailing_app.test_client(), path, "my recovered passphrase").status_code == 302
    assert mailing_app.test_client().login("pm@example.org", "my recovered passphrase").status_code == 302


def test_forgot_password_is_throttled(mailing_app, client, make_person):
    make_person("pm@example.org")
    statuses = [client.submit("/password/forgot", {"email": "pm@example.org"}).status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429


def test_without_mail_forgot_password_sends_people_to_their_admin(client):
    page = client.get("/password/forgot").get_data(as_text=True)
    assert "does not send email" in page and "Ask your CoE admin" in page


def test_an_import_can_invite_everyone_and_without_mail_lists_their_links(app, admin_client, make_team):
    make_team("Digital Delivery")
    csv_text = ("email,name,team,role_profile,roles\n"
                "ana@example.org,Ana Lopes,Digital Delivery,pm,\n"
                "bo@example.org,Bo Berg,Digital Delivery,associate-pm,\n")
    response = admin_client.submit("/admin/people/import", {
        "file": (io.BytesIO(csv_text.encode()), "people.csv"), "invite": "y"}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "2 people imported" in page
    assert page.count("/password/set/") == 4  # each link in the copy-all box and in the table
    assert "ana@example.org" in page and "bo@example.org" in page


def test_cli_invite_prints_the_link_without_mail(app, runner, make_person):
    make_person("pm@example.org", password=None)
    result = runner.invoke(args=["users", "invite", "pm@example.org"])
    assert result.exit_code == 0, result.output
    assert "pm@example.org,http" in result.output and "/password/set/" in result.output
