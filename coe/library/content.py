"""The library's content source: content/library/<kind>/<slug>.md and content/synonyms.yml."""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select, update

from coe.auth.models import utcnow
from coe.content.context import SyncContext
from coe.content.files import LineDict, decode, load_yaml, read_bytes, read_yaml_file
from coe.content.governance import Governance, resolve
from coe.extensions import db
from coe.library import files
from coe.library.models import KINDS, Document, DocumentCompetency, DocumentFile, DocumentParameter, DocumentTag
from coe.library.rendering import RENDERER_VERSION, Renderer, Rendered

LIBRARY = "library"
SYNONYMS = "synonyms.yml"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED = ("title", "summary", "owner", "owner_name", "version", "reviewed")
OPTIONAL = ("tags", "competencies", "review_every", "register")
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
    links: list[str] = field(default_factory=list)
    rendered: Rendered | None = None
    parameters: set[str] = field(default_factory=set)
    files: dict[str, bytes] = field(default_factory=dict)  # format -> bytes, for templates

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.slug}"


@dataclass(frozen=True)
class KnownDocument:
    """What the database holds of a document, enough to skip it or archive it."""

    id: int
    checksum: str
    links: list[str]
    competencies: list[str]
    archived: bool


@dataclass
class LibraryData:
    documents: list[ParsedDocument]
    synonyms: list[list[str]]
    known: dict[str, KnownDocument]


def checksum(raw: bytes, governance_digest: str = "") -> str:
    """What decides whether a file must be rendered again: its bytes, the renderer and the governance values."""
    return hashlib.sha256(f"{RENDERER_VERSION}\0{governance_digest}\0".encode() + raw).hexdigest()


def _files(ctx: SyncContext) -> list[tuple[str, Path]]:
    """Return (kind, path) of every library file; record files in the wrong place."""
    base = ctx.root / LIBRARY
    found = []
    if not base.is_dir():
        ctx.problem(LIBRARY, "is missing: create content/library/ with methodologies/, templates/ and practices/.")
        return found
    # os.walk rather than Path.rglob: a large library has thousands of files and this runs on every sync.
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        relative = Path(folder).relative_to(base)
        for name in sorted(f for f in files if not f.startswith(".")):
            path = Path(folder, name)
            if len(relative.parts) != 1 or relative.parts[0] not in KINDS:
                ctx.problem(path, f"is not in a kind folder; move it to library/<kind>/ where kind is one of {', '.join(KINDS)}.")
            elif not name.endswith(".md"):
                ctx.problem(path, "is not a Markdown file; the library holds only .md files.")
            else:
                found.append((relative.parts[0], path))
    return found


def _split_front_matter(ctx: SyncContext, path: Path, text: str) -> tuple[str, str, int] | None:
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


def _check_meta(ctx: SyncContext, path: Path, meta, kind: str = "templates") -> dict | None:
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
    for key, limit in (("title", 200), ("summary", 400), ("owner", 120), ("owner_name", 120)):
        value = meta.get(key)
        if value not in (None, "") and (not isinstance(value, str) or len(value) > limit):
            bad(key, f"`{key}` must be text of at most {limit} characters.")
        clean[key] = str(value or "").strip()
    version = meta.raw.get("version") if meta.get("version") is not None else None
    if version is not None and 0 < len(version.strip()) <= 40 and not isinstance(meta["version"], (bool, list, dict)):
        clean["version"] = version.strip()
    elif meta.get("version") is not None:
        bad("version", "`version` must be a number or text of at most 40 characters, such as 2.1.")
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
        if not isinstance(values, list) or not all(
                isinstance(v, str) and SLUG.match(v.strip().lower()) and len(v) <= 60 for v in values):
            bad(key, f"`{key}` must be a list of lower-case words joined by hyphens (at most 60 characters each), "
                     "like [risk, planning].")
            values = []
        clean[key] = sorted({v.strip().lower() for v in values})
    codes = ctx.competency_codes
    if codes is not None:
        unknown = [code for code in clean["competencies"] if code not in codes]
        if unknown:
            bad("competencies", f"names competencies not in the framework: {', '.join(unknown)} "
                                "(see competencies/framework.yml for the codes).")
    if ctx.tags:
        unknown = [tag for tag in clean["tags"] if tag not in ctx.tags]
        if unknown:
            bad("tags", f"uses tags that tags.yml does not list: {', '.join(unknown)}; use one of the vocabulary's "
                        "tags or add the tag to tags.yml with a line saying what it covers.")
    clean["register"] = None
    if "register" in meta:
        if kind != "templates":
            bad("register", "only a template can be a register (published as .xlsx).")
        else:
            register, problems = files.parse_register(meta["register"])
            for problem in problems:
                bad("register", problem)
            clean["register"] = register
            clean["register_line"] = meta.line_of("register")
    return clean if ok else None


def _known() -> dict[str, KnownDocument]:
    """Read the small columns of every document (not the bodies), for checksums and archiving."""
    codes: dict[int, list[str]] = {}
    for doc_id, code in db.session.execute(select(DocumentCompetency.document_id, DocumentCompetency.competency_code)):
        codes.setdefault(doc_id, []).append(code)
    rows = db.session.execute(select(Document.id, Document.kind, Document.slug, Document.checksum, Document.links,
                                     Document.archived_at))
    return {f"{kind}/{slug}": KnownDocument(doc_id, digest, links or [], sorted(codes.get(doc_id, [])),
                                            archived is not None)
            for doc_id, kind, slug, digest, links, archived in rows}


def parse_library(ctx: SyncContext) -> LibraryData:
    """Read and validate every library file; render the changed ones; record every problem."""
    known_docs = _known()
    items: list[tuple[str, str, Path, str | None]] = []
    slugs: dict[str, str] = {}
    for kind, path in _files(ctx):
        slug, rel = path.stem, f"{LIBRARY}/{kind}/{path.name}"
        if not SLUG.match(slug) or len(slug) > 120:
            ctx.problem(path, "has a file name that is not a valid slug: use lower-case words joined by hyphens, "
                              "at most 120 characters, such as risk-register.md.")
        elif slug in slugs:
            ctx.problem(path, f"uses the slug `{slug}` that {slugs[slug]} already uses; rename one of them.")
        else:
            slugs[slug] = rel
            known = known_docs.get(f"{kind}/{slug}")
            items.append((kind, slug, path, known.checksum if known else None))
    refs = {f"{kind}/{slug}" for kind, slug, _, _ in items}
    ctx.document_refs = refs
    documents: list[ParsedDocument] = []
    for parsed, problems in _map_files(items, ctx, refs):
        ctx.problems.extend(problems)
        if parsed is None:
            continue
        if parsed.unchanged:
            known = known_docs[parsed.ref]
            parsed.links, parsed.meta = list(known.links), {"competencies": known.competencies}
        documents.append(parsed)
    _check_unchanged(ctx, documents)
    return LibraryData(documents, _parse_synonyms(ctx), known_docs)


# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 200
_worker: dict = {}


def _init_worker(root: Path, codes: set[str] | None, tags: dict | None, parameters: dict, refs: set[str]) -> None:
    digest = Governance(parameters).digest()
    _worker.update(root=root, codes=codes, tags=tags, parameters=parameters, digest=digest, renderer=Renderer(refs))


def _map_files(items: list, ctx: SyncContext, refs: set[str]) -> list:
    """Parse and render the files, on every core when there are many (a first sync of a large library)."""
    initargs = (ctx.root, ctx.competency_codes, ctx.tags, ctx.governance or {}, refs)
    cores = os.cpu_count() or 1
    if len(items) < PARALLEL_THRESHOLD or cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        _init_worker(*initargs)
        return [_parse_file(item) for item in items]
    # fork: workers inherit the loaded code; they read files and render, and never touch the database.
    with multiprocessing.get_context("fork").Pool(cores, _init_worker, initargs) as pool:
        return pool.map(_parse_file, items, chunksize=50)


def _parse_file(item: tuple[str, str, Path, str | None]) -> tuple[ParsedDocument | None, list]:
    """Read, validate and render one file; return it (None if invalid) and the problems found."""
    kind, slug, path, known_checksum = item
    ctx = SyncContext(_worker["root"], competency_codes=_worker["codes"], tags=_worker["tags"])
    rel = f"{LIBRARY}/{kind}/{path.name}"
    raw = read_bytes(ctx, path)
    if raw is None:
        return None, ctx.problems
    digest = checksum(raw, _worker["digest"])
    if digest == known_checksum:
        return ParsedDocument(kind, slug, rel, digest, True), ctx.problems
    text = decode(ctx, path, raw)
    split = _split_front_matter(ctx, path, text) if text is not None else None
    if split is None:
        return None, ctx.problems
    yaml_text, body, body_line = split
    meta = _check_meta(ctx, path, load_yaml(ctx, path, yaml_text, line_offset=1), kind)
    if meta is None:
        return None, ctx.problems
    resolved = resolve(body, _worker["parameters"])
    for line, message in resolved.problems:
        ctx.problem(path, message, line + body_line)
    rendered = _worker["renderer"].render(resolved.text, kind, line_offset=body_line)
    for href, line in rendered.bad_links:
        ctx.problem(path, f"links to `{href}`, which is not a library document; "
                          "link by relative path, such as ../templates/risk-register.md.", line)
    parsed = ParsedDocument(kind, slug, rel, digest, False, meta, text, links=rendered.links, rendered=rendered,
                            parameters=resolved.used)
    if kind == "templates" and not ctx.problems:
        parsed.files = _template_files(ctx, path, meta, rendered.html)
    return parsed, ctx.problems


def _template_files(ctx: SyncContext, path: Path, meta: dict, html: str) -> dict[str, bytes]:
    """The files a template downloads as: .docx always, .xlsx when it is a register."""
    produced = {"docx": files.template_docx(html, meta["title"], meta["summary"], meta["version"],
                                            f"{meta['owner_name']}, {meta['owner']}")}
    register = meta.get("register")
    if register is not None:
        problems = files.check_register(register, html)
        for problem in problems:
            ctx.problem(path, problem, meta["register_line"])
        if not problems:
            produced["xlsx"] = files.register_xlsx(register, html, meta["title"], meta["summary"], meta["version"])
    return produced


def _check_unchanged(ctx: SyncContext, documents: list[ParsedDocument]) -> None:
    """Unchanged files skip rendering, but their links and competencies must still resolve."""
    refs = {doc.ref for doc in documents}
    codes = ctx.competency_codes
    for doc in (d for d in documents if d.unchanged):
        for ref in doc.links:
            if ref not in refs:
                ctx.problem(f"{LIBRARY}/{doc.ref}.md", f"links to {ref}.md, which no longer exists; fix or remove the link.")
        if codes is not None:
            for code in doc.meta["competencies"]:
                if code not in codes:
                    ctx.problem(f"{LIBRARY}/{doc.ref}.md",
                                f"names the competency `{code}`, which the framework no longer defines.")


def _parse_synonyms(ctx: SyncContext) -> list[list[str]]:
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


def apply_library(data: LibraryData, ctx: SyncContext) -> dict[str, int]:
    """Write changed documents, archive removed ones; mark them with the new generation."""
    generation = ctx.generation
    now = utcnow()
    counts = {"added": 0, "updated": 0, "unchanged": 0, "archived": 0, "restored": 0}
    new: list[ParsedDocument] = []
    changed: dict[int, ParsedDocument] = {}
    restored: list[int] = []
    for parsed in data.documents:
        known = data.known.get(parsed.ref)
        if known is None:
            new.append(parsed)
        elif not parsed.unchanged:
            changed[known.id] = parsed
            counts["restored" if known.archived else "updated"] += 1
        elif known.archived:
            restored.append(known.id)
        else:
            counts["unchanged"] += 1
    seen = {parsed.ref for parsed in data.documents}
    removed = [known.id for ref, known in data.known.items() if ref not in seen and not known.archived]
    if restored:
        db.session.execute(update(Document).where(Document.id.in_(restored))
                           .values(archived_at=None, generation=generation))
    if removed:
        db.session.execute(update(Document).where(Document.id.in_(removed))
                           .values(archived_at=now, generation=generation))
    for doc in db.session.scalars(select(Document).where(Document.id.in_(list(changed)))):
        _fill(doc, changed[doc.id], generation, now)
    _insert(new, generation, now)
    counts["added"], counts["archived"] = len(new), len(removed)
    counts["restored"] += len(restored)
    ctx.index_changed |= any(counts[k] for k in ("added", "updated", "archived", "restored"))
    ctx.synonyms = data.synonyms
    db.session.flush()
    return {f"documents {key}": value for key, value in counts.items()}


def _values(parsed: ParsedDocument, generation: int, now) -> dict:
    meta, rendered = parsed.meta, parsed.rendered
    return {
        "path": parsed.path, "title": meta["title"], "summary": meta["summary"], "owner": meta["owner"],
        "owner_name": meta["owner_name"],
        "version": meta["version"], "reviewed": meta["reviewed"], "review_every": meta["review_every"],
        "source": parsed.source, "html": rendered.html, "toc_html": rendered.toc_html, "text": rendered.text,
        "word_count": rendered.word_count, "links": rendered.links, "checksum": parsed.checksum,
        "generation": generation, "archived_at": None, "updated_at": now,
    }


def _fill(doc: Document, parsed: ParsedDocument, generation: int, now) -> None:
    for name, value in _values(parsed, generation, now).items():
        setattr(doc, name, value)
    doc.tags = [DocumentTag(tag=tag) for tag in parsed.meta["tags"]]
    doc.competencies = [DocumentCompetency(competency_code=code) for code in parsed.meta["competencies"]]
    doc.parameters = [DocumentParameter(parameter_key=key) for key in sorted(parsed.parameters)]
    doc.files = [DocumentFile(format=fmt, content=content, size=len(content)) for fmt, content in parsed.files.items()]


def _insert(new: list[ParsedDocument], generation: int, now) -> None:
    """Insert new documents in bulk: a first sync of a large library is thousands of rows."""
    if not new:
        return
    rows = [{"kind": p.kind, "slug": p.slug, "created_at": now, **_values(p, generation, now)} for p in new]
    ids = db.session.scalars(insert(Document).returning(Document.id, sort_by_parameter_order=True), rows).all()
    tags = [{"document_id": i, "tag": tag} for i, p in zip(ids, new) for tag in p.meta["tags"]]
    codes = [{"document_id": i, "competency_code": c} for i, p in zip(ids, new) for c in p.meta["competencies"]]
    if tags:
        db.session.execute(insert(DocumentTag), tags)
    if codes:
        db.session.execute(insert(DocumentCompetency), codes)
    parameters = [{"document_id": i, "parameter_key": k} for i, p in zip(ids, new) for k in sorted(p.parameters)]
    if parameters:
        db.session.execute(insert(DocumentParameter), parameters)
    produced = [{"document_id": i, "format": fmt, "content": content, "size": len(content)}
                for i, p in zip(ids, new) for fmt, content in p.files.items()]
    if produced:
        db.session.execute(insert(DocumentFile), produced)
