"""People, teams, roles and credentials. Services flush; the caller commits."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coe.auth import passwords
from coe.auth.models import Person, Team, utcnow
from coe.errors import Conflict, InvalidInput, NotFound
from coe.extensions import db
from coe.registry import registry

ROLE_NAMES = ("mentor", "lead", "admin")


def role_profiles() -> list[tuple[str, str]]:
    """Return (code, title) of every role profile a person may hold, as the framework defines them."""
    return registry().role_profiles()


def normalise_email(raw: str) -> str:
    """Return the canonical (lower-case) form of an email address, or raise InvalidInput."""
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"“{raw}” is not a valid email address: {exc}") from None
    return result.normalized.lower()


def time_zone_names() -> set[str]:
    return available_timezones()


@dataclass(frozen=True)
class PersonData:
    email: str
    display_name: str
    team_id: int | None = None
    role_profile: str | None = None
    time_zone: str = "UTC"
    is_mentor: bool = False
    is_admin: bool = False
    led_team_ids: tuple[int, ...] = field(default_factory=tuple)


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


def list_teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def _check_person_data(data: PersonData, person: Person | None = None) -> str:
    email = normalise_email(data.email)
    clash = find_person_by_email(email)
    if clash is not None and clash is not person:
        raise Conflict(f"Someone already uses {email}: each person needs their own email address.")
    if not data.display_name.strip():
        raise InvalidInput("Give the person's name.")
    codes = {code for code, _ in role_profiles()}
    if data.role_profile and data.role_profile not in codes:
        raise InvalidInput(f"Unknown role profile “{data.role_profile}”; use one of {', '.join(sorted(codes))}.")
    if data.time_zone not in time_zone_names():
        raise InvalidInput(f"Unknown time zone “{data.time_zone}”; use an IANA name such as Europe/Paris.")
    if data.team_id is not None:
        get_team(data.team_id)
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


def update_person(person: Person, data: PersonData) -> Person:
    email = _check_person_data(data, person)
    if person.is_admin and not data.is_admin:
        _ensure_another_admin(person)
    _apply(person, data, email)
    _flush(f"Someone already uses {email}: each person needs their own email address.")
    return person


def _ensure_another_admin(person: Person) -> None:
    # Lock every active admin row (PostgreSQL), so two admins removing each other at the same
    # moment are serialised and the second sees the first one's change.
    admins = db.session.scalars(
        select(Person.id).where(Person.is_admin.is_(True), Person.active.is_(True)).with_for_update()
    ).all()
    if not [admin_id for admin_id in admins if admin_id != person.id]:
        raise Conflict("This is the last active admin: make someone else an admin first.")


def set_active(person: Person, active: bool, acting: Person) -> None:
    """Deactivate (ending every session) or reactivate a person."""
    if not active and person.id == acting.id:
        raise Conflict("You cannot deactivate your own account.")
    if not active and person.is_admin:
        _ensure_another_admin(person)
    person.active = active
    if not active:
        end_sessions(person)
    db.session.flush()


def _set_password(person: Person, password: str) -> None:
    problem = passwords.password_problem(password)
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
    person.session_version = (person.session_version or 1) + 1


class LoginFailed(InvalidInput):
    pass


def authenticate(email: str, password: str) -> Person:
    """Return the person these credentials belong to, or raise LoginFailed."""
    person = find_person_by_email(email or "")
    if person is None or not person.password_hash:
        passwords.burn_time(password)
        raise LoginFailed("That email and password do not match an account.")
    if not passwords.verify_password(person.password_hash, password):
        raise LoginFailed("That email and password do not match an account.")
    if not person.active:
        raise LoginFailed("This account has been deactivated. Ask a CoE admin to reactivate it.")
    if passwords.needs_rehash(person.password_hash):
        person.password_hash = passwords.hash_password(password)
    person.last_login_at = utcnow()
    db.session.flush()
    return person


def load_session_person(token: str) -> Person | None:
    """Return the active person a session token names, if its session version is current."""
    person_id, _, version = (token or "").partition(":")
    if not person_id.isdigit() or not version.isdigit():
        return None
    person = db.session.get(Person, int(person_id))
    if person is None or not person.active or person.session_version != int(version):
        return None
    return person


def update_own_profile(person: Person, display_name: str, time_zone: str) -> None:
    if not display_name.strip():
        raise InvalidInput("Give your name.")
    if time_zone not in time_zone_names():
        raise InvalidInput(f"Unknown time zone “{time_zone}”; use an IANA name such as Europe/Paris.")
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


# --- CSV import -------------------------------------------------------------------------

CSV_COLUMNS = ("email", "name", "team", "role_profile", "roles")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRejected(InvalidInput):
    """The CSV had bad rows; nothing was imported."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"Nothing was imported: {len(errors)} row(s) need fixing.")


def import_people_csv(text: str) -> list[Person]:
    """Import people from CSV text, all or nothing; raise ImportRejected naming each bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        return _import_rows(reader)
    except csv.Error as exc:
        raise ImportRejected([RowError(reader.line_num or 1, f"is not readable as CSV ({exc})")]) from None


def _import_rows(reader: csv.DictReader) -> list[Person]:
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [col for col in CSV_COLUMNS if col not in header]
    if missing:
        raise ImportRejected([RowError(1, f"the header lacks the column(s) {', '.join(missing)}; "
                                          f"expected {','.join(CSV_COLUMNS)} (time_zone optional)")])
    reader.fieldnames = header
    teams = {team.name.lower(): team for team in list_teams()}
    profiles = {code for code, _ in role_profiles()}
    zones = time_zone_names()
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    rows: list[PersonData] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(RowError(line, f"has more fields than the {len(header)} columns of the header"))
            continue
        values = {key: (value or "").strip() for key, value in row.items()}
        if not any(values.values()):
            continue
        problems = []
        try:
            email = normalise_email(values["email"])
        except InvalidInput as exc:
            problems.append(exc.message)
            email = ""
        if email:
            if email in seen:
                problems.append(f"{email} appears already at line {seen[email]}")
            elif find_person_by_email(email):
                problems.append(f"{email} already belongs to an existing person")
            seen.setdefault(email, line)
        if not values["name"]:
            problems.append("the name is empty")
        team = teams.get(values["team"].lower()) if values["team"] else None
        if values["team"] and team is None:
            problems.append(f"no team is called “{values['team']}” (create it under Admin › Teams first)")
        if values["role_profile"] and values["role_profile"] not in profiles:
            problems.append(f"unknown role profile “{values['role_profile']}” (use {', '.join(sorted(profiles))})")
        roles = {part.strip().lower() for part in values["roles"].replace(";", " ").replace("|", " ").split() if part.strip()}
        roles.discard("learner")
        unknown = roles - set(ROLE_NAMES)
        if unknown:
            problems.append(f"unknown role(s) {', '.join(sorted(unknown))} (use mentor, lead, admin)")
        if "lead" in roles and team is None:
            problems.append("a lead needs a team to lead")
        zone = values.get("time_zone") or "UTC"
        if zone not in zones:
            problems.append(f"unknown time zone “{zone}”")
        if problems:
            errors.extend(RowError(line, problem) for problem in problems)
            continue
        rows.append(
            PersonData(
                email=email,
                display_name=values["name"],
                team_id=team.id if team else None,
                role_profile=values["role_profile"] or None,
                time_zone=zone,
                is_mentor="mentor" in roles,
                is_admin="admin" in roles,
                led_team_ids=(team.id,) if "lead" in roles and team else (),
            )
        )
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([RowError(2, "the file has a header but no people")])
    return [create_person(data) for data in rows]
