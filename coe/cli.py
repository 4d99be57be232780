"""The ``coe`` command: Flask's CLI for this app, plus ``coe serve``."""

from __future__ import annotations

import os
import secrets

import click
from flask.cli import AppGroup, FlaskGroup, ScriptInfo, with_appcontext
from werkzeug.serving import run_simple

from coe.config import cookie_settings
from coe.tasks import huey, start_in_process_consumer


def _create_app():
    from coe import create_app

    return create_app()


cli = FlaskGroup(create_app=_create_app, help="Run and manage the coe site.")


def main() -> None:
    cli(prog_name="coe")


def prepare_site(app, demo: bool) -> tuple[list[tuple[str, str]], str]:
    """Upgrade the database, sync the content and, for a demo, seed an empty database."""
    from flask_migrate import upgrade

    from coe.content.pipeline import run_sync
    from coe.demo import seed_demo
    from coe.errors import InvalidContent
    from coe.extensions import db
    from coe.library.services import ensure_index

    with app.app_context():
        upgrade()
        try:
            click.echo(run_sync(app.config["COE_CONTENT_DIR"]).summary())
        except InvalidContent as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            raise click.ClickException(f"{len(exc.problems)} content problem(s); fix them and start again.") from None
        ensure_index()
        if not demo:
            return [], ""
        password = os.environ.get("COE_DEMO_PASSWORD") or secrets.token_urlsafe(12)
        logins = seed_demo(password)
        db.session.commit()
        return logins, password


@click.command("serve")
@click.option("--demo", is_flag=True, help="Seed a demo organisation into an empty database.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.pass_context
def serve(ctx: click.Context, demo: bool, host: str, port: int) -> None:
    """Prepare the database and content, then serve the site."""
    # Loopback HTTP without TLS: cookies marked Secure would be dropped by some browsers.
    os.environ.setdefault("COE_SECURE_COOKIES", "false" if host in {"127.0.0.1", "localhost", "::1"} else "true")
    app = ctx.ensure_object(ScriptInfo).load_app()
    secure = os.environ["COE_SECURE_COOKIES"] == "true"
    app.config.update(cookie_settings(secure))
    logins, password = prepare_site(app, demo)
    if logins:
        click.echo("\nDemo accounts (all share one password):")
        for email, role in logins:
            click.echo(f"  {email:<28} {role}")
        click.echo(f"  password: {password}")
    elif demo:
        click.echo("The database already holds people, so no demo data was added. "
                   "Forgot the password? Run: coe users set-password EMAIL")
    consumer = start_in_process_consumer()
    click.echo(f"\ncoe is serving on http://{host}:{port}  (Ctrl+C to stop)\n")
    # Werkzeug's threaded server, as `flask run` uses: enough for a demo or a small team.
    # Production runs gunicorn and `coe worker` (see the README).
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        consumer.stop(graceful=True)


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=int, help="Threads that run tasks.")
@click.pass_context
def worker(ctx: click.Context, workers: int) -> None:
    """Run background tasks (mail, reminders) until stopped; run one or more beside the web servers."""
    ctx.ensure_object(ScriptInfo).load_app()
    consumer = huey.create_consumer(workers=workers, worker_type="thread")
    click.echo(f"coe worker: {workers} thread(s) on the task queue (Ctrl+C to stop)")
    consumer.run()



@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path: str) -> None:
    """Write a consistent backup of the database to PATH while the site runs."""
    from coe import audit, backup
    from coe.extensions import db

    try:
        result = backup.backup(path)
    except backup.BackupError as exc:
        raise click.ClickException(exc.message) from None
    audit.record("backup.create", None, None, engine=result.engine, size=result.size)
    db.session.commit()
    click.echo(f"Backed up the {result.engine} database to {result.path} ({result.size:,} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: str, yes: bool) -> None:
    """Replace the database with the backup at PATH, then rebuild this host's search index."""
    from coe import audit, backup
    from coe.extensions import db
    from coe.library.services import refresh_index

    if not yes:
        click.confirm(f"Replace everything in the database with {path}?", abort=True)
    try:
        result = backup.restore(path)
    except backup.BackupError as exc:
        raise click.ClickException(exc.message) from None
    audit.record("backup.restore", None, None, engine=result.engine, file=os.path.basename(path))
    db.session.commit()
    click.echo(f"Restored the {result.engine} database from {result.path}.")
    click.echo(f"Search index {refresh_index(force=True)} from the restored database.")
    click.echo("If other hosts serve this database, run `coe content reindex` on each of them, "
               "and `coe db upgrade` everywhere if the backup predates the current release.")


people = AppGroup("people", help="A person's data rights: export everything stored about them, or erase it.")


def _find_person(email: str):
    from coe.auth import services

    person = services.find_person_by_email(email.strip().lower())
    if person is None:
        raise click.ClickException(f"No one has the email {email}.")
    return person


@people.command("export")
@click.argument("email")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file (default: stdout).")
def export_person_command(email: str, output: str | None) -> None:
    """Write everything stored about the person with EMAIL as JSON."""
    import json

    from coe.data_rights import export_person
    from coe.extensions import db

    data = export_person(_find_person(email))
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    db.session.commit()  # the export's audit event
    if output:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: owner only
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        click.echo(f"Wrote the personal data of person {data['person_id']} to {output}.", err=True)
    else:
        click.echo(text)


@people.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_person_command(email: str, yes: bool) -> None:
    """Anonymise the person with EMAIL, keeping the numbers of team statistics."""
    from coe.auth.personal_data import erased_name
    from coe.data_rights import erase_person
    from coe.errors import DomainError
    from coe.extensions import db

    person = _find_person(email)
    if not yes:
        click.confirm(f"Erase {person.display_name} <{person.email}>? This cannot be undone.", abort=True)
    try:
        erase_person(person)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Erased: person {person.id} is now \"{erased_name(person.id)}\"; their ratings still count "
               "in team statistics.")
