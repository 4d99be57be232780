"""Importing people from CSV: validate every row first, then write them all in one short transaction."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import func, insert, select

from coe.auth.models import Person, Team, team_lead, utcnow
from coe.auth.people import PersonData, PersonRules, duplicates, normalise_email, parse_roles
from coe.errors import InvalidInput
from coe.extensions import db

REQUIRED_COLUMNS = ("email", "name", "team", "role_profile", "roles")
OPTIONAL_COLUMNS = ("time_zone",)
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRejected(InvalidInput):
    """The CSV had problems; nothing was imported."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"Nothing was imported: {len(errors)} problem(s) need fixing.")


def read_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Parse CSV text strictly: the header and (line, cells) of each row; raise ImportRejected on bad CSV.

    Refused: NUL characters, a quote opened and never closed (it would fold the following rows
    into one cell), rows with more cells than the header, a repeated column.
    """
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportRejected([RowError(line, "contains a NUL character; save the file again as CSV UTF-8")])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        header = next(reader, None)
        if not header:
            raise ImportRejected([RowError(1, "the file is empty; the first line names the columns")])
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if any("\n" in cell or "\r" in cell for cell in row):
                raise ImportRejected([RowError(start, "a cell spans several lines: a quote (\") opened here is "
                                                      "not closed where the line ends")])
            rows.append((start, row))
            if len(rows) > MAX_ROWS:
                raise ImportRejected([RowError(start, f"the file has more than {MAX_ROWS} people; split it")])
    except csv.Error as exc:
        reason = ("a quote (\") opened on this line is never closed" if "end of data" in str(exc)
                  else f"is not readable as CSV ({exc}); check the quotes on this line")
        raise ImportRejected([RowError(start, reason)]) from None
    return [(name or "").strip().lower() for name in header], rows


def check_header(header: list[str]) -> list[RowError]:
    errors = []
    repeated = duplicates(header)
    if repeated:
        errors.append(RowError(1, f"the column(s) {', '.join(repeated)} appear more than once"))
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        errors.append(RowError(1, f"the header lacks the column(s) {', '.join(missing)}; expected "
                                  f"{','.join(REQUIRED_COLUMNS)} (time_zone optional)"))
    unknown = [column for column in header if column not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        errors.append(RowError(1, f"unknown column(s) {', '.join(unknown)}"))
    return errors


def validate_import(text: str, rules: PersonRules) -> list[tuple[int, PersonData]]:
    """Check every row against the same rules as the form; return the people, or raise ImportRejected."""
    header, rows = read_rows(text)
    errors = check_header(header)
    if errors:
        raise ImportRejected(errors)
    teams = {name_key: team_id for team_id, name_key in db.session.execute(select(Team.id, Team.name_key))}
    people: list[tuple[int, PersonData]] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(RowError(line, f"has {len(cells)} fields; the header has {len(header)} columns"))
            continue
        values = {column: cell.strip() for column, cell in zip(header, cells)}
        problems: list[str] = []
        email, email_error = normalise_email(values["email"])
        if email and email in seen:
            problems.append(f"{email} appears already at line {seen[email]}")
        elif email:
            seen[email] = line
        team_id = teams.get(values["team"].lower()) if values["team"] else None
        if values["team"] and team_id is None:
            problems.append(f"no team is called “{values['team']}” (create it under Admin › Teams first)")
        roles, unknown_roles = parse_roles(values["roles"])
        if unknown_roles:
            problems.append(f"unknown role(s) {', '.join(unknown_roles)} (use mentor, lead, admin)")
        if "lead" in roles and team_id is None:
            problems.append("a lead needs a team to lead")
        data = PersonData(email=email or "", display_name=values["name"], team_id=team_id,
                          role_profile=values["role_profile"] or None, time_zone=values.get("time_zone") or "UTC",
                          is_mentor="mentor" in roles, is_admin="admin" in roles,
                          led_team_ids=(team_id,) if "lead" in roles and team_id else ())
        problems += [problem.message for problem in rules.problems(data, email_error)]
        if problems:
            errors.extend(RowError(line, problem) for problem in problems)
        else:
            people.append((line, data))
    taken = _existing_emails([data.email for _, data in people])
    errors += [RowError(line, f"{data.email} already belongs to an existing person")
               for line, data in people if data.email in taken]
    if errors:
        raise ImportRejected(sorted(errors, key=lambda error: error.line))
    if not people:
        raise ImportRejected([RowError(2, "the file has a header but no people")])
    return people


def _existing_emails(emails: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(emails), 500):
        chunk = emails[start:start + 500]
        found.update(db.session.scalars(select(Person.email).where(Person.email.in_(chunk))))
    return found


def write_people(people: list[PersonData]) -> list[int]:
    """Insert the validated people in bulk (flush only); return their ids in order."""
    now = utcnow()
    rows = [{
        "email": data.email, "display_name": data.display_name.strip(), "team_id": data.team_id,
        "role_profile": data.role_profile, "time_zone": data.time_zone, "is_mentor": data.is_mentor,
        "is_admin": data.is_admin, "active": True, "session_version": 1, "created_at": now,
    } for data in people]
    ids = list(db.session.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True), rows))
    leads = [{"team_id": team_id, "person_id": person_id}
             for person_id, data in zip(ids, people) for team_id in data.led_team_ids]
    if leads:
        db.session.execute(insert(team_lead), leads)
    return ids


def people_count() -> int:
    return db.session.scalar(select(func.count(Person.id))) or 0
