"""Calendar files of bookings (.ics), with the icalendar package."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from coe.mentoring.models import Booking

PRODID = "-//PM Centre of Excellence//Mentoring//EN"


def uid(booking: Booking) -> str:
    """The same UID for the life of a booking, so calendars update it in place."""
    host = current_app.config.get("SERVER_NAME") or "coe.local"
    return f"mentoring-booking-{booking.id}@{host.split(':')[0]}"


def _address(person, role: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["cn"] = vText(person.display_name)
    address.params["role"] = vText(role)
    return address


def _event(booking: Booking, cancelled: bool) -> Event:
    event = Event()
    event.add("uid", uid(booking))
    event.add("dtstamp", booking.updated_at if booking.updated_at.tzinfo else
              booking.updated_at.replace(tzinfo=booking.start.tzinfo))
    event.add("dtstart", booking.start)
    event.add("dtend", booking.end)
    event.add("summary", f"Mentoring: {booking.topic}")
    event.add("description", f"Mentoring session between {booking.mentor.display_name} (mentor) and "
                             f"{booking.mentee.display_name}. Topic: {booking.topic}")
    event.add("sequence", booking.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", _address(booking.mentor, "CHAIR"))
    event.add("attendee", _address(booking.mentee, "REQ-PARTICIPANT"))
    return event


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    return calendar


def booking_ics(booking: Booking, method: str | None = None) -> bytes:
    """One booking's .ics: a REQUEST while booked, a CANCEL once cancelled."""
    cancelled = booking.state == "cancelled"
    calendar = _calendar(method or ("CANCEL" if cancelled else "REQUEST"))
    calendar.add_component(_event(booking, cancelled))
    return calendar.to_ical()


def feed_ics(bookings: Iterable[Booking], name: str) -> bytes:
    """A subscription feed of bookings (cancelled ones stay, marked cancelled, so calendars drop them)."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", name)
    for booking in bookings:
        calendar.add_component(_event(booking, booking.state == "cancelled"))
    return calendar.to_ical()
