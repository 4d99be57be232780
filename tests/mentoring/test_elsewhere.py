"""Mentoring seen elsewhere: email with calendar files, reminders, home panels, the lead's section, personal data."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar
from sqlalchemy import event, select

from coe.auth.models import Person
from coe.extensions import db
from tests.mentoring.conftest import logged_in, pair


def test_a_booking_is_emailed_to_both_with_the_calendar_file(mailing_app, mentoring, mail_server):
    from coe.mentoring import services

    app = mailing_app
    pair(app, mentoring)
    with app.test_request_context():
        slot = services.free_slots(mentoring["mentor"])[0]
        services.book(db.session.get(Person, mentoring["pm"]), mentoring["mentor"], slot.start, "Gate 2 pack")
        db.session.commit()
    to_mentor = mail_server.inbox.to("mentor@example.org")
    assert to_mentor, "the mentor is emailed"
    message = to_mentor[-1]
    assert "Gate 2 pack" in message["Subject"]
    attachments = [part for part in message.walk() if part.get_filename()]
    assert attachments and attachments[0].get_content_type() == "text/calendar"
    calendar = Calendar.from_ical(attachments[0].get_payload(decode=True))
    vevent = next(c for c in calendar.walk() if c.name == "VEVENT")
    assert vevent.decoded("dtstart") == slot.start
    assert mail_server.inbox.to("pm@example.org")


def test_reminders_go_out_once_the_day_before(app, mentoring):
    from coe.mentoring import services
    from coe.mentoring.models import Notification

    pair(app, mentoring)
    with app.app_context():
        slot = services.free_slots(mentoring["mentor"])[0]
        services.book(db.session.get(Person, mentoring["pm"]), mentoring["mentor"], slot.start, "Gate 2 pack")
        db.session.commit()
        assert services.send_reminders(slot.start - dt.timedelta(hours=30)) == 0
        assert services.send_reminders(slot.start - dt.timedelta(hours=20)) == 1
        assert services.send_reminders(slot.start - dt.timedelta(hours=19)) == 0
        db.session.commit()
        reminders = db.session.scalars(select(Notification.person_id).where(Notification.key.like("%reminder%"))).all()
        assert sorted(reminders) == sorted([mentoring["pm"], mentoring["mentor"]])
    from coe.mentoring.tasks import remind_and_expire

    remind_and_expire.call_local()  # the periodic task runs in its own context and finds nothing new


def test_home_shows_the_top_match_to_a_pm_without_mentor_and_sessions_after(app, mentoring):
    pm = logged_in(app, "pm@example.org")
    home = pm.get("/").get_data(as_text=True)
    assert "Upcoming mentoring sessions" in home and "Your best match" in home and "Maria Mentor" in home
    assert "Ask for mentoring" in home
    pair(app, mentoring)
    from coe.mentoring import services

    with app.app_context():
        slot = services.free_slots(mentoring["mentor"])[0]
        booking = services.book(db.session.get(Person, mentoring["pm"]), mentoring["mentor"], slot.start, "Risks")
        db.session.commit()
        booking_id = booking.id
    home = pm.get("/").get_data(as_text=True)
    assert f"/bookings/{booking_id}.ics" in home and "Your best match" not in home
    mentor_home = logged_in(app, "mentor@example.org").get("/").get_data(as_text=True)
    assert "Your mentees" in mentor_home and "1 active mentee" in mentor_home


def test_team_section_counts_in_constant_queries(app, make_person, mentoring):
    from coe.mentoring import panels

    pair(app, mentoring)
    with app.app_context():
        few = panels.team_section([mentoring["pm"], mentoring["other"]])
        assert few["with_mentor"] == 1 and [r["name"] for r in few["gaps_without"]] in ([], ["Omar Other"])
    more = [make_person(f"extra{n}@example.org") for n in range(8)]
    with app.app_context():
        counted = []

        def count(*_):
            counted.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        panels.team_section([mentoring["pm"], mentoring["other"]])
        small = len(counted)
        counted.clear()
        context = panels.team_section([mentoring["pm"], mentoring["other"], mentoring["mentor"], *more])
        event.remove(db.engine, "before_cursor_execute", count)
        assert len(counted) == small
        assert ("Maria Mentor", 3, 1) in [tuple(row) for row in context["load"]]
        title, header, rows = panels.team_sheet([mentoring["pm"]])
        assert title == "Mentoring" and rows == [["Priya Patel", "Maria Mentor", rows[0][2]]]



def test_the_section_names_the_people_with_most_gaps_and_counts_the_rest(app, make_person, mentoring):
    from coe.competency import profile
    from coe.mentoring import panels

    # Fifteen PMs without a mentor; the first three have met some of their targets.
    many = [make_person(f"pm{n:02d}@example.org", name=f"PM {n:02d}", team_id=mentoring["team"]) for n in range(15)]
    with app.app_context():
        for person_id in many[:3]:
            person = db.session.get(Person, person_id)
            for code in ("risk-management", "planning", "governance", "communication"):
                profile.self_assess(person, code, 5)
        db.session.commit()
        context = panels.team_section([*many, mentoring["pm"]])
        for row in context["rows"]:  # the counts in SQL are the profile's own gaps
            _, gaps = profile.levels_and_gaps(db.session.get(Person, row["id"]))
            assert row["gaps"] == sum(1 for gap in gaps if gap.size > 0)
    shown = context["gaps_without"]
    assert context["gaps_without_count"] == 16 and len(shown) == panels.SHOWN
    assert [r["gaps"] for r in shown] == sorted((r["gaps"] for r in shown), reverse=True)
    assert not {"PM 00", "PM 01", "PM 02"} & {r["name"] for r in shown}, "those closest to their targets come last"
    lead = logged_in(app, "lead@example.org")
    page = lead.get("/team").get_data(as_text=True)
    # The team: the fifteen, Priya, Omar and the lead herself, none with a mentor.
    assert "18 people have open gaps and no mentor; the 10 with the most gaps" in page
    with app.app_context():
        title, header, rows = panels.team_sheet([*many, mentoring["pm"]])
    assert len(rows) == 16, "the export lists everyone"

def test_personal_data_exports_and_erase_keeps_the_numbers(app, mentoring):
    from coe.mentoring import panels, services
    from coe.mentoring.models import Booking, MentorProfile, SessionNote, SessionRating

    pair(app, mentoring)
    with app.app_context():
        mentorship = services.active_mentorship(mentoring["mentor"], mentoring["pm"])
        start = services.now().replace(microsecond=0) - dt.timedelta(days=2)
        booking = Booking(mentorship_id=mentorship.id, mentor_id=mentoring["mentor"], mentee_id=mentoring["pm"],
                          starts_at=start, ends_at=start + dt.timedelta(hours=1), topic="Supplier claim")
        db.session.add(booking)
        db.session.flush()
        pm, mentor = db.session.get(Person, mentoring["pm"]), db.session.get(Person, mentoring["mentor"])
        services.add_note(pm, booking.id, "My supplier worries.")
        services.rate(pm, booking.id, 4, "Useful on the claim.")
        db.session.commit()
        exported = panels.export_personal_data(pm.id)
        assert exported["notes"][0]["body"] == "My supplier worries."
        assert exported["bookings"][0]["topic"] == "Supplier claim"
        assert panels.export_personal_data(mentor.id)["mentor_profile"]["bio"].startswith("Twelve years")
        panels.erase_personal_data(pm.id)
        panels.erase_personal_data(mentor.id)
        db.session.commit()
        assert db.session.scalar(select(SessionNote.body)) == "(erased)"
        rating = db.session.scalar(select(SessionRating))
        assert rating.stars == 4 and rating.comment == ""
        assert db.session.scalar(select(Booking.topic)) == "(erased)"
        assert db.session.get(MentorProfile, mentor.id).bio == ""
        assert db.session.scalar(select(db.func.count()).select_from(Booking)) == 1


def test_development_plans_and_the_framework_offer_mentors_with_a_place_left(app, mentoring):
    from coe.competency.services import offering_counts, offerings
    from coe.mentoring.models import MentorProfile

    with app.test_request_context():
        mentors = [o for o in offerings(["risk-management"])["risk-management"] if o.kind == "Mentor"]
        assert [(o.title, o.url) for o in mentors] == [("Maria Mentor", f"/mentors/{mentoring['mentor']}")]
        counts = {c.label: c.count for c in offering_counts(["risk-management"])["risk-management"]}
        assert counts["mentors"] == 1
        db.session.execute(db.update(MentorProfile).values(accepting=False))
        db.session.commit()
        from coe.mentoring.services import forget_open_mentors

        forget_open_mentors()  # a change made outside the services, as another worker's would be
        assert not [o for o in offerings(["risk-management"])["risk-management"] if o.kind == "Mentor"]
    page = logged_in(app, "pm@example.org").get("/competencies").get_data(as_text=True)
    assert "mentors" in page or "Mentor" in page
