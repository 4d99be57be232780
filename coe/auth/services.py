"""People, teams, roles and credentials. Services flush; the caller commits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.exc import IntegrityError

from coe import audit
from coe.auth import importing, passwords, people, sessions, tokens
from coe.auth.importing import ImportRejected, RowError  # noqa: F401 - the import's errors, for callers
from coe.auth.models import Person, Team, utcnow
from coe.auth.people import PersonData, time_zone_names  # noqa: F401 - the record callers build
from coe.errors import Conflict, InvalidInput, NotFound
from coe.extensions import db
from coe.mail import Mail, render_mail
from coe.mail import send as send_mail
from coe.registry import registry

def role_profiles() -> list[tuple[str, str]]:
    """Return (code, title) of every role profile a person may hold, as the framework defines them."""
    return registry().role_profiles()


def normalise_email(raw: str) -> str:
    """Return the canonical (lower-case) form of an email address, or raise InvalidInput."""
    email, problem = people.normalise_email(raw)
    if problem:
        raise InvalidInput(problem[0].upper() + problem[1:] + ".")
    return email


class PersonInvalid(InvalidInput):
    """A person's record broke the rules; ``problems`` names each one with its field."""

    def __init__(self, problems: list[people.Problem]):
        self.problems = problems
        super().__init__("; ".join(problem.message for problem in problems).capitalize() + ".")


def person_rules() -> people.PersonRules:
    return people.PersonRules({code for code, _ in role_profiles()}, set(db.session.scalars(select(Team.id))))


def find_person_by_email(email: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.email == email.strip().lower()))


def get_person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    return person


def get_team(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound("There is no such team.")
    return team


def list_people(query: str = "", team_id: int | None = None, include_inactive: bool = True) -> list[Person]:
    stmt = select(Person).order_by(Person.display_name)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(func.lower(Person.display_name).like(like) | Person.email.like(like))
    if team_id:
        stmt = stmt.where(Person.team_id == team_id)
    if not include_inactive:
        stmt = stmt.where(Person.active.is_(True))
    return list(db.session.scalars(stmt))


PEOPLE_PAGE_SIZE = 50


@dataclass(frozen=True)
class PeoplePage:
    people: list[Person]
    total: int
    page: int
    pages: int


def list_people_page(query: str = "", team_id: int | None = None, page: int = 1) -> PeoplePage:
    """One page of people, with their teams and the teams they lead loaded in the same few queries."""
    stmt = select(Person)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(func.lower(Person.display_name).like(like) | Person.email.like(like))
    if team_id:
        stmt = stmt.where(Person.team_id == team_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // PEOPLE_PAGE_SIZE))
    page = min(max(1, page), pages)
    people = list(db.session.scalars(
        stmt.options(joinedload(Person.team), selectinload(Person.led_teams))
        .order_by(Person.display_name, Person.id).limit(PEOPLE_PAGE_SIZE).offset((page - 1) * PEOPLE_PAGE_SIZE)))
    return PeoplePage(people, total, page, pages)


def people_by_id(ids: list[int]) -> dict[int, Person]:
    found: dict[int, Person] = {}
    for start in range(0, len(ids), 500):
        found.update((person.id, person) for person in db.session.scalars(
            select(Person).where(Person.id.in_(ids[start:start + 500]))))
    return found


@dataclass(frozen=True)
class TeamRow:
    team: Team
    members: int


def team_overview() -> list[TeamRow]:
    """Every team with its leads and how many people it has, counted in SQL."""
    counts = dict(db.session.execute(select(Person.team_id, func.count()).where(Person.team_id.is_not(None))
                                     .group_by(Person.team_id)).all())
    teams = db.session.scalars(select(Team).options(selectinload(Team.leads)).order_by(Team.name))
    return [TeamRow(team, counts.get(team.id, 0)) for team in teams]


def list_teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def _check_person_data(data: PersonData, person: Person | None = None) -> str:
    """Check the record with the same rules as an import; return the canonical email or raise PersonInvalid."""
    email, email_error = people.normalise_email(data.email)
    problems = person_rules().problems(data, email_error)
    if email and not problems:
        clash = find_person_by_email(email)
        if clash is not None and clash is not person:
            raise Conflict(f"Someone already uses {email}: each person needs their own email address.")
    if problems:
        raise PersonInvalid(problems)
    return email


def _apply(person: Person, data: PersonData, email: str) -> None:
    person.email = email
    person.display_name = data.display_name.strip()
    person.team_id = data.team_id
    person.role_profile = data.role_profile or None
    person.time_zone = data.time_zone
    person.is_mentor = data.is_mentor
    person.is_admin = data.is_admin
    person.led_teams = [get_team(team_id) for team_id in data.led_team_ids]


def _flush(conflict: str) -> None:
    """Flush; a unique constraint hit by a concurrent request becomes a Conflict, not a 500."""
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(conflict) from None


def create_person(data: PersonData, password: str | None = None) -> Person:
    """Create a person; without a password they cannot log in until one is set."""
    email = _check_person_data(data)
    person = Person()
    _apply(person, data, email)
    if password is not None:
        _set_password(person, password)
    db.session.add(person)
    _flush(f"Someone already uses {email}: each person needs their own email address.")
    return person


def update_person(person: Person, data: PersonData, acting: Person | None = None) -> Person:
    email = _check_person_data(data, person)
    if person.is_admin and not data.is_admin:
        ensure_another_admin(person)
    before = _roles(person)
    _apply(person, data, email)
    _flush(f"Someone already uses {email}: each person needs their own email address.")
    _audit_role_changes(person, before, _roles(person), acting)
    return person


def _roles(person: Person) -> dict[str, object]:
    return {"role.admin": person.is_admin, "role.mentor": person.is_mentor,
            "role.lead": sorted(team.name for team in person.led_teams), "role.profile": person.role_profile}


def _audit_role_changes(person: Person, before: dict, after: dict, acting: Person | None) -> None:
    for action, was in before.items():
        if after[action] != was:
            audit.record(action, acting, person, before=was, after=after[action])


def ensure_another_admin(person: Person) -> None:
    # Lock every active admin row (PostgreSQL), so two admins removing each other at the same
    # moment are serialised and the second sees the first one's change.
    # Only an admin who can sign in (active, with a password set) counts: one who has never
    # accepted their invitation cannot take over.
    admins = db.session.execute(
        select(Person.id, Person.password_hash).where(Person.is_admin.is_(True), Person.active.is_(True))
        .with_for_update()
    ).all()
    if not [admin_id for admin_id, password_hash in admins if admin_id != person.id and password_hash]:
        raise Conflict("This is the last admin who can sign in: make someone else an admin, and wait until "
                       "they have set their password, first.")


def set_active(person: Person, active: bool, acting: Person) -> None:
    """Deactivate (ending every session) or reactivate a person."""
    if not active and person.id == acting.id:
        raise Conflict("You cannot deactivate your own account.")
    if not active and person.is_admin:
        ensure_another_admin(person)
    if person.active != active:
        audit.record("person.reactivate" if active else "person.deactivate", acting, person)
    person.active = active
    if not active:
        end_sessions(person)
    db.session.flush()


def _set_password(person: Person, password: str) -> None:
    problem = passwords.password_problem(password, (person.email, person.display_name))
    if problem:
        raise InvalidInput(problem)
    person.password_hash = passwords.hash_password(password)


def set_password(person: Person, password: str) -> None:
    """Set a new password and end every existing session of the person."""
    _set_password(person, password)
    end_sessions(person)
    db.session.flush()


def change_password(person: Person, current: str, new: str) -> None:
    if not passwords.verify_password(person.password_hash, current):
        raise InvalidInput("The current password is not correct.")
    if current == new:
        raise InvalidInput("Choose a new password that differs from the current one.")
    set_password(person, new)


def end_sessions(person: Person) -> None:
    """Invalidate every session and remember cookie issued to the person."""
    sessions.end_all(person)


class LoginFailed(InvalidInput):
    """The credentials did not sign anyone in; ``reason`` is for the log, never for the page."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


NO_MATCH = "That email and password do not match an account."


def authenticate(email: str, password: str) -> Person:
    """Return the person these credentials belong to, or raise LoginFailed."""
    person = find_person_by_email(email or "")
    if person is None or not person.password_hash:
        passwords.burn_time(password)
        raise LoginFailed(NO_MATCH, "no such account" if person is None else f"person {person.id} has no password")
    if not passwords.verify_password(person.password_hash, password):
        raise LoginFailed(NO_MATCH, f"wrong password for person {person.id}")
    if not person.active:
        raise LoginFailed("This account has been deactivated. Ask a CoE admin to reactivate it.",
                          f"person {person.id} is deactivated")
    if passwords.needs_rehash(person.password_hash):
        person.password_hash = passwords.hash_password(password)
    person.last_login_at = utcnow()
    db.session.flush()
    return person


def update_own_profile(person: Person, display_name: str, time_zone: str) -> None:
    problems = [problem for problem in person_rules().problems(
        PersonData(email=person.email, display_name=display_name, time_zone=time_zone))
        if problem.field in ("display_name", "time_zone")]
    if problems:
        raise PersonInvalid(problems)
    person.display_name = display_name.strip()
    person.time_zone = time_zone
    db.session.flush()


def create_team(name: str, description: str = "") -> Team:
    name = name.strip()
    if not name:
        raise InvalidInput("Give the team a name.")
    if db.session.scalar(select(Team).where(Team.name_key == name.lower())):
        raise Conflict(f"A team called “{name}” already exists.")
    team = Team(name=name, name_key=name.lower(), description=description.strip())
    db.session.add(team)
    _flush(f"A team called “{name}” already exists.")
    return team


def save_team(team: Team | None, name: str, description: str, lead_ids: Iterable[int]) -> Team:
    """Create the team (when ``team`` is None) or change it, with its leads."""
    if team is None:
        team = create_team(name, description)
    return update_team(team, name, description, lead_ids)


def update_team(team: Team, name: str, description: str, lead_ids: Iterable[int]) -> Team:
    name = name.strip()
    if not name:
        raise InvalidInput("Give the team a name.")
    clash = db.session.scalar(select(Team).where(Team.name_key == name.lower()))
    if clash is not None and clash is not team:
        raise Conflict(f"A team called “{name}” already exists.")
    team.name, team.name_key = name, name.lower()
    team.description = description.strip()
    team.leads = [get_person(person_id) for person_id in lead_ids]
    _flush(f"A team called “{name}” already exists.")
    return team


# --- invitations and password resets --------------------------------------------------------

LinkUrl = Callable[[tokens.IssuedLink], str]


def _invitation_mails(links: list[tokens.IssuedLink], link_url: LinkUrl) -> list[Mail]:
    people_ = people_by_id([link.person_id for link in links])
    days = tokens.VALID_FOR["invitation"].days
    return [render_mail(f"sign-in-link:{link.link_id}", people_[link.person_id].email, "invitation",
                        person=people_[link.person_id], url=link_url(link), valid_days=days) for link in links]


def invite_person(person: Person, invited_by: Person | None, link_url: LinkUrl) -> tokens.IssuedLink:
    """Make a new invitation (earlier ones stop working) and email it when mail is on."""
    link = tokens.issue(person, "invitation", invited_by)
    audit.record("person.sign_in_link", invited_by, person)
    send_mail(_invitation_mails([link], link_url))
    return link


def create_person_and_invite(data: PersonData, invited_by: Person, link_url: LinkUrl,
                             invite: bool = True) -> tuple[Person, tokens.IssuedLink | None]:
    person = create_person(data)
    audit.record("person.create", invited_by, person, roles=person.roles)
    return person, (invite_person(person, invited_by, link_url) if invite else None)


def request_password_reset(email: str, link_url: LinkUrl) -> None:
    """Email a one-hour reset link to the account with this address, if there is one; say nothing either way."""
    person = find_person_by_email((email or "").strip())
    if person is None or not person.active:
        return
    link = tokens.issue(person, "reset")
    send_mail([render_mail(f"sign-in-link:{link.link_id}", person.email, "password_reset", person=person,
                           url=link_url(link), valid_minutes=int(tokens.VALID_FOR["reset"].total_seconds() // 60))])


# --- CSV import -------------------------------------------------------------------------

CSV_COLUMNS = importing.REQUIRED_COLUMNS + importing.OPTIONAL_COLUMNS


@dataclass(frozen=True)
class ImportResult:
    person_ids: list[int]
    links: list[tokens.IssuedLink]  # invitations made, when asked for


def import_people_csv(text: str, invite: bool = False, invited_by: Person | None = None,
                      link_url: LinkUrl | None = None) -> ImportResult:
    """Import people from CSV text, all or nothing; raise ImportRejected naming each problem by line.

    Every row is checked before anything is written; then the people (and their invitations) are
    inserted in bulk, so the write transaction lasts milliseconds however long the file.
    """
    rows = importing.validate_import(text, person_rules())
    try:
        ids = importing.write_people([data for _line, data in rows])
    except IntegrityError:
        raise Conflict("Someone added a person with one of these emails while the file was checked; "
                       "upload it again to see which.") from None
    links = tokens.issue_many([(person_id, None) for person_id in ids], "invitation", invited_by) if invite else []
    audit.record("people.import", invited_by, None, people=len(ids), invitations=len(links),
                 admins=sum(1 for _line, data in rows if data.is_admin))
    if links and link_url is not None:
        send_mail(_invitation_mails(links, link_url))
    return ImportResult(ids, links)
