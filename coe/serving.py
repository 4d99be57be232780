"""What gunicorn needs from coe beyond the app: an access log that never writes a secret, and a quick exit.

Some addresses carry a secret in their path: a sign-in or password link (``/password/set/<secret>``)
and a private calendar feed. Access logs are read by more people than the database, and kept
longer, so those parts of a path are replaced by ``[redacted]`` before a line is written.
"""

from __future__ import annotations

import logging
import os
import re
import sys

from gunicorn.glogging import Logger, SafeAtoms

# Paths whose next segment is a secret, whatever it looks like.
SECRET_PREFIXES = re.compile(r"(/password/set/|/calendar/|/feeds?/)[^/?#\s]+")
# Any other path segment that looks like a generated token: 20+ URL-safe characters with an upper-case
# letter or a digit mixed in (slugs are lower-case words joined by hyphens).
TOKEN_SEGMENT = re.compile(r"(?<=/)(?=[A-Za-z0-9_-]{20,}(?:[/?#\s]|$))(?=[^/?#\s]*[A-Z0-9])(?![a-z0-9-]+(?:[/?#\s]|$))"
                           r"[A-Za-z0-9_-]+")
# Query parameters that carry secrets, in a request line or in the query string on its own.
SECRET_PARAMS = re.compile(r"((?:^|[?&])(?:token|key|secret|code)=)[^&\s]+", re.IGNORECASE)


def redact(text: str) -> str:
    """The path or request line with every secret replaced."""
    if not text:
        return text
    text = SECRET_PREFIXES.sub(r"\1[redacted]", text)
    text = TOKEN_SEGMENT.sub("[redacted]", text)
    return SECRET_PARAMS.sub(r"\1[redacted]", text)


class RedactingAtoms(SafeAtoms):
    """The values of an access line, each redacted as the line's format reads it: a line reads a handful
    of the dozens of atoms gunicorn offers (every header and environment value), so redacting on read
    costs a few substitutions a request instead of a hundred."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        return redact(value) if isinstance(value, str) else value


class RedactingLogger(Logger):
    """gunicorn's logger, with secrets taken out of every part of an access line that holds an address:
    the request line, path and query, and the Referer (a page at a secret address is the referrer of the
    styles and scripts it loads), and any header or environment value a custom format names."""

    atoms_wrapper_class = RedactingAtoms


def end_worker(worker) -> None:
    """End a gunicorn worker's process now, without tearing down its interpreter, when it is ending normally.

    Called last in ``worker_exit``, inside an app context, once the worker's own state is written. A
    worker recycled after ``max_requests`` spent about 0.6 s freeing every object of its interpreter
    before exiting, and the master replaces a worker only once it has exited: with two workers, that
    was a window with one worker or none, the p99 of a busy site's fastest pages (130-495 ms in
    ``bench/run.py``). The engine is disposed and logging shut down first; the only other exit handler
    a worker registers runs weakref finalizers (temporary files), and a worker ending has none left.

    Only a worker that booted and is leaving with exit status 0 ends here: a worker that failed to boot
    leaves with gunicorn's own status, which the master reads to stop retrying.
    """
    from coe.extensions import db

    leaving = sys.exc_info()[1]
    if not getattr(worker, "booted", False) or not isinstance(leaving, SystemExit) or leaving.code not in (None, 0):
        return
    db.engine.dispose()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
