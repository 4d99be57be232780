"""An address that is a credential (a one-time password link) is never repeated in a Referer header.

With ``Referrer-Policy: same-origin`` a browser sends the page's full address as the Referer of
every stylesheet, script and link it requests from the site, and access logs record the Referer:
the password link's secret would be written to the log by the page's own CSS request.
"""

from __future__ import annotations

from coe.auth import tokens
from coe.auth.models import Person
from coe.extensions import db


def test_the_set_password_page_asks_for_no_referrer(app, client, make_person):
    person_id = make_person("newcomer@example.org", password=None)
    with app.app_context():
        link = tokens.issue(db.session.get(Person, person_id), "invitation")
        db.session.commit()
    page = client.get(f"/password/set/{link.secret}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # A link that is no longer valid is no less a secret.
    assert client.get("/password/set/not-a-real-link-secret").headers["Referrer-Policy"] == "no-referrer"


def test_other_pages_keep_same_origin(client):
    assert client.get("/login").headers["Referrer-Policy"] == "same-origin"
