"""``coe backup PATH`` and ``coe restore PATH``: a consistent copy of the database while the site runs.

SQLite: the online backup API copies the database page by page under a read transaction, so the
copy is one consistent moment even while workers write; restoring copies the pages back the same
way, in one write transaction, so the site never sees half a database.

PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot) and ``pg_restore --clean`` in a
single transaction. Without the PostgreSQL client tools the command says what to install and the
recipe to run by hand (README, Deploying).

The search index is not backed up: after a restore this host rebuilds it from the database, and
every other host is told to run ``coe content reindex``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from coe.extensions import db

PG_RECIPE = (
    "pg_dump --format=custom --no-owner --file=coe.dump \"$COE_DATABASE_URL\"   # backup\n"
    "pg_restore --clean --if-exists --no-owner --single-transaction --dbname=\"$COE_DATABASE_URL\" coe.dump"
    "   # restore\n"
    "(use a postgresql:// URL without the +psycopg part; install the client tools with "
    "`apt-get install postgresql-client` or your platform's package)"
)


class BackupError(Exception):
    """The backup or restore could not be made; ``message`` says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str
    size: int


def _url() -> URL:
    return db.engine.url


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("This SQLite database lives in memory and has no file to back up.")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict]:
    """A URL pg_dump understands (no +driver, no password in the process list), and its environment."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed on this host, so the PostgreSQL database cannot be "
                          f"{'backed up' if name == 'pg_dump' else 'restored'} from here. Install the "
                          f"PostgreSQL client tools of the server's major version, or run:\n{PG_RECIPE}")
    return found


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed (exit {done.returncode}): "
                          f"{done.stderr.strip() or done.stdout.strip()}")


def backup(path: str | Path) -> BackupResult:
    """Write a consistent copy of the database to ``path`` (written to a temporary file, then moved)."""
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} is a folder: give the backup file's name, such as {path / 'coe-backup.db'}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    url = _url()
    try:
        if url.get_backend_name() == "sqlite":
            source = sqlite3.connect(_sqlite_file(url))
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        elif url.get_backend_name() == "postgresql":
            dsn, env = _libpq(url)
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", dsn], env)
        else:
            raise BackupError(f"Backups of {url.get_backend_name()} databases are not supported.")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path, url.get_backend_name(), path.stat().st_size)


def _check_sqlite_backup(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite backup of this site ({exc}); nothing was changed.") from None
    if ok != "ok":
        raise BackupError(f"{path} is damaged (integrity check: {ok}); nothing was changed.")
    if not {"alembic_version", "person"} <= tables:
        raise BackupError(f"{path} is a SQLite database but not a backup of this site; nothing was changed.")


def restore(path: str | Path) -> BackupResult:
    """Replace the database's contents with the backup at ``path``, all at once; then rebuild the index."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    url = _url()
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        _check_sqlite_backup(path)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_file(url), timeout=30)
        try:
            source.backup(target)
        except sqlite3.OperationalError as exc:
            raise BackupError(f"The database could not be replaced ({exc}); nothing was changed. "
                              "Stop the web workers and run the restore again.") from None
        finally:
            target.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={dsn}", str(path)], env)
    else:
        raise BackupError(f"Restoring {url.get_backend_name()} databases is not supported.")
    return BackupResult(path, url.get_backend_name(), path.stat().st_size)
