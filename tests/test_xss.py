"""Cross-site scripting: a corpus of payloads through every field a person can write, read back on every page that shows it.

Each field in FIELDS says how a person writes it and which pages show it (to its writer and to
others). For every payload the field is written (or refused, which is as safe), and each page's
HTML is parsed: it must hold no script the site did not write, no event handler, no dangerous URL
and no element that loads or frames content. The payload's text must appear on at least one page
for most payloads, so that a field silently dropping its input cannot pass for a safe one.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest

from coe.auth.models import Person
from coe.errors import InvalidInput
from coe.extensions import db

PAYLOADS = [
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script src=//evil.example/x.js></script>",
    "\"><script>alert(1)</script>",
    "'><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</option></select><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"alert(1)\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<img src=1 href=1 onerror=\"javascript:alert(1)\"></img>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<div onmouseover=\"alert(1)\">hover</div>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"&#106;avascript:alert(1)\">click</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">click</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">click</a>",
    "<a href=\"vbscript:msgbox(1)\">click</a>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<base href=\"//evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<button formaction=\"javascript:alert(1)\">go</button>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "javascript:alert(1)",
    "[click](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "{{ 7 * 7 }}{% raw %}",
    "${alert(1)}",
    "'-alert(1)-'",
    "\";alert(1);//",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<!--<script>alert(1)//-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<template><script>alert(1)</script></template>",
    "<x onclick=alert(1)>click</x>",
]
assert len(PAYLOADS) >= 50

DANGEROUS_ELEMENTS = {"iframe", "object", "embed", "base", "applet", "frame", "frameset", "math", "template"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "srcdoc", "background"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html")


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not (attributes.get("src") or "").startswith("/"):
            self.problems.append(f"a <script> the site did not write: {attrs}")
        if tag == "style":
            self.problems.append("a <style> element")
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("a refresh <meta>")
        if tag in DANGEROUS_ELEMENTS:
            self.problems.append(f"a <{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an event handler {name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"a style attribute on <{tag}>")
            if name in URL_ATTRIBUTES and value:
                squeezed = "".join(value.split()).lower()
                if squeezed.startswith(DANGEROUS_SCHEMES):
                    self.problems.append(f"a dangerous URL {name}={value!r} on <{tag}>")


def live_markup(html: str) -> list[str]:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def test_the_inspector_catches_what_it_is_for():
    """The checker is the test's eyes: it must see each kind of live markup."""
    for html in ('<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<a href=" javascript:x">',
                 '<iframe src=/x></iframe>', '<div style="x">', '<meta http-equiv="Refresh" content="0">',
                 '<a href="data:text/html;base64,xx">'):
        assert live_markup(html), html
    assert live_markup('<p>&lt;script&gt;alert(1)&lt;/script&gt; <a href="/library">ok</a></p>'
                       '<script src="/static/js/coe.js"></script>') == []


# --- the fields a person writes ---------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    write: Callable  # (app, clients, world, payload) -> None
    pages: Callable  # (world) -> [(client name, path)]
    shown: bool = True  # the payload's text appears on a page (False where it is always refused)


def _world(app, make_person, make_team):
    team = make_team("Digital Delivery")
    return {
        "team": team,
        "pm": make_person("pm@example.org", name="Priya Patel", team_id=team),
        "lead": make_person("lead@example.org", name="Leona Lead", team_id=team, leads=(team,),
                            role_profile="program-manager"),
        "admin": make_person("admin@example.org", name="Alex Admin", admin=True),
    }


def _write_display_name(app, clients, world, payload):
    clients["pm"].submit("/account", {"profile-display_name": payload, "profile-time_zone": "UTC",
                                      "profile-save_profile": "y"})


def _write_team(app, clients, world, payload):
    clients["admin"].submit(f"/admin/teams/{world['team']}", {"name": payload[:120], "description": payload,
                                                                "lead_ids": [str(world["lead"])]})


def _write_rating_note(app, clients, world, payload):
    clients["pm"].submit("/me/competencies", {"rating-competency": "risk-management", "rating-level": "2",
                                              "rating-note": payload, "rating-rate": "y"})
    clients["lead"].submit(f"/people/{world['pm']}/competencies", {
        "rating-competency": "stakeholder-engagement", "rating-level": "2", "rating-note": payload,
        "rating-as_role": "lead", "rating-rate": "y"})


def _write_evidence_url(app, clients, world, payload):
    clients["pm"].submit("/me/competencies", {"rating-competency": "risk-management", "rating-level": "3",
                                              "rating-note": "Ran the risk workshop.", "rating-evidence_url": payload,
                                              "rating-rate": "y"})


def _write_goal_title(app, clients, world, payload):
    """A goal's title and link are the plan item's own; a forged title or address goes nowhere. The service
    below the form takes any title and link, as imports and other domains may: those are written directly."""
    from coe.competency import profile

    target = (dt.date.today() + dt.timedelta(days=30))
    for title, url in ((payload, payload), (payload, "/" + payload)):
        clients["pm"].submit("/me/competencies/goals", {"competency": "risk-management", "title": title, "url": url,
                                                        "target_date": target.isoformat()}, page="/me/competencies")
    with app.app_context():
        person = db.session.get(Person, world["pm"])
        for title, url in ((payload, ""), ("A goal with a link", payload), ("A goal with a site link", "/" + payload)):
            try:
                profile.add_goal(person, "risk-management", title, "document", url, target)
                db.session.commit()
            except InvalidInput:
                db.session.rollback()


def _write_import(app, clients, world, payload):
    name = payload.replace('"', "'").replace("\n", " ")
    csv_text = (f'email,name,team,role_profile,roles\n'
                f'new.{PAYLOADS.index(payload)}@example.org,"{name}",Digital Delivery,pm,\n')
    token = clients["admin"].csrf_token("/admin/people/import")
    response = clients["admin"].post("/admin/people/import", data={
        "file": (io.BytesIO(csv_text.encode()), "people.csv"), "csrf_token": token},
        content_type="multipart/form-data")
    # Refused or imported, the answer page echoes the rows: it is read like the others.
    assert live_markup(response.get_data(as_text=True)) == [], payload


def _write_quiz_answers(app, clients, world, payload):
    """A short answer and an essay, submitted; the review shows them back to their writer."""
    from sqlalchemy import select

    from coe.quizzes.models import QuizAttempt, QuizQuestion

    response = clients["pm"].submit("/quizzes/change-and-governance/start", {"start": "y"},
                                    page="/quizzes/change-and-governance")
    path = response.headers["Location"]
    with app.app_context():
        attempt = db.session.scalar(select(QuizAttempt).order_by(QuizAttempt.id.desc()).limit(1))
        kinds = dict(db.session.execute(select(QuizQuestion.id, QuizQuestion.type)
                                        .where(QuizQuestion.id.in_(attempt.question_ids))).all())
    answers = {f"q{qid}": payload for qid, kind in kinds.items() if kind in ("short", "essay", "numeric")}
    clients["pm"].submit(path, {**answers, "finish": "y"})
    world["quiz_review"] = path + "/review"
def _write_submission(app, clients, world, payload):
    from coe.training.models import StepSubmission
    from tests.training.helpers import finish

    with app.app_context():
        if "submission" not in world:
            finish(world["pm"], "new-pm-onboarding", world["admin"], until=10)
    clients["pm"].submit("/tracks/new-pm-onboarding/steps/draft-first-charter",
                         {"text": payload, "link": "https://docs.example.org/" + payload[:100]})
    with app.app_context():
        world["submission"] = db.session.scalar(db.select(db.func.max(StepSubmission.id)))
    clients["lead"].submit(f"/tracks/submissions/{world['submission']}", {"send_back": "Send back", "comment": payload})


def _search(app, clients, world, payload):
    pass  # the query is in the URL of the pages below


def _mentoring(app, world) -> None:
    """Once per test: the lead is a mentor with a profile and availability, and mentors the PM."""
    if "mentoring" in world:
        return
    from coe.mentoring import services

    with app.app_context():
        lead, admin = db.session.get(Person, world["lead"]), db.session.get(Person, world["admin"])
        lead.is_mentor = True
        services.save_profile(lead, services.ProfileData("Gate reviews.", ("risk-management",), ("en",), "UTC", 5,
                                                         True, 30, 0, 1, 60))
        for weekday in range(7):
            services.add_window(lead, weekday, dt.time(6), dt.time(22))
        services.assign_mentor(admin, world["pm"], world["lead"])
        db.session.commit()
    world["mentoring"] = True


def _write_bio(app, clients, world, payload):
    _mentoring(app, world)
    clients["lead"].submit("/mentor/profile", {"bio": payload, "competencies": "risk-management", "languages": "en",
                                               "time_zone": "UTC", "capacity": "5", "accepting": "y",
                                               "session_minutes": "30", "buffer_minutes": "0", "notice_hours": "1",
                                               "horizon_days": "60", "save_profile": "y"})


def _write_request(app, clients, world, payload):
    from coe.mentoring.models import Mentorship

    _mentoring(app, world)
    with app.app_context():
        pending = db.session.scalar(db.select(Mentorship.id).where(Mentorship.mentee_id == world["admin"],
                                                                  Mentorship.state == "requested"))
    if pending:  # the mentor declines the last request with the payload, which the mentee then reads
        clients["lead"].submit(f"/mentor/requests/{pending}", {"message": payload, "decline": "y"},
                               page="/mentor/requests")
    clients["admin"].submit(f"/mentors/{world['lead']}/request", {"goals": payload, "send_request": "y"},
                            page=f"/mentors/{world['lead']}")


def _write_topic(app, clients, world, payload):
    from coe.mentoring import services

    _mentoring(app, world)
    with app.app_context():
        start = services.free_slots(world["lead"])[-1].start  # the latest free slot: each booking lists first
    clients["pm"].submit(f"/mentors/{world['lead']}/book", {"start": start.isoformat(), "topic": payload[:200],
                                                            "book": "y"}, page=f"/mentors/{world['lead']}")


def _past_booking(app, world, index: int) -> int:
    from coe.mentoring import services
    from coe.mentoring.models import Booking

    with app.app_context():
        mentorship = services.active_mentorship(world["lead"], world["pm"])
        start = services.now().replace(microsecond=0) - dt.timedelta(days=3) + dt.timedelta(minutes=index)
        booking = Booking(mentorship_id=mentorship.id, mentor_id=world["lead"], mentee_id=world["pm"],
                          starts_at=start, ends_at=start + dt.timedelta(minutes=30), topic="Gate pack review")
        db.session.add(booking)
        db.session.commit()
        return booking.id


def _write_note_and_rating(app, clients, world, payload):
    _mentoring(app, world)
    booking = _past_booking(app, world, PAYLOADS.index(payload))
    clients["pm"].submit(f"/bookings/{booking}/notes", {"body": payload, "add_note": "y"}, page="/bookings")
    clients["pm"].submit(f"/bookings/{booking}/rating", {"stars": "4", "comment": payload, "rate": "y"},
                         page="/bookings")
    clients["lead"].submit(f"/bookings/{booking}/signoff", {"competency": "risk-management", "level": "3",
                                                            "note": payload, "sign_off": "y"}, page="/bookings")


def _write_reflection(app, clients, world, payload):
    from coe.mentoring import services

    _mentoring(app, world)
    with app.app_context():
        mentorship = services.active_mentorship(world["lead"], world["pm"])
    clients["pm"].submit(f"/mentorships/{mentorship.id}/end", {"reflection": payload, "end": "y"}, page="/bookings")
    with app.app_context():
        services.assign_mentor(db.session.get(Person, world["admin"]), world["pm"], world["lead"])
        db.session.commit()


FIELDS: dict[str, Field] = {
    "display name": Field(_write_display_name, lambda w: [
        ("pm", "/account"), ("pm", "/"), ("admin", "/admin/people"), ("admin", f"/admin/people/{w['pm']}"),
        ("lead", f"/people/{w['pm']}/competencies"), ("admin", "/admin/audit"), ("lead", "/team"),
        ("lead", "/")]),
    "team name and description": Field(_write_team, lambda w: [
        ("admin", "/admin/teams"), ("admin", "/admin/people"), ("pm", "/account"),
        ("admin", f"/admin/teams/{w['team']}"), ("lead", "/team"), ("admin", "/team"), ("lead", "/team/trend")]),
    "rating note": Field(_write_rating_note, lambda w: [
        ("pm", "/me/competencies"), ("lead", f"/people/{w['pm']}/competencies")]),
    "evidence link": Field(_write_evidence_url, lambda w: [
        ("pm", "/me/competencies"), ("lead", f"/people/{w['pm']}/competencies")], shown=False),
    "goal title": Field(_write_goal_title, lambda w: [("pm", "/me/competencies"), ("pm", "/")]),
    "imported name": Field(_write_import, lambda w: [("admin", "/admin/people?q=new."), ("admin", "/admin/audit")]),
    "quiz answers": Field(_write_quiz_answers, lambda w: [("pm", w["quiz_review"]),
                                                          ("pm", "/quizzes/change-and-governance")]),
    "mentor bio": Field(_write_bio, lambda w: [("pm", f"/mentors/{w['lead']}"), ("lead", "/mentor/profile"),
                                               ("admin", f"/mentors/{w['lead']}")]),
    "mentoring request goals and reply": Field(_write_request, lambda w: [
        ("lead", "/mentor/requests"), ("admin", "/bookings"), ("lead", "/")]),
    "booking topic": Field(_write_topic, lambda w: [("pm", "/bookings"), ("lead", "/bookings"), ("pm", "/"),
                                                    ("lead", "/notifications")]),
    "session note, rating comment and sign-off note": Field(_write_note_and_rating, lambda w: [
        ("pm", "/bookings"), ("lead", "/bookings"), ("pm", "/notifications"), ("lead", "/")]),
    "mentorship reflection": Field(_write_reflection, lambda w: [("pm", "/bookings"), ("lead", "/bookings"),
                                                                 ("lead", "/mentor/mentees")]),
    "practice-task submission and review comment": Field(_write_submission, lambda w: [
        ("pm", "/tracks/new-pm-onboarding/steps/draft-first-charter"), ("lead", f"/tracks/submissions/{w['submission']}"),
        ("lead", "/tracks/reviews")]),
    "search query": Field(_search, lambda w: [("pm", "/search?q={payload}"), ("pm", "/library?q={payload}")]),
}


@pytest.mark.parametrize("name", list(FIELDS))
def test_no_payload_comes_back_as_live_markup(app, make_person, make_team, name):
    from urllib.parse import quote

    field = FIELDS[name]
    world = _world(app, make_person, make_team)
    clients = {}
    for who in ("pm", "lead", "admin"):
        clients[who] = app.test_client()
        assert clients[who].login(f"{who}@example.org").status_code == 302
    shown = 0
    for payload in PAYLOADS:
        field.write(app, clients, world, payload)
        seen = False
        for who, path in field.pages(world):
            response = clients[who].get(path.replace("{payload}", quote(payload)))
            assert response.status_code in (200, 404), (name, payload, path, response.status_code)
            html = response.get_data(as_text=True)
            problems = live_markup(html)
            assert problems == [], (name, payload, path, problems)
            seen = seen or _shows(html, payload)
        shown += seen
    if field.shown:
        assert shown >= len(PAYLOADS) // 2, f"{name}: only {shown} payloads were shown anywhere"


def _shows(html: str, payload: str) -> bool:
    """Whether the page shows the payload as text (escaped), so the field was written and read back."""
    from html import unescape

    text = unescape(html)
    return payload in text or payload[:40] in text


def test_names_from_the_database_are_escaped_in_every_page_that_lists_people(app, admin_client, make_person):
    """Stored before any of today's checks (an import from an older version): still only text."""
    person = make_person("old@example.org")
    with app.app_context():
        db.session.get(Person, person).display_name = "<img src=x onerror=alert(1)>"
        db.session.commit()
    for path in ("/admin/people", f"/admin/people/{person}", "/admin/teams", "/admin/", "/team", "/"):
        assert live_markup(admin_client.get(path).get_data(as_text=True)) == [], path
