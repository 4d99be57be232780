"""Seed a demo organisation so a newcomer sees a living site."""

from __future__ import annotations

from sqlalchemy import func, select

from coe.auth.models import Person
from coe.extensions import db
from coe.registry import registry


def seed_demo(password: str) -> list[tuple[str, str]]:
    """Seed the demo organisation into an empty database; return the logins to print."""
    from coe.auth.demo import seed_people

    if db.session.scalar(select(func.count(Person.id))):
        return []
    logins = seed_people(password)
    for seeder in registry().demo_seeders:
        logins.extend(seeder(password))
    return logins
