"""Running a service from a submitted form: the one place that commits, flashes and redirects, or shows errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from collections.abc import Iterable

from flask import flash, redirect
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from werkzeug.wrappers import Response

from coe.errors import DomainError, NotAllowed, NotFound
from coe.extensions import db

T = TypeVar("T")


def choices(pairs: Iterable[tuple[object, str]], optgroup: str | None = None) -> list[SelectChoice]:
    """Options of a select field, as WTForms wants them (value, label, and the group they sit in)."""
    return [SelectChoice(value=value, label=label, optgroup=optgroup) for value, label in pairs]


def attach_errors(form: FlaskForm, error: DomainError) -> None:
    """Show a domain error on the form: each named problem on its field, anything else at the top."""
    problems = getattr(error, "problems", None)
    if not problems or not all(hasattr(problem, "field") for problem in problems):
        form.form_errors.append(error.message)
        return
    for problem in problems:
        target = getattr(form, problem.field, None)
        message = problem.message[0].upper() + problem.message[1:] + "."
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, message]
        else:
            form.form_errors.append(message)


def submit(form: FlaskForm, action: Callable[[], T], success: Callable[[T], str] | str,
           then: Callable[[T], str] | str) -> Response | None:
    """If ``form`` was submitted and is valid, run ``action`` and commit, flash ``success`` and redirect to ``then``.

    A DomainError rolls back whatever the action flushed and is shown on the form; the caller
    renders the page again (this returns None, as it does when nothing valid was submitted).
    NotFound and NotAllowed are not about the form but about the caller's reach: they propagate,
    and the caller gets the 404 or 403 page.
    """
    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except (NotFound, NotAllowed):
        db.session.rollback()
        raise
    except DomainError as error:
        db.session.rollback()
        attach_errors(form, error)
        return None
    db.session.commit()
    flash(success(result) if callable(success) else success, "success")
    return redirect(then(result) if callable(then) else then)
