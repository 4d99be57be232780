"""The one place that answers "may this person see or change that?".

Every view asks here, by action name: ``policy.require(current_user, "admin.access")``.
Later domains add their actions (a mentor's sight of a mentee's records, a lead's of their
team's) as rules here, so that the whole access policy reads in one file.
"""

from __future__ import annotations

from collections.abc import Callable

from coe.auth.models import Person
from coe.errors import NotAllowed
from coe.registry import registry

# Endpoints an anonymous visitor may reach; everything else redirects to the login page.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.forgot_password", "auth.set_password", "static", "bootstrap.static",
                              "home.healthz", "training.verify_certificate",
                              # A calendar app fetches the feed without a session; its secret address is the key.
                              "mentoring.calendar_feed"})

Rule = Callable[[Person, object | None], bool]


def is_public(endpoint: str | None) -> bool:
    return endpoint in PUBLIC_ENDPOINTS


def _admin(viewer: Person, _target=None) -> bool:
    return viewer.is_admin


def _member(viewer: Person, _target=None) -> bool:
    return True


def leads(viewer: Person, person: Person) -> bool:
    """The viewer leads the team the person belongs to."""
    return person.team_id is not None and person.team_id in viewer.led_team_ids


def mentors(viewer: Person, person: Person) -> bool:
    """The viewer has an active mentorship with the person (the mentoring domain answers)."""
    return viewer.is_mentor and registry().is_active_mentor(viewer.id, person.id)


def _sees_records(viewer: Person, person) -> bool:
    """A person's own records; their mentor's, their lead's, an admin's (DESIGN.md, Who may see what)."""
    return isinstance(person, Person) and (
        viewer.id == person.id or viewer.is_admin or leads(viewer, person) or mentors(viewer, person))


def _validates(viewer: Person, person) -> bool:
    """Their lead or active mentor (or an admin) validates a person's ratings; nobody their own."""
    return isinstance(person, Person) and viewer.id != person.id and (
        viewer.is_admin or leads(viewer, person) or mentors(viewer, person))


def _changes_profile(viewer: Person, person) -> bool:
    """An admin, or the person's lead, moves them to another role profile (a promotion)."""
    return isinstance(person, Person) and (viewer.is_admin or (viewer.id != person.id and leads(viewer, person)))


def _sees_team(viewer: Person, team_id) -> bool:
    """An admin sees any team or everyone; a lead the teams they lead (``team_id`` None: all of them together)."""
    if viewer.is_admin:
        return True
    led = viewer.led_team_ids
    return bool(led) if team_id is None else team_id in led


def _is_mentor(viewer: Person, _target=None) -> bool:
    return viewer.is_mentor


def _assigns_mentor(viewer: Person, person) -> bool:
    """An admin, or the lead of the mentee's team, pairs them with a mentor directly."""
    return isinstance(person, Person) and (viewer.is_admin or leads(viewer, person))


def _runs_cohorts(viewer: Person, _target=None) -> bool:
    return viewer.is_admin or bool(viewer.led_team_ids)


RULES: dict[str, Rule] = {
    "account.use": _member,  # own home page, account, sign-out
    "library.read": _member,  # library, search, competency framework
    "admin.access": _admin,  # people, teams, roles
    "content.review_status": _admin,  # review-due badges, content status, searches that found nothing
    "competency.view": _sees_records,  # a person's ratings, evidence, gaps and plan
    "competency.validate": _validates,  # a validated rating of someone else
    "competency.change_profile": _changes_profile,  # a person's role profile
    "team.view": _sees_team,  # the lead's dashboard and its exports, of a team (an id) or of all in reach (None)
    "quizzes.take": _member,  # the quizzes, their intros, starting an attempt
    "quizzes.attempt": lambda viewer, attempt: getattr(attempt, "person_id", None) == viewer.id,  # own attempts only
    "mentoring.use": _member,  # mentor matches and profiles, requests, own bookings and notifications
    "mentoring.mentor": _is_mentor,  # own mentor profile, availability, requests and mentees
    "mentoring.assign": _assigns_mentor,  # give a person a mentor without a request
    "mentoring.cohort": _runs_cohorts,  # cohort matching of a mentoring programme (leads' and admins')
    "training.use": _member,  # the track catalogue; own enrolments, steps, submissions and certificates
    "training.view": _sees_records,  # a person's practice-task submission and its review
    "training.review": _validates,  # approve or send back a submission, sign off a mentor session: lead, mentor
}


def can(viewer, action: str, target: object | None = None) -> bool:
    """Return whether ``viewer`` may perform ``action`` (on ``target``); only active people may."""
    if not isinstance(viewer, Person) or not viewer.active:
        return False
    return RULES[action](viewer, target)


def require(viewer, action: str, target: object | None = None, message: str | None = None) -> None:
    """Raise NotAllowed unless ``viewer`` may perform ``action``."""
    if not can(viewer, action, target):
        raise NotAllowed(message or "Your account does not have access to this page.")
