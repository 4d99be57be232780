"""Consistent backups while the site runs, and restores.

SQLite: the online backup API copies the database page by page under its own locks, so readers and
writers carry on and the copy is one consistent moment. A restore copies a backup into the live
database the same way. PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot) and
``pg_restore --clean``, run as the database's own tools when they are installed.

After a restore the content generation may differ from what this host's search index holds, so
the index is rebuilt from the restored database.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from coe.errors import InvalidInput

PG_RECIPE = ("pg_dump --format=custom --file=BACKUP 'postgresql://USER@HOST/DB'   # back up\n"
             "pg_restore --clean --if-exists --no-owner --dbname='postgresql://USER@HOST/DB' BACKUP   # restore")


def backup(database_url: str, target: Path) -> str:
    """Write a consistent copy of the database to ``target``; return a line saying what was done."""
    url = make_url(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        partial = target.with_name(target.name + ".partial")
        with sqlite3.connect(source) as live, sqlite3.connect(partial) as copy:
            live.backup(copy)
        _check_sqlite(partial)
        partial.replace(target)  # a reader of ``target`` never sees half a backup
        return f"SQLite database {source} copied to {target} ({target.stat().st_size:,} bytes)"
    if url.get_backend_name() == "postgresql":
        tool = _pg_tool("pg_dump")
        partial = target.with_name(target.name + ".partial")
        result = subprocess.run([tool, "--format=custom", f"--file={partial}", _libpq_url(url)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise InvalidInput(f"pg_dump failed: {result.stderr.strip()[:2000]}")
        partial.replace(target)
        return f"PostgreSQL database {url.database} dumped to {target} ({target.stat().st_size:,} bytes)"
    raise InvalidInput(f"Backups support SQLite and PostgreSQL, not {url.get_backend_name()}.")


def restore(database_url: str, source: Path) -> str:
    """Replace the database's content with the backup at ``source``."""
    if not source.is_file():
        raise InvalidInput(f"There is no backup file at {source}.")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _check_sqlite(source)
        target = _sqlite_path(url)
        with sqlite3.connect(source) as backup_db, sqlite3.connect(target, timeout=30) as live:
            backup_db.backup(live)
        return f"SQLite database {target} restored from {source}"
    if url.get_backend_name() == "postgresql":
        tool = _pg_tool("pg_restore")
        result = subprocess.run([tool, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                                 f"--dbname={_libpq_url(url)}", str(source)], capture_output=True, text=True)
        if result.returncode != 0:
            raise InvalidInput(f"pg_restore failed: {result.stderr.strip()[:2000]}")
        return f"PostgreSQL database {url.database} restored from {source}"
    raise InvalidInput(f"Backups support SQLite and PostgreSQL, not {url.get_backend_name()}.")


def _sqlite_path(url) -> Path:
    if not url.database or url.database == ":memory:":
        raise InvalidInput("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _check_sqlite(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{path} is not a SQLite database: {exc}") from None
    if verdict != "ok":
        raise InvalidInput(f"{path} failed SQLite's integrity check: {verdict}")
    if not tables:
        raise InvalidInput(f"{path} is a SQLite database, but not a coe database (no alembic_version table).")


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise InvalidInput(f"{name} is not installed on this host. Install PostgreSQL's client tools, or run "
                           f"the recipe by hand:\n{PG_RECIPE}")
    return tool


def _libpq_url(url) -> str:
    """The SQLAlchemy URL as libpq reads it: no driver name."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
