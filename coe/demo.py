"""Seed a demo organisation so a newcomer sees a living site."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import func, select

from coe.auth.models import Person
from coe.extensions import db

# A seeder receives the password and returns (email, what the account shows) pairs to print.
Seeder = Callable[[str], list[tuple[str, str]]]


def register_demo_seeder(app: Flask, seeder: Seeder) -> None:
    """Let a domain add its own demo data (ratings, enrolments, bookings) after the people exist."""
    app.extensions.setdefault("coe.demo_seeders", []).append(seeder)


def seed_demo(password: str) -> list[tuple[str, str]]:
    """Seed the demo organisation into an empty database; return the logins to print."""
    from coe.auth.demo import seed_people

    if _count_people():
        return []
    logins = seed_people(password)
    for seeder in current_app.extensions.get("coe.demo_seeders", []):
        logins.extend(seeder(password))
    return logins



def _count_people() -> int:
    return db.session.scalar(select(func.count(Person.id))) or 0
