"""``coe quizzes export SLUG --format gift``: write a quiz out as Moodle GIFT."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from coe.errors import NotFound
from coe.quizzes import services
from coe.quizzes.gift import write_gift

quizzes = AppGroup("quizzes", help="Quizzes: export to Moodle.")


@quizzes.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["gift"]), default="gift", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="The file to write (default: standard output).")
def export(slug: str, fmt: str, output: str | None) -> None:
    """Write the quiz SLUG in a format Moodle imports (GIFT)."""
    try:
        quiz = services.get_quiz(slug)
    except NotFound as error:
        raise click.ClickException(error.message) from None
    text = write_gift(services.definitions(quiz), quiz.title,
                      f"{quiz.title}\nExported from the PM Center of Excellence (quiz {quiz.slug}).")
    if output:
        with open(output, "w", encoding="utf-8") as file:
            file.write(text)
        click.echo(f"Wrote {quiz.slug} as GIFT to {output}", err=True)
    else:
        click.echo(text, nl=False)
