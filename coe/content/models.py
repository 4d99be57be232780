"""The content generation: one counter that every sync which changes searchable content moves on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, Integer
from sqlalchemy.orm import Mapped, mapped_column

from coe.extensions import db


class ContentState(db.Model):
    """One row: the content generation (bumped by every sync that changes something)."""

    __tablename__ = "content_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    synonyms: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
