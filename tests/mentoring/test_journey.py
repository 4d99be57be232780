"""A PM finds a mentor, asks, is accepted, books, reschedules and cancels; calendar files follow each step."""

from __future__ import annotations

import datetime as dt
import re

from icalendar import Calendar
from sqlalchemy import select

from coe.auth.models import Person
from coe.extensions import db
from tests.mentoring.conftest import logged_in, pair


def _slots(html: str) -> list[str]:
    return re.findall(r'name="start" id="slot-\d+" value="([^"]+)"', html)


def _event(ics: bytes):
    calendar = Calendar.from_ical(ics)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    return calendar, events[0]


def test_pm_finds_asks_is_accepted_books_and_gets_a_calendar_file(app, mentoring):
    pm = logged_in(app, "pm@example.org")
    with app.app_context():
        db.session.execute(db.update(Person).where(Person.id == mentoring["pm"]).values(time_zone="Europe/Paris"))
        db.session.commit()
    page = pm.get("/mentors").get_data(as_text=True)
    assert "Maria Mentor" in page and "places free" in page and "Score breakdown" in page

    response = pm.submit(f"/mentors/{mentoring['mentor']}/request",
                         {"goals": "Run my first gate review alone.", "focus": "risk-management",
                          "send_request": "y"}, page=f"/mentors/{mentoring['mentor']}")
    assert response.status_code == 302
    mentor = logged_in(app, "mentor@example.org")
    requests_page = mentor.get("/mentor/requests").get_data(as_text=True)
    assert "Run my first gate review alone." in requests_page
    assert re.search(r'Notifications <span class="badge[^"]*" id="unread-count">1', requests_page)
    from coe.mentoring.models import Mentorship

    with app.app_context():
        mentorship_id = db.session.scalar(select(Mentorship.id))
    assert mentor.submit(f"/mentor/requests/{mentorship_id}", {"message": "Happy to.", "accept": "y"},
                         page="/mentor/requests").status_code == 302

    profile = pm.get(f"/mentors/{mentoring['mentor']}").get_data(as_text=True)
    assert "<strong>gate reviews</strong>" in profile
    starts = _slots(profile)
    assert starts, "a mentee sees free slots"
    response = pm.submit(f"/mentors/{mentoring['mentor']}/book", {"start": starts[0], "topic": "Gate 2 pack",
                                                                   "competency": "risk-management", "book": "y"},
                         page=f"/mentors/{mentoring['mentor']}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/bookings")
    from coe.mentoring.models import Booking

    with app.app_context():
        booking = db.session.scalar(select(Booking))
        booking_id, start = booking.id, booking.start
    assert start == dt.datetime.fromisoformat(starts[0])
    # The page shows the slot in the viewer's zone (Paris), stored in UTC.
    assert start.astimezone(dt.timezone.utc).tzinfo == dt.timezone.utc

    calendar, event = _event(pm.get(f"/bookings/{booking_id}.ics").data)
    assert str(calendar["method"]) == "REQUEST"
    assert event.decoded("dtstart") == start and event.decoded("dtend") == start + dt.timedelta(hours=60 / 60)
    assert event["organizer"] == "mailto:mentor@example.org" and event["attendee"] == "mailto:pm@example.org"
    uid = str(event["uid"])
    assert int(event["sequence"]) == 0

    later = _slots(pm.get(f"/mentors/{mentoring['mentor']}").get_data(as_text=True))[3]
    response = pm.submit(f"/bookings/{booking_id}/reschedule", {"start": later, "reason": "Steering moved"})
    assert response.status_code == 302
    _, moved = _event(mentor.get(f"/bookings/{booking_id}.ics").data)
    assert str(moved["uid"]) == uid and int(moved["sequence"]) == 1
    assert moved.decoded("dtstart") == dt.datetime.fromisoformat(later)

    assert mentor.submit(f"/bookings/{booking_id}/cancel", {"reason": "Off sick", "cancel": "y"},
                         page="/bookings").status_code == 302
    calendar, cancelled = _event(pm.get(f"/bookings/{booking_id}.ics").data)
    assert str(calendar["method"]) == "CANCEL" and str(cancelled["status"]) == "CANCELLED"
    assert str(cancelled["uid"]) == uid and int(cancelled["sequence"]) == 2
    assert "Off sick" in pm.get("/notifications").get_data(as_text=True)


def test_a_refused_request_shows_the_form_again_with_the_focus_picked_and_the_reason(app, mentoring):
    """The focus options are written by the page itself: a refused request keeps what was picked."""
    pm = logged_in(app, "pm@example.org")
    path = f"/mentors/{mentoring['mentor']}"
    page = pm.get(path).get_data(as_text=True)
    assert '<option value="risk-management">' in page and "selected" not in page.split('id="focus"')[1][:4000]
    response = pm.submit(f"{path}/request", {"goals": "", "focus": ["risk-management", "stakeholder-engagement"],
                                              "send_request": "y"}, page=path)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<option value="risk-management" selected>' in page
    assert '<option value="stakeholder-engagement" selected>' in page
    assert '<option value="governance">' in page
    assert "This field is required." in page
    with app.app_context():
        from coe.mentoring.models import Mentorship

        assert db.session.scalar(select(Mentorship.id)) is None


def test_a_second_booking_of_a_taken_slot_gets_the_just_taken_page(app, mentoring):
    pair(app, mentoring, "pm")
    pair(app, mentoring, "other")
    pm, other = logged_in(app, "pm@example.org"), logged_in(app, "other@example.org")
    start = _slots(pm.get(f"/mentors/{mentoring['mentor']}").get_data(as_text=True))[0]
    token = other.csrf_token(f"/mentors/{mentoring['mentor']}")
    assert pm.submit(f"/mentors/{mentoring['mentor']}/book", {"start": start, "topic": "Risks", "book": "y"},
                     page=f"/mentors/{mentoring['mentor']}").status_code == 302
    response = other.post(f"/mentors/{mentoring['mentor']}/book",
                          data={"start": start, "topic": "Mine", "book": "y", "csrf_token": token})
    assert response.status_code == 409 and "just taken" in response.get_data(as_text=True)


def test_cancel_and_reschedule_stop_at_the_minimum_notice(app, mentoring):
    from coe.errors import Conflict
    from coe.mentoring import services

    pair(app, mentoring)
    with app.app_context():
        pm = db.session.get(Person, mentoring["pm"])
        slot = services.free_slots(mentoring["mentor"])[0]
        booking = services.book(pm, mentoring["mentor"], slot.start, "Risks")
        db.session.commit()
        profile = services.get_profile(mentoring["mentor"])
        profile.notice_hours = 200
        db.session.commit()
        try:
            services.cancel(pm, booking.id, "Too late")
        except Conflict as error:
            assert "200 hours" in error.message
        else:
            raise AssertionError("a cancellation inside the notice went through")


def test_a_request_unanswered_for_seven_days_shows_expired_before_any_task(app, mentoring):
    from coe.errors import Conflict
    from coe.mentoring import services
    from coe.mentoring.models import Mentorship, Notification

    with app.app_context():
        pm = db.session.get(Person, mentoring["pm"])
        mentorship = services.request_mentor(pm, mentoring["mentor"], "Grow in risk.", [])
        mentorship.requested_at = services.now() - dt.timedelta(days=7, minutes=1)
        db.session.commit()
        mentorship_id = mentorship.id
    page = logged_in(app, "pm@example.org").get("/bookings").get_data(as_text=True)
    assert "expired" in page and "Ask another mentor" in page
    assert "Grow in risk." not in logged_in(app, "mentor@example.org").get("/mentor/requests").get_data(as_text=True)
    with app.app_context():
        mentor = db.session.get(Person, mentoring["mentor"])
        try:
            services.answer_request(mentor, mentorship_id, True, "")
        except Conflict as error:
            assert "expired" in error.message
        else:
            raise AssertionError("an expired request was accepted")
        db.session.rollback()
        # The PM may ask the same mentor again; the expiry task tells them once, however often it runs.
        services.request_mentor(db.session.get(Person, mentoring["pm"]), mentoring["mentor"], "Again.", [])
        assert services.expire_requests() == 1 and services.expire_requests() == 0
        db.session.commit()
        assert db.session.scalar(select(Mentorship.state).where(Mentorship.id == mentorship_id)) == "expired"
        assert db.session.scalar(select(db.func.count()).select_from(Notification).where(
            Notification.person_id == mentoring["pm"], Notification.key.like("%expired"))) == 1


def test_notes_are_private_to_the_pair_and_nobody_else_reaches_a_booking(app, mentoring):
    from coe.mentoring import services

    pair(app, mentoring)
    with app.app_context():
        slot = services.free_slots(mentoring["mentor"])[0]
        booking = services.book(db.session.get(Person, mentoring["pm"]), mentoring["mentor"], slot.start, "Risks")
        db.session.commit()
        booking_id = booking.id
    pm = logged_in(app, "pm@example.org")
    assert pm.submit(f"/bookings/{booking_id}/notes", {"body": "Owner for risk R7 is missing.", "add_note": "y"},
                     page="/bookings").status_code == 302
    assert "Owner for risk R7 is missing." in logged_in(app, "mentor@example.org").get("/bookings").get_data(as_text=True)
    for email in ("other@example.org", "lead@example.org", "admin@example.org"):
        client = logged_in(app, email)
        assert "Owner for risk R7" not in client.get("/bookings").get_data(as_text=True)
        assert client.get(f"/bookings/{booking_id}.ics").status_code == 404
        token = client.csrf_token("/bookings")
        for path, data in ((f"/bookings/{booking_id}/notes", {"body": "x", "add_note": "y"}),
                           (f"/bookings/{booking_id}/cancel", {"reason": "x", "cancel": "y"}),
                           (f"/bookings/{booking_id}/reschedule", {"start": slot.start.isoformat(), "reason": "x"})):
            assert client.post(path, data={**data, "csrf_token": token}).status_code == 404, (email, path)
        # Nor can they book the mentor's time without a mentorship of their own.
        later = slot.start + dt.timedelta(hours=3)
        response = client.post(f"/mentors/{mentoring['mentor']}/book", data={
            "start": later.isoformat(), "topic": "x", "book": "y", "csrf_token": token})
        assert response.status_code == 403, email


def test_a_mentor_signs_off_progress_and_sees_the_mentees_records_while_active(app, mentoring):
    from coe.competency.models import Evidence
    from coe.mentoring import services
    from coe.mentoring.models import Booking
    from coe.registry import registry

    pair(app, mentoring)
    heard = []
    with app.app_context():
        registry().mentor_signoff_listeners.append(lambda *args: heard.append(args))
        mentorship = services.active_mentorship(mentoring["mentor"], mentoring["pm"])
        start = services.now().replace(microsecond=0) - dt.timedelta(days=2)
        booking = Booking(mentorship_id=mentorship.id, mentor_id=mentoring["mentor"], mentee_id=mentoring["pm"],
                          starts_at=start, ends_at=start + dt.timedelta(hours=1), topic="Risk workshop")
        db.session.add(booking)
        db.session.commit()
        booking_id, mentorship_id = booking.id, mentorship.id
    mentor = logged_in(app, "mentor@example.org")
    assert mentor.get(f"/people/{mentoring['pm']}/competencies").status_code == 200
    assert mentor.submit(f"/bookings/{booking_id}/signoff", {"competency": "risk-management", "level": "3",
                                                             "note": "Ran the workshop.", "sign_off": "y"},
                         page="/bookings").status_code == 302
    assert heard == [(mentoring["pm"], "risk-management", mentoring["mentor"])]
    with app.app_context():
        evidence = db.session.scalar(select(Evidence).where(Evidence.person_id == mentoring["pm"]))
        assert evidence.source == "mentor" and evidence.level == 3 and evidence.recorded_by_id == mentoring["mentor"]
    pm = logged_in(app, "pm@example.org")
    assert pm.submit(f"/bookings/{booking_id}/rating", {"stars": "5", "comment": "Concrete.", "rate": "y"},
                     page="/bookings").status_code == 302
    assert "Rated 5 of 5" in mentor.get("/bookings").get_data(as_text=True)
    assert pm.submit(f"/mentorships/{mentorship_id}/end", {"reflection": "Goal met.", "end": "y"},
                     page="/bookings").status_code == 302
    assert mentor.get(f"/people/{mentoring['pm']}/competencies").status_code == 403


def test_free_slots_show_in_the_viewers_zone_and_bookings_remove_them(app, mentoring):
    from coe.mentoring import services

    pair(app, mentoring)
    with app.app_context():
        db.session.execute(db.update(Person).where(Person.id == mentoring["pm"]).values(time_zone="Asia/Tokyo"))
        db.session.commit()
        before = services.free_slots(mentoring["mentor"])
        services.book(db.session.get(Person, mentoring["pm"]), mentoring["mentor"], before[0].start, "Risks")
        db.session.commit()
        after = services.free_slots(mentoring["mentor"])
        assert before[0] not in after and before[1] in after
    page = logged_in(app, "pm@example.org").get(f"/mentors/{mentoring['mentor']}").get_data(as_text=True)
    assert "JST" in page or "+09" in page


def test_lead_assigns_a_mentor_and_capacity_holds(app, mentoring):
    lead = logged_in(app, "lead@example.org")
    response = lead.submit("/mentoring/assign", {"assign-mentee_id": str(mentoring["pm"]),
                                                 "assign-mentor_id": str(mentoring["mentor"]), "assign-assign": "y"},
                           page="/mentoring/cohort")
    assert response.status_code == 302
    from coe.mentoring import services

    with app.app_context():
        assert services.is_active_mentor(mentoring["mentor"], mentoring["pm"])
    preview = lead.submit("/mentoring/cohort", {"mentees": [str(mentoring["other"]), str(mentoring["pm"])],
                                                "mentors": [str(mentoring["mentor"])], "preview": "y"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Omar Other" in html
    assert "already mentors them" in html  # the PM is left unmatched, with the reason
    published = lead.submit("/mentoring/cohort", {"mentees": [str(mentoring["other"])],
                                                  "mentors": [str(mentoring["mentor"])], "publish": "y"})
    assert published.status_code == 302
    with app.app_context():
        assert services.is_active_mentor(mentoring["mentor"], mentoring["other"])


def test_the_private_calendar_feed_lists_bookings_and_a_new_address_ends_the_old(app, mentoring):
    from coe.mentoring import services

    pair(app, mentoring)
    with app.app_context():
        slot = services.free_slots(mentoring["mentor"])[0]
        services.book(db.session.get(Person, mentoring["pm"]), mentoring["mentor"], slot.start, "Gate 2 pack")
        db.session.commit()
    pm = logged_in(app, "pm@example.org")
    response = pm.submit("/bookings/feed", {}, page="/bookings", follow_redirects=True)
    address = re.search(r"(http://[^ <]+/calendar/[^ <]+\.ics)", response.get_data(as_text=True)).group(1)
    path = address.split("localhost", 1)[1]
    anonymous = app.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(feed.data).walk() if c.name == "VEVENT"]
    assert [str(e["summary"]) for e in events] == ["Mentoring: Gate 2 pack"]
    assert events[0].decoded("dtstart") == slot.start
    pm.submit("/bookings/feed", {}, page="/bookings")
    assert anonymous.get(path).status_code == 404
