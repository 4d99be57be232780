"""Every row of every table, for comparing databases and for searching a whole database for a value."""

from __future__ import annotations

from sqlalchemy import select, text

from coe.extensions import db


def table_contents() -> dict[str, list[tuple]]:
    """{table: sorted rows} for every table of the schema, and the migration version."""
    contents = {table.name: sorted((tuple(row) for row in db.session.execute(select(table))), key=repr)
                for table in db.metadata.sorted_tables}
    contents["alembic_version"] = [tuple(row) for row in db.session.execute(text("SELECT * FROM alembic_version"))]
    return contents


def dump_text() -> str:
    """The whole database as one lower-case text, one line per row."""
    return "\n".join(f"{name}: {row!r}" for name, rows in table_contents().items() for row in rows).lower()
