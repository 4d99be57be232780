"""The ``coe`` command: Flask's CLI for this app, plus ``coe serve``."""

from __future__ import annotations

import os
import secrets

import click
from flask.cli import FlaskGroup, ScriptInfo
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

