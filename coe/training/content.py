"""Load content/tracks/*.yml: validate every track against the library, framework, role profiles and
quizzes, then write. Steps keep their ids across edits, so that people's progress survives a change."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from coe.auth.models import utcnow
from coe.content.context import SyncContext
from coe.content.files import LineDict, read_yaml_file
from coe.extensions import db
from coe.library.rendering import Renderer
from coe.training.models import STEP_KINDS, Track, TrackAudience, TrackCompetency, TrackStep

log = logging.getLogger(__name__)

TRACKS = "tracks"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEYS = {"title", "summary", "description", "audience", "competencies", "hours", "prerequisites", "ordered", "steps"}
STEP_KEYS = {"read": {"id", "kind", "document", "note"}, "quiz": {"id", "kind", "quiz", "note"},
             "task": {"id", "kind", "title", "instructions"},
             "mentor": {"id", "kind", "title", "competency", "instructions"}}


@dataclass
class StepData:
    key: str
    kind: str
    title: str = ""
    document_ref: str | None = None
    quiz_slug: str | None = None
    competency_code: str | None = None
    markdown: str = ""
    line: int = 0


@dataclass
class TrackData:
    slug: str
    path: str
    title: str
    summary: str
    description: str
    audience: list[str]
    competencies: dict[str, int]
    hours: int
    prerequisites: list[str]
    ordered: bool
    steps: list[StepData]
    prerequisites_line: int = 0

    @property
    def checksum(self) -> str:
        values = {k: v for k, v in self.__dict__.items() if k not in ("steps", "prerequisites_line", "path")}
        values["steps"] = [{k: v for k, v in s.__dict__.items() if k != "line"} for s in self.steps]
        return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


@dataclass
class TracksData:
    tracks: list[TrackData] = field(default_factory=list)


def _text(ctx: SyncContext, path: Path, item: LineDict, key: str, what: str, limit: int) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        ctx.problem(path, f"{what} needs `{key}`: text of at most {limit} characters.", item.line_of(key))
        return ""
    return value.strip()


def _slug_list(ctx: SyncContext, path: Path, doc: LineDict, key: str, what: str) -> list[str]:
    value = doc.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        ctx.problem(path, f"`{key}` must be a list of {what}, such as [{'pm' if key == 'audience' else 'new-pm-onboarding'}].",
                    doc.line_of(key))
        return []
    return [v.strip() for v in value]


def parse_tracks(ctx: SyncContext) -> TracksData:
    """Read and validate every track; record each problem with its file and line."""
    data = TracksData()
    folder = ctx.root / TRACKS
    if not folder.is_dir():
        return data
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        if path.suffix != ".yml":
            ctx.problem(path, "is not a track: track files end in .yml.")
            continue
        track = _parse_track(ctx, path)
        if track is not None:
            data.tracks.append(track)
    _check_prerequisites(ctx, data.tracks)
    _check_step_kinds_kept(ctx, data.tracks)
    return data


def _parse_track(ctx: SyncContext, path: Path) -> TrackData | None:
    slug = path.stem
    if not SLUG.match(slug) or len(slug) > 120:
        ctx.problem(path, "has a name that is not a slug: use lower-case words joined by hyphens, such as "
                          "risk-management.yml.")
        return None
    doc = read_yaml_file(ctx, path)
    if doc is None:
        return None
    if not isinstance(doc, LineDict):
        ctx.problem(path, "must be a mapping with title, summary, audience, competencies, hours and steps.", 1)
        return None
    for key in sorted(set(doc) - KEYS):
        ctx.problem(path, f"has an unknown key `{key}`; a track has {', '.join(sorted(KEYS))}.", doc.line_of(key))
    title = _text(ctx, path, doc, "title", "the track", 200)
    summary = _text(ctx, path, doc, "summary", "the track", 400)
    description = doc.get("description", "")
    if not isinstance(description, str):
        ctx.problem(path, "`description` must be Markdown text.", doc.line_of("description"))
        description = ""
    audience = _slug_list(ctx, path, doc, "audience", "role profile codes")
    if not audience:
        ctx.problem(path, "needs `audience`: the role profiles the track is for, such as [associate-pm, pm].",
                    doc.line_of("audience"))
    if ctx.role_codes is not None:
        for code in audience:
            if code not in ctx.role_codes:
                ctx.problem(path, f"names the role profile `{code}` in `audience`, which roles.yml does not define.",
                            doc.line_of("audience"))
    competencies = _competencies(ctx, path, doc)
    hours = doc.get("hours")
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 500:
        ctx.problem(path, "needs `hours`: the estimated effort, a whole number of hours from 1 to 500.",
                    doc.line_of("hours"))
        hours = 1
    ordered = doc.get("ordered", True)
    if not isinstance(ordered, bool):
        ctx.problem(path, "`ordered` must be true (steps complete only in order) or false.", doc.line_of("ordered"))
        ordered = True
    prerequisites = _slug_list(ctx, path, doc, "prerequisites", "track slugs")
    if slug in prerequisites:
        ctx.problem(path, "lists itself as a prerequisite.", doc.line_of("prerequisites"))
    steps = _steps(ctx, path, doc, competencies)
    return TrackData(slug, ctx.rel(path), title, summary, description.strip(), audience, competencies, hours,
                     prerequisites, ordered, steps, doc.line_of("prerequisites"))


def _competencies(ctx: SyncContext, path: Path, doc: LineDict) -> dict[str, int]:
    value = doc.get("competencies")
    if not isinstance(value, LineDict) or not value:
        ctx.problem(path, "needs `competencies`: each competency the track builds with the level it supports, "
                          "such as `risk-management: 2`.", doc.line_of("competencies"))
        return {}
    parsed = {}
    for code, level in value.items():
        line = value.line_of(code)
        if ctx.competency_codes is not None and code not in ctx.competency_codes:
            ctx.problem(path, f"names the competency `{code}`, which the framework does not define.", line)
        elif not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
            ctx.problem(path, f"the level of `{code}` must be a whole number from 1 to 5.", line)
        else:
            parsed[str(code)] = level
    return parsed


def _steps(ctx: SyncContext, path: Path, doc: LineDict, competencies: dict[str, int]) -> list[StepData]:
    items = doc.get("steps")
    if not isinstance(items, list) or not items:
        ctx.problem(path, "needs `steps`: a list of steps, each with an `id` and a `kind`.", doc.line_of("steps"))
        return []
    steps, seen = [], set()
    for item in items:
        if not isinstance(item, LineDict):
            ctx.problem(path, "each step must be a mapping with an `id` and a `kind`.", doc.line_of("steps"))
            continue
        key, kind = item.get("id"), item.get("kind")
        if not isinstance(key, str) or not SLUG.match(key) or len(key) > 64:
            ctx.problem(path, f"a step needs an `id` of lower-case words joined by hyphens, at most 64 characters "
                              f"(got {key!r}).", item.line_of("id"))
            continue
        if key in seen:
            ctx.problem(path, f"the step id `{key}` is used twice; step ids must be unique within a track.",
                        item.line_of("id"))
            continue
        seen.add(key)
        if kind not in STEP_KINDS:
            ctx.problem(path, f"step `{key}` needs a `kind`: one of {', '.join(STEP_KINDS)} (got {kind!r}).",
                        item.line_of("kind"))
            continue
        for extra in sorted(set(item) - STEP_KEYS[kind]):
            ctx.problem(path, f"step `{key}` has an unknown key `{extra}`; a {kind} step has "
                              f"{', '.join(sorted(STEP_KEYS[kind]))}.", item.line_of(extra))
        step = StepData(key, kind, line=item.line)
        if kind == "read":
            ref = item.get("document")
            if not isinstance(ref, str) or not ref.strip():
                ctx.problem(path, f"read step `{key}` needs `document`: a library document such as "
                                  "templates/project-charter.", item.line_of("document"))
            elif ctx.document_refs is not None and ref.strip().removesuffix(".md") not in ctx.document_refs:
                ctx.problem(path, f"read step `{key}` names the document `{ref}`, which is not in the library.",
                            item.line_of("document"))
            else:
                step.document_ref = ref.strip().removesuffix(".md")
            step.markdown = _optional(ctx, path, item, "note", key)
        elif kind == "quiz":
            slug = item.get("quiz")
            if not isinstance(slug, str) or not SLUG.match(slug):
                ctx.problem(path, f"quiz step `{key}` needs `quiz`: the slug of a quiz.", item.line_of("quiz"))
            elif ctx.quiz_slugs is not None and slug not in ctx.quiz_slugs:
                ctx.problem(path, f"quiz step `{key}` names the quiz `{slug}`, which is not in content/quizzes/.",
                            item.line_of("quiz"))
            else:
                step.quiz_slug = slug
            step.markdown = _optional(ctx, path, item, "note", key)
        else:
            step.title = _text(ctx, path, item, "title", f"step `{key}`", 200)
            step.markdown = _optional(ctx, path, item, "instructions", key)
            if kind == "task" and not step.markdown:
                ctx.problem(path, f"practice task `{key}` needs `instructions`: what to submit and what the "
                                  "reviewer checks.", item.line_of("instructions"))
            if kind == "mentor":
                code = item.get("competency")
                if code not in competencies:
                    ctx.problem(path, f"mentor step `{key}` needs `competency`: one of the track's competencies "
                                      f"({', '.join(competencies) or 'none are valid'}); got {code!r}.",
                                item.line_of("competency"))
                else:
                    step.competency_code = code
        steps.append(step)
    return steps


def _optional(ctx: SyncContext, path: Path, item: LineDict, key: str, step: str) -> str:
    value = item.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        ctx.problem(path, f"step `{step}`: `{key}` must be Markdown text.", item.line_of(key))
        return ""
    return value.strip()


def _check_prerequisites(ctx: SyncContext, tracks: list[TrackData]) -> None:
    """Every prerequisite is another track, and no track depends on itself through others."""
    by_slug = {t.slug: t for t in tracks}
    for track in tracks:
        for slug in track.prerequisites:
            if slug not in by_slug and not (ctx.root / TRACKS / f"{slug}.yml").exists():
                ctx.problem(track.path, f"needs the track `{slug}` first, but there is no tracks/{slug}.yml.",
                            track.prerequisites_line)
    reported: set[str] = set()
    for track in tracks:
        cycle = _cycle_from(track.slug, by_slug)
        if cycle and track.slug not in reported:
            reported.update(cycle)
            ctx.problem(track.path, "its prerequisites go round in a circle (" + " → ".join(cycle + [cycle[0]]) +
                        "); nobody could ever start it.", track.prerequisites_line)


def _cycle_from(start: str, by_slug: dict[str, TrackData]) -> list[str]:
    path: list[str] = []

    def visit(slug: str) -> list[str]:
        if slug in path:
            return path[path.index(slug):]
        track = by_slug.get(slug)
        if track is None or slug == start and path:
            return []
        path.append(slug)
        for nxt in track.prerequisites:
            if nxt == start:
                return list(path)
            found = visit(nxt)
            if found:
                return found
        path.pop()
        return []

    found = visit(start)
    return found if found and found[0] == start else []


def _check_step_kinds_kept(ctx: SyncContext, tracks: list[TrackData]) -> None:
    """A step id keeps its kind: progress recorded against it must still mean the same thing."""
    known = {(slug, key): kind for slug, key, kind in db.session.execute(
        select(Track.slug, TrackStep.key, TrackStep.kind).join(TrackStep.track))}
    for track in tracks:
        for step in track.steps:
            old = known.get((track.slug, step.key))
            if old is not None and old != step.kind:
                ctx.problem(track.path, f"step `{step.key}` was a {old} step and is now a {step.kind} step; people's "
                                        "progress points at the id, so give the new step a new id.", step.line)


def apply_tracks(data: TracksData, ctx: SyncContext) -> dict[str, int]:
    """Write new and changed tracks, archive removed tracks and steps; say what changed for enrolled people."""
    now, generation = utcnow(), ctx.generation
    counts = {"tracks added": 0, "tracks updated": 0, "tracks archived": 0, "track steps added": 0,
              "track steps removed": 0}
    known = {t.slug: t for t in db.session.scalars(select(Track))}
    renderer = Renderer(ctx.document_refs or set())
    for position, parsed in enumerate(data.tracks):
        track = known.get(parsed.slug)
        checksum = parsed.checksum
        if track is not None and track.checksum == checksum and track.archived_at is None:
            if track.position != position:
                track.position = position
            continue
        if track is None:
            track = Track(slug=parsed.slug)
            db.session.add(track)
            counts["tracks added"] += 1
        else:
            counts["tracks updated"] += 1
        rendered = renderer.render(parsed.description, "") if parsed.description else None
        track.title, track.summary, track.hours, track.ordered = parsed.title, parsed.summary, parsed.hours, parsed.ordered
        track.description_html = rendered.html if rendered else ""
        track.text = " ".join([parsed.summary, rendered.text if rendered else ""] +
                              [s.title for s in parsed.steps if s.title])
        track.prerequisites, track.position, track.checksum = parsed.prerequisites, position, checksum
        track.generation, track.archived_at = generation, None
        track.audience = [TrackAudience(role_code=code) for code in parsed.audience]
        existing_codes = {c.competency_code: c for c in track.competencies}
        track.competencies = [_competency(existing_codes, code, level, pos)
                              for pos, (code, level) in enumerate(parsed.competencies.items())]
        added, removed = _apply_steps(track, parsed, renderer, now)
        counts["track steps added"] += len(added)
        counts["track steps removed"] += len(removed)
        if added or removed:
            log.info("Track %s: steps added %s; steps removed %s (completions of removed steps are kept)",
                     parsed.slug, ", ".join(added) or "none", ", ".join(removed) or "none")
    seen = {t.slug for t in data.tracks}
    for slug, track in known.items():
        if slug not in seen and track.archived_at is None:
            track.archived_at, track.generation = now, generation
            counts["tracks archived"] += 1
    ctx.index_changed |= any(counts[k] for k in ("tracks added", "tracks updated", "tracks archived"))
    db.session.flush()
    _name_read_steps()
    return counts


def _name_read_steps() -> None:
    """A read step is named after its document, whose title may change without the track changing."""
    from coe.library.models import Document

    titles = {f"{kind}/{slug}": title for kind, slug, title in
              db.session.execute(select(Document.kind, Document.slug, Document.title))}
    for step in db.session.scalars(select(TrackStep).where(TrackStep.kind == "read")):
        title = titles.get(step.document_ref or "", step.document_ref or step.key)[:200]
        if step.title != title:
            step.title = title
    db.session.flush()


def _competency(existing: dict[str, TrackCompetency], code: str, level: int, position: int) -> TrackCompetency:
    row = existing.get(code) or TrackCompetency(competency_code=code)
    row.level, row.position = level, position
    return row


def _apply_steps(track: Track, parsed: TrackData, renderer: Renderer, now) -> tuple[list[str], list[str]]:
    """Match steps by id: update them in place, add new ones, archive the ones that left the file."""
    by_key = {step.key: step for step in track.steps}
    added = []
    for position, data in enumerate(parsed.steps):
        step = by_key.get(data.key)
        if step is None:
            step = TrackStep(key=data.key)
            track.steps.append(step)
            if track.id is not None:
                added.append(data.key)
        elif step.archived_at is not None:
            added.append(data.key)
        step.position, step.kind, step.title = position, data.kind, data.title
        step.document_ref, step.quiz_slug, step.competency_code = data.document_ref, data.quiz_slug, data.competency_code
        step.html = renderer.render(data.markdown, "").html if data.markdown else ""
        step.archived_at = None
    keys = {s.key for s in parsed.steps}
    removed = []
    for offset, step in enumerate(s for s in track.steps if s.key not in keys):
        if step.archived_at is None:
            step.archived_at = now
            removed.append(step.key)
        step.position = len(parsed.steps) + offset
    return added, removed
