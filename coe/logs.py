"""Keep secrets that travel in URLs out of log lines.

A one-time password link (``/password/set/<secret>``) and a calendar feed (``/calendar/...``,
whose address is its credential) must not land in an access log or an error log, where anyone
who reads the logs could use them. Query values named like credentials are hidden too.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

_PATTERNS = (
    # The set-password link's secret: one path segment.
    (re.compile(r"(/password/set/)[^/?#\s\"]+"), rf"\g<1>{REDACTED}"),
    # A calendar feed's address is its token: keep only the /calendar/ prefix.
    (re.compile(r"(/calendar/)[^?#\s\"]+"), rf"\g<1>{REDACTED}"),
    # Query values that are credentials: ?token=..., &secret=..., &key=..., &password=...
    (re.compile(r"([?&](?:token|secret|key|password|code)=)[^&#\s\"]*", re.IGNORECASE), rf"\g<1>{REDACTED}"),
)


def redact(text: str | None) -> str | None:
    """Return ``text`` (a path, a URL or a request line) with its secrets replaced by [redacted]."""
    if not text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _gunicorn_logger_base():
    from gunicorn.glogging import Logger

    return Logger


class AccessLogger(_gunicorn_logger_base()):
    """gunicorn's logger, with secrets taken out of the request line, path, query and referrer.

    Set as ``logger_class`` in gunicorn.conf.py.
    """

    REDACTED_ATOMS = ("r", "U", "q", "f", "{referer}i", "{raw_uri}e", "{path_info}e", "{query_string}e",
                      "{request_uri}e", "{http_referer}e")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in self.REDACTED_ATOMS:
            value = atoms.get(key)
            if isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
