"""A person's data rights: everything stored about them as JSON, and erasure that keeps team statistics.

Each domain says what it stores about a person through a ``PersonalData`` provider in the
registry; this module asks every provider, so a new domain's data joins the export and the
erasure by registering one. Erasure anonymises rather than deletes: the person's row stays, named
"Former member #<id>" with an address that can receive nothing, so that ratings, attempts and
counts still add up in team statistics, while everything that identifies them or that they wrote
is removed or blanked.
"""

from __future__ import annotations

from datetime import datetime, timezone

from coe import audit
from coe.auth.models import Person
from coe.registry import registry

FORMAT = "coe personal data export, version 1"


def json_value(value):
    """Dates as ISO 8601 text; everything else as it is (providers return JSON-ready values)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_person(person: Person, acting: Person | None = None) -> dict:
    """Everything the site stores about ``person``, one section per domain; the export is audited."""
    data = {
        "format": FORMAT,
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "person_id": person.id,
        "sections": {provider.name: provider.export(person.id) for provider in registry().personal_data},
    }
    audit.record("person.export", acting, person, sections=sorted(data["sections"]))
    return data


def erase_person(person: Person, acting: Person | None = None) -> None:
    """Anonymise ``person`` in every domain, in the caller's transaction; the erasure is audited."""
    for provider in registry().personal_data:
        provider.erase(person.id)
    audit.record("person.erase", acting, person, sections=sorted(p.name for p in registry().personal_data))
