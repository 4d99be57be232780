"""``coe users ...``: create an admin, set a password, import people from CSV."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from coe.auth import services
from coe.errors import DomainError
from coe.extensions import db

users = AppGroup("users", help="Manage people.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def _fail(message: str) -> None:
    db.session.rollback()
    raise click.ClickException(message)


@users.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Display name (defaults to the part of the email before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_admin(email: str, name: str, password_stdin: bool) -> None:
    """Create an admin account, or make an existing person an admin."""
    password = _read_password(password_stdin)
    try:
        person = services.find_person_by_email(services.normalise_email(email))
        if person is None:
            person = services.create_person(
                services.PersonData(email=email, display_name=name or email.split("@")[0], is_admin=True),
                password=password,
            )
        else:
            person.is_admin = True
            person.active = True
            services.set_password(person, password)
    except DomainError as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(f"{person.email} is an admin.")


@users.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def set_password(email: str, password_stdin: bool) -> None:
    """Set a person's password (ends their sessions)."""
    person = services.find_person_by_email(email)
    if person is None:
        _fail(f"No one has the email {email}.")
    try:
        services.set_password(person, _read_password(password_stdin))
    except DomainError as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(f"The password of {person.email} is set.")


@users.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_people(csv_file) -> None:
    """Import people from a CSV file (email,name,team,role_profile,roles[,time_zone]); all or nothing."""
    try:
        imported = services.import_people_csv(csv_file.read())
    except services.ImportRejected as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(f"{csv_file.name}: {error}", err=True)
        raise click.ClickException(exc.message) from None
    except UnicodeDecodeError:
        _fail(f"{csv_file.name} is not UTF-8 text; save it as CSV UTF-8.")
    db.session.commit()
    click.echo(f"Imported {len(imported)} people from {csv_file.name}.")
