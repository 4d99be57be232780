"""The library's content source: content/library/<kind>/<slug>.md and content/synonyms.yml."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coe.auth.models import utcnow
from coe.contentfiles import ContentContext, LineDict, decode, load_yaml, read_bytes, read_yaml_file
from coe.extensions import db
from coe.library.models import KINDS, Document, DocumentCompetency, DocumentTag
from coe.library.rendering import RENDERER_VERSION, render_many

LIBRARY = "library"
SYNONYMS = "synonyms.yml"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED = ("title", "summary", "owner", "version", "reviewed")
OPTIONAL = ("tags", "competencies", "review_every")
FRONT_MATTER_END = re.compile(r"^(---|\.\.\.)\s*$", re.MULTILINE)


@dataclass
class ParsedDocument:
    kind: str
    slug: str
    path: str
    checksum: str
    unchanged: bool
    meta: dict = field(default_factory=dict)
    source: str = ""
    body: str = ""
    body_line: int = 0
    links: list[str] = field(default_factory=list)
    rendered: object | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.slug}"


@dataclass
class LibraryData:
    documents: list[ParsedDocument]
    synonyms: list[list[str]]


def checksum(raw: bytes) -> str:
    return hashlib.sha256(RENDERER_VERSION.encode() + b"\0" + raw).hexdigest()


def _files(ctx: ContentContext) -> list[tuple[str, Path]]:
    """Return (kind, path) of every library file; record files in the wrong place."""
    base = ctx.root / LIBRARY
    found = []
    if not base.is_dir():
        ctx.problem(LIBRARY, "is missing: create content/library/ with methodologies/, templates/ and practices/.")
        return found
    for path in sorted(base.rglob("*")):
        relative = path.relative_to(base)
        if any(part.startswith(".") for part in relative.parts) or path.is_dir():
            continue
        if len(relative.parts) != 2 or relative.parts[0] not in KINDS:
            ctx.problem(path, f"is not in a kind folder; move it to library/<kind>/ where kind is one of {', '.join(KINDS)}.")
            continue
        if path.suffix != ".md":
            ctx.problem(path, "is not a Markdown file; the library holds only .md files.")
            continue
        found.append((relative.parts[0], path))
    return found


def _split_front_matter(ctx: ContentContext, path: Path, text: str) -> tuple[str, str, int] | None:
    """Return (yaml, body, line where the body starts) or record why there is no front matter."""
    if not text.startswith("---"):
        ctx.problem(path, "does not start with YAML front matter: begin the file with a line `---`, "
                          "the fields (title, summary, owner, version, reviewed, ...), then `---`.", 1)
        return None
    first_newline = text.find("\n")
    end = FRONT_MATTER_END.search(text, first_newline + 1) if first_newline >= 0 else None
    if end is None:
        ctx.problem(path, "has front matter that is never closed: add a line `---` after the last field.", 1)
        return None
    yaml_text = text[first_newline + 1:end.start()]
    body_start = end.end() + 1
    return yaml_text, text[body_start:], text.count("\n", 0, body_start)


def _check_meta(ctx: ContentContext, path: Path, meta) -> dict | None:
    if not isinstance(meta, LineDict):
        ctx.problem(path, "front matter must be a set of `field: value` lines.", 2)
        return None
    ok = True

    def bad(key: str, message: str) -> None:
        nonlocal ok
        ok = False
        ctx.problem(path, message, meta.line_of(key))

    for key in meta:
        if key not in REQUIRED + OPTIONAL:
            bad(key, f"has an unknown field `{key}`; the fields are {', '.join(REQUIRED + OPTIONAL)}.")
    for key in REQUIRED:
        if meta.get(key) in (None, ""):
            ctx.problem(path, f"lacks the required field `{key}`.", meta.line)
            ok = False
    clean: dict = {}
    for key, limit in (("title", 200), ("summary", 400), ("owner", 120)):
        value = meta.get(key)
        if value not in (None, "") and (not isinstance(value, str) or len(value) > limit):
            bad(key, f"`{key}` must be text of at most {limit} characters.")
        clean[key] = str(value or "").strip()
    version = meta.get("version")
    if isinstance(version, (int, float, str)) and not isinstance(version, bool):
        clean["version"] = str(version).strip()
    elif version is not None:
        bad("version", "`version` must be a number or text such as \"2.1\".")
    reviewed = meta.get("reviewed")
    if isinstance(reviewed, dt.date) and not isinstance(reviewed, dt.datetime):
        clean["reviewed"] = reviewed
    elif reviewed is not None:
        bad("reviewed", f"`reviewed` must be a date written YYYY-MM-DD (got {reviewed!r}).")
    review_every = meta.get("review_every", 12)
    if not isinstance(review_every, int) or isinstance(review_every, bool) or not 1 <= review_every <= 60:
        bad("review_every", "`review_every` must be a whole number of months from 1 to 60.")
    clean["review_every"] = review_every
    for key in ("tags", "competencies"):
        values = meta.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and SLUG.match(v.strip().lower()) for v in values):
            bad(key, f"`{key}` must be a list of lower-case words joined by hyphens, like [risk, planning].")
            values = []
        clean[key] = sorted({v.strip().lower() for v in values})
    codes = ctx.shared.get("competency_codes")
    if codes is not None:
        unknown = [code for code in clean["competencies"] if code not in codes]
        if unknown:
            bad("competencies", f"names competencies not in the framework: {', '.join(unknown)} "
                                "(see competencies/framework.yml for the codes).")
    return clean if ok else None


def _existing() -> dict[str, Document]:
    docs = db.session.scalars(select(Document).options(selectinload(Document.competencies)))
    return {doc.ref: doc for doc in docs}


def parse_library(ctx: ContentContext) -> LibraryData:
    """Read and validate every library file; render the changed ones; record every problem."""
    existing = _existing()
    documents: list[ParsedDocument] = []
    slugs: dict[str, str] = {}
    for kind, path in _files(ctx):
        slug, rel = path.stem, ctx.rel(path)
        if not SLUG.match(slug):
            ctx.problem(path, "has a file name that is not a valid slug: use lower-case words joined by hyphens, "
                              "such as risk-register.md.")
            continue
        if slug in slugs:
            ctx.problem(path, f"uses the slug `{slug}` that {slugs[slug]} already uses; rename one of them.")
            continue
        slugs[slug] = rel
        raw = read_bytes(ctx, path)
        if raw is None:
            continue
        digest = checksum(raw)
        known = existing.get(f"{kind}/{slug}")
        if known is not None and known.checksum == digest:
            documents.append(ParsedDocument(kind, slug, rel, digest, True, links=list(known.links),
                                            meta={"competencies": known.competency_codes}))
            continue
        text = decode(ctx, path, raw)
        if text is None:
            continue
        split = _split_front_matter(ctx, path, text)
        if split is None:
            continue
        yaml_text, body, body_line = split
        meta = _check_meta(ctx, path, load_yaml(ctx, path, yaml_text, line_offset=1))
        if meta is None:
            continue
        documents.append(ParsedDocument(kind, slug, rel, digest, False, meta, text, body, body_line))
    _check_unchanged(ctx, documents)
    _render_changed(ctx, documents)
    return LibraryData(documents, _parse_synonyms(ctx))


def _check_unchanged(ctx: ContentContext, documents: list[ParsedDocument]) -> None:
    """Unchanged files skip rendering, but their links and competencies must still resolve."""
    refs = {doc.ref for doc in documents}
    codes = ctx.shared.get("competency_codes")
    for doc in (d for d in documents if d.unchanged):
        for ref in doc.links:
            if ref not in refs:
                ctx.problem(f"{LIBRARY}/{doc.ref}.md", f"links to {ref}.md, which no longer exists; fix or remove the link.")
        if codes is not None:
            for code in doc.meta["competencies"]:
                if code not in codes:
                    ctx.problem(f"{LIBRARY}/{doc.ref}.md",
                                f"names the competency `{code}`, which the framework no longer defines.")


def _render_changed(ctx: ContentContext, documents: list[ParsedDocument]) -> None:
    changed = [doc for doc in documents if not doc.unchanged]
    if not changed:
        return
    rendered_all = render_many([(doc.body, doc.kind, doc.body_line) for doc in changed], {doc.ref for doc in documents})
    for doc, rendered in zip(changed, rendered_all):
        for href, line in rendered.bad_links:
            ctx.problem(f"{LIBRARY}/{doc.ref}.md", f"links to `{href}`, which is not a library document; "
                        "link by relative path, such as ../templates/risk-register.md.", line)
        doc.rendered, doc.links = rendered, rendered.links


def _parse_synonyms(ctx: ContentContext) -> list[list[str]]:
    """Read synonyms.yml: a mapping of acronym to its expansion, as lower-case word groups."""
    path = ctx.root / SYNONYMS
    if not path.exists():
        return []
    data = read_yaml_file(ctx, path)
    if data is None:
        return []
    if not isinstance(data, LineDict):
        ctx.problem(path, "must map each acronym to its expansion, one per line, such as `RACI: responsible accountable consulted informed`.", 1)
        return []
    groups = []
    for acronym, expansion in data.items():
        if not isinstance(acronym, str) or not isinstance(expansion, str) or len(expansion.split()) < 2:
            ctx.problem(path, f"`{acronym}` needs an expansion of two or more words.", data.line_of(acronym))
            continue
        groups.append([acronym.strip().lower(), " ".join(expansion.lower().split())])
    return groups


def apply_library(data: LibraryData, ctx: ContentContext) -> dict[str, int]:
    """Write changed documents, archive removed ones; mark them with the new generation."""
    generation = ctx.shared["generation"]
    existing = _existing()
    now = utcnow()
    counts = {"added": 0, "updated": 0, "unchanged": 0, "archived": 0, "restored": 0}
    seen = set()
    for parsed in data.documents:
        seen.add(parsed.ref)
        doc = existing.get(parsed.ref)
        if parsed.unchanged and doc is not None:
            if doc.archived_at is not None:
                doc.archived_at, doc.generation = None, generation
                counts["restored"] += 1
            else:
                counts["unchanged"] += 1
            continue
        if doc is None:
            doc = Document(kind=parsed.kind, slug=parsed.slug, created_at=now)
            db.session.add(doc)
            counts["added"] += 1
        else:
            counts["restored" if doc.archived_at else "updated"] += 1
        _fill(doc, parsed, generation, now)
    for ref, doc in existing.items():
        if ref not in seen and doc.archived_at is None:
            doc.archived_at, doc.generation = now, generation
            counts["archived"] += 1
    ctx.shared["index_changed"] = any(counts[k] for k in ("added", "updated", "archived", "restored"))
    ctx.shared["synonyms"] = data.synonyms
    db.session.flush()
    return {f"documents {key}": value for key, value in counts.items()}


def _fill(doc: Document, parsed: ParsedDocument, generation: int, now) -> None:
    meta, rendered = parsed.meta, parsed.rendered
    doc.path = parsed.path
    doc.title, doc.summary, doc.owner, doc.version = meta["title"], meta["summary"], meta["owner"], meta["version"]
    doc.reviewed, doc.review_every = meta["reviewed"], meta["review_every"]
    doc.source = parsed.source
    doc.html, doc.toc_html, doc.text = rendered.html, rendered.toc_html, rendered.text
    doc.word_count, doc.links = rendered.word_count, rendered.links
    doc.checksum, doc.generation, doc.archived_at, doc.updated_at = parsed.checksum, generation, None, now
    doc.tags = [DocumentTag(tag=tag) for tag in meta["tags"]]
    doc.competencies = [DocumentCompetency(competency_code=code) for code in meta["competencies"]]
