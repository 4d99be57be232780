"""Domain errors, and the one place that turns errors into HTTP responses."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from coe.extensions import db

log = logging.getLogger(__name__)
# Authentication and authorization failures, for an operator's alerting: no secrets, no emails.
security_log = logging.getLogger("coe.security")


class DomainError(Exception):
    """A rule of the domain was broken; ``message`` is safe to show to the user."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class InvalidInput(DomainError):
    status = 400


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a content file: where, and what to do about it."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class InvalidContent(DomainError):
    """Content files failed validation; ``problems`` lists every one of them."""

    status = 400

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.path, p.line or 0))
        super().__init__(f"{len(self.problems)} problem(s) in the content")


TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Upload too large",
    429: "Too many attempts",
    500: "Something went wrong",
}

EXPLANATIONS = {
    400: "The request could not be understood. Go back, check what you entered and try again.",
    403: "Your account does not have access to this page. Ask a CoE admin if you think it should.",
    404: "There is no page at this address. It may have moved: try the search box or the library.",
    405: "This address does not accept that kind of request.",
    409: "That change conflicts with the current state. Reload the page and try again.",
    413: "The file you sent is larger than the 5 MB this site accepts.",
    429: "Too many attempts in a short time. Wait a minute, then try again.",
    500: "The site hit an unexpected error. It has been logged; try again in a moment.",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, message: str | None = None):
    """Render an error in the site's layout, or as JSON for API paths."""
    message = message or EXPLANATIONS.get(status, "")
    title = TITLES.get(status, "Error")
    if wants_json():
        return jsonify(error=title, message=message), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _who() -> str:
    """The signed-in person's id for a log line (never a name, email or credential)."""
    from flask_login import current_user

    try:
        return f"person {current_user.id}" if current_user.is_authenticated else "an anonymous visitor"
    except Exception:  # noqa: BLE001 - the log line must not fail the error page
        return "an unknown visitor"


def register_errorhandlers(app: Flask) -> None:
    """Render every error in the site's layout (JSON under /api/)."""

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        # Whatever the failed operation flushed must not be committed by anything later.
        db.session.rollback()
        if isinstance(error, NotAllowed):
            security_log.warning("access refused: %s %s for %s from %s", request.method, request.path,
                                 _who(), request.remote_addr)
        return error_response(error.status, error.message)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        security_log.warning("CSRF check failed (%s): %s %s for %s from %s", error.description, request.method,
                             request.path, _who(), request.remote_addr)
        return error_response(
            400,
            "The form's security token was missing, expired or forged, so nothing was changed. "
            "Reload the page and submit the form again.",
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        message = None
        if status == 429:
            message = EXPLANATIONS[429]
            security_log.warning("rate limit reached: %s %s from %s", request.method, request.path,
                                 request.remote_addr)
        response = error_response(status, message)
        if status == 405 and error.valid_methods:
            resp, code = response
            return resp, code, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500)
