"""A new PM takes New PM onboarding from enrolment to certificate in a real browser.

Pooja Iyer (a PM in Operations & Supply Chain, with no enrolment in the demo and no pass of the
onboarding quiz) enrols, reads the nine documents in order from the library, passes the onboarding
quiz, hands in her draft charter, which her team's lead Lucía Fernández approves, asks for the mentor
session's sign-off, which her mentor Julia Schmidt gives, and opens her certificate. Everything is
done by clicking through the pages; the quiz's right answers are read from the live database.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.conftest import second_person
from tests.browser.test_journeys import _serious_violations

pytestmark = pytest.mark.browser

TRACK = "new-pm-onboarding"
TRACK_FILE = Path(__file__).resolve().parents[2] / "content" / "tracks" / f"{TRACK}.yml"
QUIZ = "onboarding-essentials"
PM, PM_NAME = "pooja.iyer@example.org", "Pooja Iyer"
LEAD, LEAD_NAME = "lucia.fernandez@example.org", "Lucía Fernández"  # leads Operations & Supply Chain
MENTOR, MENTOR_NAME = "julia.schmidt@example.org", "Julia Schmidt"  # Pooja's mentor in the demo

CHARTER_TEXT = ("Draft charter v0.2 for the Venlo warehouse opening (Tier 2: budget and duration in the Tier 2 "
                "ranges, no regulatory exposure). Objectives carry a measure, a target and a date; out of scope: "
                "mezzanine picking, the returns hall and the carrier tender already declined by the sponsor.")
CHARTER_LINK = "https://sharepoint.example.org/sites/pmo/venlo-warehouse/charter-v0.2.docx"


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def visible(fragment: str) -> str:
    """The text a reader sees of an HTML fragment, spaces collapsed."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return " ".join(html.unescape("".join(parser.parts)).split())


@pytest.fixture
def live_database(request, live_server) -> str:
    """The live server's database URL.

    It is kept in LIVE_DATABASE of the conftest module pytest loaded; importing that file again under
    another name (tests.browser.conftest) gives a copy whose LIVE_DATABASE stays empty.
    """
    conftest = Path(__file__).with_name("conftest.py")
    loaded = next(plugin for plugin in request.config.pluginmanager.get_plugins()
                  if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == conftest.resolve())
    return loaded.LIVE_DATABASE["url"]


def quiz_questions(url: str) -> list[tuple[str, dict]]:
    """The quiz's live questions as the server shows them: (type, the question rendered to HTML, with weights)."""
    from sqlalchemy import create_engine, text

    from coe.config import database_url

    engine = create_engine(database_url("", {"COE_DATABASE_URL": url}))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT q.type, q.html FROM quiz_question q JOIN quiz z ON z.id = q.quiz_id "
                "WHERE z.slug = :slug AND q.archived_at IS NULL ORDER BY q.position"), {"slug": QUIZ}).all()
    finally:
        engine.dispose()
    return [(qtype, json.loads(data) if isinstance(data, str) else data) for qtype, data in rows]


def number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def answer_correctly(page, qtype: str, question: dict) -> None:
    """Find the question by its text, then pick or type its right answer by the answer's visible text."""
    card = page.locator("fieldset").filter(has_text=visible(question["text"]))
    expect(card).to_have_count(1)
    if qtype == "single":
        right = next(c for c in question["choices"] if c["weight"] == 100)
        card.get_by_label(visible(right["text"]), exact=True).check()
    elif qtype == "multiple":
        for choice in question["choices"]:
            box = card.get_by_label(visible(choice["text"]), exact=True)
            if choice["weight"] > 0:
                box.check()
            else:
                expect(box).not_to_be_checked()
    elif qtype == "truefalse":
        card.get_by_label("True" if question["answer"] else "False", exact=True).check()
    elif qtype == "short":
        card.get_by_label("Your answer").fill(next(a["text"] for a in question["answers"] if a["weight"] == 100))
    elif qtype == "numeric":
        best = next(a for a in question["answers"] if a["weight"] == 100)
        card.get_by_label("Your answer").fill(number(best["value"] if best.get("low") is None else best["low"]))
    elif qtype == "matching":
        for pair in question["pairs"]:
            card.get_by_label(visible(pair["left"]), exact=True).select_option(label=visible(pair["right"]))
    else:
        raise AssertionError(f"the onboarding quiz has a {qtype} question this test does not know how to answer")


def expect_progress(page, done: int, total: int, current: str = "Available") -> None:
    """On the track page: the count, then Done for the first ``done`` steps, ``current`` next, Locked after it."""
    page.goto(f"/tracks/{TRACK}")
    expect(page.get_by_text(f"{done} of {total} steps done", exact=True)).to_be_visible()
    steps = page.locator("ol.list-group > li")
    expect(steps).to_have_count(total)
    for n in range(total):
        badge = steps.nth(n).locator(".badge")
        if n < done:
            expect(badge).to_have_text(re.compile(r"^Done"))
        elif n == done:
            expect(badge).to_have_text(current)
        else:
            expect(badge).to_have_text("Locked")


def review(browser, live_server, email: str, step_title: str, comment: str) -> None:
    """A reviewer opens their queue, opens the PM's submission for ``step_title`` and approves it."""
    reviewer = second_person(browser, live_server, email)
    reviewer.goto("/tracks/reviews")
    expect(reviewer.get_by_role("heading", name="Practice tasks and sessions to review")).to_be_visible()
    reviewer.get_by_role("link", name=f"{PM_NAME}: {step_title}", exact=True).click()
    expect(reviewer.get_by_role("heading", level=1, name=step_title)).to_be_visible()
    expect(reviewer.get_by_text(f"By {PM_NAME}, submitted")).to_be_visible()
    expect(reviewer.get_by_text("Awaiting review", exact=True)).to_be_visible()
    reviewer.get_by_label("Comment").fill(comment)
    reviewer.get_by_role("button", name="Approve", exact=True).click()
    reviewer.wait_for_url("**/tracks/reviews")
    expect(reviewer.get_by_text("Approved: the step is complete.")).to_be_visible()
    expect(reviewer.get_by_role("link", name=f"{PM_NAME}: {step_title}", exact=True)).to_have_count(0)
    reviewer.context.close()


def test_a_new_pm_completes_onboarding_end_to_end_and_opens_the_certificate(page, login, browser, live_server,
                                                                           live_database):
    track = yaml.safe_load(TRACK_FILE.read_text(encoding="utf-8"))
    steps = track["steps"]
    total = len(steps)
    reads = [s["document"] for s in steps if s["kind"] == "read"]
    assert [s["kind"] for s in steps] == ["read"] * len(reads) + ["quiz", "task", "mentor"]
    task, session = steps[-2], steps[-1]
    title = track["title"]

    # 1. Enrol from the catalogue.
    login(PM)
    page.get_by_role("link", name="Tracks", exact=True).click()
    page.locator("#track-list").get_by_role("link", name=re.compile("^New PM onboarding")).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_text(f"You are enrolled in “{title}”. Start with the first step.")).to_be_visible()
    expect_progress(page, 0, total)

    # The mentor who will sign off the session is the PM's own.
    page.goto("/bookings")
    expect(page.locator("li", has=page.get_by_role("link", name=MENTOR_NAME, exact=True))).to_contain_text("active")

    # 2. Read the nine documents in order, each marked as read from its library page.
    for n, document in enumerate(reads):
        page.goto(f"/tracks/{TRACK}")
        page.get_by_role("link", name=re.compile("^Continue where you left off")).click()
        page.wait_for_url(f"**/library/{document}")
        heading = page.get_by_role("heading", level=1).inner_text().strip()
        page.get_by_role("button", name=f"Mark as read for {title}", exact=True).click()
        page.wait_for_url(f"**/library/{document}")
        expect(page.get_by_text(f"“{heading}” is marked as read.")).to_be_visible()
        expect(page.get_by_role("button", name=f"Mark as read for {title}", exact=True)).to_have_count(0)
        expect_progress(page, n + 1, total)

    # 3. The quiz: start an attempt, answer every question right by its text, submit, passed.
    page.get_by_role("link", name=re.compile("^Continue where you left off")).click()
    page.wait_for_url(f"**/quizzes/{QUIZ}")
    expect(page.get_by_text("As many attempts as you like; your best attempt counts.")).to_be_visible()
    expect(page.get_by_text("Passed", exact=True),
           f"{PM_NAME} must not have passed the quiz in the demo, or its step completes without her").to_have_count(0)
    page.get_by_role("button", name="Start an attempt").click()
    expect(page.get_by_role("button", name="Submit for grading")).to_be_visible()
    questions = quiz_questions(live_database)
    assert len(questions) >= 10
    expect(page.locator("fieldset")).to_have_count(len(questions))
    for qtype, question in questions:
        answer_correctly(page, qtype, question)
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.get_by_text(re.compile(r"^Attempt \d+ is graded: 100%\.$"))).to_be_visible()
    expect(page.get_by_text("Passed", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Right · 100(\.0)?%$"))).to_have_count(len(questions))
    expect_progress(page, len(reads) + 1, total)

    # 4. The practice task: the PM hands in the draft charter ...
    page.get_by_role("link", name=re.compile("^Continue where you left off")).click()
    page.wait_for_url(f"**/tracks/{TRACK}/steps/{task['id']}")
    expect(page.get_by_role("heading", name="Submit your work")).to_be_visible()
    page.get_by_label("Your answer").fill(CHARTER_TEXT)
    page.get_by_label("Link (optional)").fill(CHARTER_LINK)
    page.get_by_role("button", name="Submit for review").click()
    handed_in = "Submitted. Your lead or mentor reviews it; you will see their answer here."
    expect(page.get_by_text(handed_in)).to_be_visible()
    expect(page.get_by_text("Submitted: awaiting review by your lead or mentor.")).to_be_visible()
    expect(page.get_by_role("link", name=CHARTER_LINK)).to_be_visible()
    expect_progress(page, len(reads) + 1, total, current="Awaiting review")

    # ... and the lead of her team approves it from the review queue.
    review(browser, live_server, LEAD, task["title"],
           "Tier and gates are right; add the owner of the racking risk before G1.")
    page.goto(f"/tracks/{TRACK}/steps/{task['id']}")
    expect(page.get_by_text("This step is complete.")).to_be_visible()
    expect(page.get_by_text("Approved", exact=True)).to_be_visible()
    expect(page.get_by_text(f"{LEAD_NAME}:")).to_be_visible()
    expect(page.get_by_text("add the owner of the racking risk before G1")).to_be_visible()
    expect_progress(page, total - 1, total)

    # 5. The mentor session: the PM asks for sign-off, her mentor gives it.
    page.get_by_role("link", name=re.compile("^Continue where you left off")).click()
    page.wait_for_url(f"**/tracks/{TRACK}/steps/{session['id']}")
    expect(page.get_by_role("heading", name="Ask for sign-off")).to_be_visible()
    page.get_by_label("Your answer").fill(f"Walked {MENTOR_NAME} through the draft charter on Tuesday, 50 minutes.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted: awaiting review by your lead or mentor.")).to_be_visible()
    expect_progress(page, total - 1, total, current="Awaiting review")
    review(browser, live_server, MENTOR, session["title"],
           "Explained the tier and the G1 deciders without notes. Gap: tolerances; reread the governance page.")
    page.goto(f"/tracks/{TRACK}/steps/{session['id']}")
    expect(page.get_by_text("This step is complete.")).to_be_visible()
    expect(page.get_by_text(f"{MENTOR_NAME}:")).to_be_visible()

    # 6. The track is complete and the certificate names her.
    expect_progress(page, total, total)
    expect(page.get_by_text("You completed this track")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Continue where you left off"))).to_have_count(0)
    expect(page.get_by_role("button", name="Leave this track")).to_have_count(0)
    page.get_by_role("link", name="Open your certificate").click()
    page.wait_for_url(f"**/tracks/{TRACK}/certificate")
    expect(page.get_by_role("heading", name="Certificate of completion")).to_be_visible()
    certificate = page.locator(".certificate")
    expect(certificate.locator(".certificate-name")).to_have_text(PM_NAME)
    expect(certificate).to_contain_text(title)
    expect(certificate.locator("strong.font-monospace")).to_have_text(re.compile(r"^[0-9A-F]{4}(-[0-9A-F]{4}){3}$"))
    assert _serious_violations(page) == []
