"""``coe users ...``: create an admin, set a password, import people from CSV."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from flask import current_app, url_for

from coe.auth import services, tokens
from coe.errors import DomainError
from coe.extensions import db
from coe.mail import mail_enabled

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


def _link_url(link: tokens.IssuedLink) -> str:
    """The link's address on the public site (COE_BASE_URL), outside any request."""
    base = current_app.config.get("COE_BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base):
        return url_for("auth.set_password", secret=link.secret, _external=True)


def _print_links(links: list[tokens.IssuedLink]) -> None:
    """Without mail, the one time the links can be seen: name, email and link per line."""
    if not links or mail_enabled():
        return
    people = services.people_by_id([link.person_id for link in links])
    click.echo("No mail is configured (COE_SMTP_HOST): hand each person their one-time link.")
    for link in links:
        person = people[link.person_id]
        click.echo(f"{person.email},{_link_url(link)}")


@users.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--invite", is_flag=True, help="Give each person a one-time link to set a password (valid 7 days).")
def import_people(csv_file, invite: bool) -> None:
    """Import people from a CSV file (email,name,team,role_profile,roles[,time_zone]); all or nothing."""
    try:
        result = services.import_people_csv(csv_file.read(), invite=invite, link_url=_link_url)
    except services.ImportRejected as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(f"{csv_file.name}: {error}", err=True)
        raise click.ClickException(exc.message) from None
    except UnicodeDecodeError:
        _fail(f"{csv_file.name} is not UTF-8 text; save it as CSV UTF-8.")
    except DomainError as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(f"Imported {len(result.person_ids)} people from {csv_file.name}.")
    _print_links(result.links)


@users.command("invite")
@click.argument("email")
def invite(email: str) -> None:
    """Give a person a new one-time link to set their password (earlier links stop working)."""
    person = services.find_person_by_email(email)
    if person is None:
        _fail(f"No one has the email {email}.")
    link = services.invite_person(person, None, _link_url)
    db.session.commit()
    if mail_enabled():
        click.echo(f"An invitation went to {person.email}.")
    else:
        _print_links([link])
