"""The rules a person's record must meet: one validator for the admin's form, the CLI and the CSV import.

Every problem is collected (not only the first) with the field it concerns, so a form marks each
field and an import names each line, in the same words.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email

NAME_MAX = 120
EMAIL_MAX = 254
ROLE_NAMES = ("mentor", "lead", "admin")
# A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@")


@functools.lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    """Every IANA time zone name (read from disk once per process)."""
    return frozenset(available_timezones())


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


@dataclass(frozen=True)
class Problem:
    field: str  # the form field it concerns: email, display_name, team_id, role_profile, time_zone, led_team_ids
    message: str


def normalise_email(raw: str) -> tuple[str | None, str | None]:
    """Return (the canonical lower-case address, None) or (None, why it is not an address)."""
    raw = (raw or "").strip()
    if not raw:
        return None, "the email address is empty"
    if len(raw) > EMAIL_MAX:
        return None, f"the email address has {len(raw)} characters; the most is {EMAIL_MAX}"
    try:
        # strict: a local part over 64 characters is refused, as RFC 5321 sets it.
        result = validate_email(raw, check_deliverability=False, strict=True)
    except EmailNotValidError as exc:
        return None, f"“{raw}” is not a valid email address: {exc}"
    scripts = _scripts(result.normalized)
    if len(scripts) > 1:
        return None, (f"“{raw}” mixes letters of different scripts ({', '.join(sorted(scripts)).title()}), "
                      "as look-alike addresses do; type the address again")
    return result.normalized.lower(), None


def _scripts(text: str) -> set[str]:
    """The scripts of the letters in ``text``: "pm@exаmple.org" with a Cyrillic а gives {LATIN, CYRILLIC}."""
    found = set()
    for char in text:
        if unicodedata.category(char).startswith("L"):
            name = unicodedata.name(char, "")
            found.add(name.split(" ")[0] if name else "UNKNOWN")
    return found


def name_problem(name: str) -> str | None:
    """Why a person's name cannot be stored as it is, or None."""
    if not name.strip():
        return "the name is empty"
    if len(name) > NAME_MAX:
        return f"the name has {len(name)} characters; the most is {NAME_MAX}"
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in name):
        return "the name contains a control character (such as NUL or a line break); type it again"
    if name.lstrip().startswith(FORMULA_STARTS):
        return (f"the name starts with “{name.lstrip()[0]}”, which spreadsheets read as a formula; "
                "remove it")
    return None


@dataclass
class PersonRules:
    """What a person's record is checked against: the framework's role profiles and the existing teams."""

    role_profiles: set[str]
    team_ids: set[int]

    def problems(self, data: PersonData, email_error: str | None = None) -> list[Problem]:
        found: list[Problem] = []
        if email_error:
            found.append(Problem("email", email_error))
        problem = name_problem(data.display_name)
        if problem:
            found.append(Problem("display_name", problem))
        if data.team_id is not None and data.team_id not in self.team_ids:
            found.append(Problem("team_id", "that team does not exist (any more)"))
        if data.role_profile and data.role_profile not in self.role_profiles:
            found.append(Problem("role_profile", f"unknown role profile “{data.role_profile}” "
                                                 f"(use {', '.join(sorted(self.role_profiles))})"))
        if data.time_zone not in time_zone_names():
            found.append(Problem("time_zone", f"unknown time zone “{data.time_zone}”; choose one such as "
                                              "Europe/Paris from the list"))
        unknown_teams = [team_id for team_id in data.led_team_ids if team_id not in self.team_ids]
        if unknown_teams:
            found.append(Problem("led_team_ids", "one of the teams to lead does not exist (any more)"))
        return found


def parse_roles(text: str) -> tuple[set[str], list[str]]:
    """Read a roles cell ("mentor; lead"): the roles, and the unknown words in it."""
    words = {part.strip().lower() for part in text.replace(";", " ").replace("|", " ").replace(",", " ").split()}
    words.discard("learner")
    return words & set(ROLE_NAMES), sorted(words - set(ROLE_NAMES))


def duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({value for value in values if value in seen or seen.add(value)})
