"""The one place that answers "may this person see or change that?".

Every view asks here, by action name: ``policy.require(current_user, "admin.access")``.
Other domains extend who may see a person's records by registering a relation
(for instance "is an active mentor of") with ``register_relation`` when the app is built.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from coe.auth.models import Person
from coe.errors import NotAllowed

# Endpoints an anonymous visitor may reach; everything else redirects to the login page.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "bootstrap.static", "home.healthz"})

Rule = Callable[[Person, object | None], bool]
Relation = Callable[[Person, Person], bool]


def is_public(endpoint: str | None) -> bool:
    return endpoint in PUBLIC_ENDPOINTS


def _is_person(viewer) -> bool:
    return isinstance(viewer, Person) and viewer.active


def _admin(viewer: Person, _target=None) -> bool:
    return viewer.is_admin


def _member(viewer: Person, _target=None) -> bool:
    return True


def leads_team_of(viewer: Person, person: Person) -> bool:
    return person.team_id is not None and any(team.id == person.team_id for team in viewer.led_teams)


def _view_person(viewer: Person, person) -> bool:
    if not isinstance(person, Person):
        return False
    if viewer.is_admin or viewer.id == person.id or leads_team_of(viewer, person):
        return True
    return any(relation(viewer, person) for relation in _relations())


def _validate_person(viewer: Person, person) -> bool:
    """A lead or an active mentor may validate a rating; nobody validates their own."""
    if not isinstance(person, Person) or viewer.id == person.id:
        return False
    return viewer.is_admin or leads_team_of(viewer, person) or any(r(viewer, person) for r in _relations())


def _lead(viewer: Person, _target=None) -> bool:
    return viewer.is_admin or bool(viewer.led_teams)


def _mentor(viewer: Person, _target=None) -> bool:
    return viewer.is_mentor


RULES: dict[str, Rule] = {
    "account.use": _member,
    "admin.access": _admin,
    "content.review_status": _admin,
    "library.read": _member,
    "person.view": _view_person,
    "person.validate": _validate_person,
    "team.dashboard": _lead,
    "mentor.workspace": _mentor,
}


def _relations() -> list[Relation]:
    return current_app.extensions.setdefault("coe.person_relations", [])


def register_relation(app, relation: Relation) -> None:
    """Let ``relation(viewer, person)`` grant ``viewer`` sight of ``person``'s records."""
    app.extensions.setdefault("coe.person_relations", []).append(relation)


def can(viewer, action: str, target: object | None = None) -> bool:
    """Return whether ``viewer`` may perform ``action`` (on ``target``)."""
    if not _is_person(viewer):
        return False
    return RULES[action](viewer, target)


def require(viewer, action: str, target: object | None = None, message: str | None = None) -> None:
    """Raise NotAllowed unless ``viewer`` may perform ``action``."""
    if not can(viewer, action, target):
        raise NotAllowed(message or "Your account does not have access to this page.")
