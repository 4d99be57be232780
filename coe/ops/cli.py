"""``coe backup``, ``coe restore`` and ``coe people export|erase``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from coe import audit
from coe.errors import DomainError
from coe.extensions import db
from coe.ops import backup as backups
from coe.ops import personal_data


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(path: Path) -> None:
    """Write a consistent backup of the database to PATH while the site keeps running."""
    try:
        line = backups.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], path)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    audit.record("backup.create", None, file=path.name)
    db.session.commit()
    click.echo(line)


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore(path: Path, yes: bool) -> None:
    """Replace the database's content with the backup at PATH, then rebuild this host's search index."""
    from coe.library import services

    if not yes:
        click.confirm(f"Replace everything in the database with {path}?", abort=True)
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold the old database while it is replaced
    try:
        line = backups.restore(current_app.config["SQLALCHEMY_DATABASE_URI"], path)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    db.engine.dispose()
    audit.record("backup.restore", None, file=path.name)
    db.session.commit()
    click.echo(line)
    click.echo(f"Search index {services.refresh_index(force=True)} on this host; run `coe content reindex` on every "
               "other host that serves the site.")


people = AppGroup("people", help="People's data rights: export everything about a person, or erase them.")


@people.command("export")
@click.argument("email")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: stdout).")
def export(email: str, output: Path | None) -> None:
    """Write everything stored about the person with EMAIL as JSON."""
    try:
        data = personal_data.export(personal_data.find(email))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        # Everything about a person: readable by the operator who asked for it, nobody else.
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        click.echo(f"Wrote {output}", err=True)


@people.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(email: str, yes: bool) -> None:
    """Anonymise the person with EMAIL: name, email, sign-ins and their own words go; statistics stay."""
    try:
        person = personal_data.find(email)
        if not yes:
            click.confirm(f"Erase {person.display_name} <{person.email}>? This cannot be undone.", abort=True)
        person_id = person.id
        personal_data.erase(person)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Erased: the person is now {personal_data.ERASED_NAME.format(id=person_id)} and cannot sign in.")
