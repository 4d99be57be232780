"""The content generation: one counter that every sync which changes searchable content moves on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, Integer, String, Text
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


class GovernanceGroup(db.Model):
    """A group of governance.yml, for the governance page's headings."""

    __tablename__ = "governance_group"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class GovernanceParameter(db.Model):
    """One of the organisation's rules, as documents show it."""

    __tablename__ = "governance_parameter"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(200), default="")
    value: Mapped[str] = mapped_column(String(220))
    description: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ContentTag(db.Model):
    """A tag of the vocabulary in tags.yml."""

    __tablename__ = "content_tag"

    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    description: Mapped[str] = mapped_column(Text)
