"""Library documents as synced from content/library/, and the searches that found nothing."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coe.auth.models import utcnow
from coe.extensions import db

KINDS = ("methodologies", "templates", "practices")
KIND_LABELS = {"methodologies": "Methodology", "templates": "Template", "practices": "Best practice"}
KIND_TITLES = {"methodologies": "Methodologies", "templates": "Templates", "practices": "Best practices"}


class Document(db.Model):
    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("kind", "slug"),
        CheckConstraint("kind IN ('methodologies', 'templates', 'practices')", name="kind_known"),
        CheckConstraint("review_every > 0", name="review_every_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(120))
    path: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(200), index=True)
    summary: Mapped[str] = mapped_column(String(400))
    owner: Mapped[str] = mapped_column(String(120))  # the role that keeps it current
    owner_name: Mapped[str] = mapped_column(String(120), default="", server_default="")  # the person in it
    version: Mapped[str] = mapped_column(String(40))
    reviewed: Mapped[date] = mapped_column(Date, index=True)
    review_every: Mapped[int] = mapped_column(Integer, default=12)
    source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    toc_html: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    checksum: Mapped[str] = mapped_column(String(64))
    # The content generation in which this document last changed (created, edited, archived).
    generation: Mapped[int] = mapped_column(Integer, index=True)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tags: Mapped[list[DocumentTag]] = relationship(cascade="all, delete-orphan", order_by="DocumentTag.tag")
    competencies: Mapped[list[DocumentCompetency]] = relationship(
        cascade="all, delete-orphan", order_by="DocumentCompetency.competency_code"
    )
    parameters: Mapped[list[DocumentParameter]] = relationship(
        cascade="all, delete-orphan", order_by="DocumentParameter.parameter_key"
    )
    files: Mapped[list[DocumentFile]] = relationship(cascade="all, delete-orphan", order_by="DocumentFile.format")

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]

    @property
    def competency_codes(self) -> list[str]:
        return [c.competency_code for c in self.competencies]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.slug}"


class DocumentTag(db.Model):
    __tablename__ = "document_tag"

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class DocumentCompetency(db.Model):
    __tablename__ = "document_competency"

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    competency_code: Mapped[str] = mapped_column(ForeignKey("competency.code"), primary_key=True, index=True)


class DocumentParameter(db.Model):
    """A governance parameter the document shows (for the governance page's "used in")."""

    __tablename__ = "document_parameter"

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    # Not a foreign key: the parameters are rewritten by every sync, and a sync refuses unknown keys.
    parameter_key: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class DocumentFile(db.Model):
    """A file the document downloads as (.docx of a template, .xlsx of a register), produced at sync."""

    __tablename__ = "document_file"
    __table_args__ = (CheckConstraint("format IN ('docx', 'xlsx')", name="format_known"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    format: Mapped[str] = mapped_column(String(8), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)


class SearchMiss(db.Model):
    """A normalised query that found nothing, and how often people asked it."""

    __tablename__ = "search_miss"

    query: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DocumentViewDay(db.Model):
    """How often a document was opened on a day: counted per document, never per person, so nobody is tracked."""

    __tablename__ = "document_view_day"
    __table_args__ = (CheckConstraint("count >= 1", name="count_positive"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
