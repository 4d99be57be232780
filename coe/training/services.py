"""Enrolment, step states, completions, practice-task reviews and certificates.

Services take plain values and flush; the view or command commits. Quiz passes and mentor
sign-offs arrive through the registry's listeners, in the transaction that records them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import url_for
from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from coe.auth.models import Person, utcnow
from coe.competency import profile
from coe.content.cache import per_generation
from coe.errors import Conflict, InvalidInput, NotFound
from coe.extensions import db
from coe.registry import FallingCompletion, Offering, SearchChanges, SearchDocument, registry
from coe.training.models import (STEP_KIND_LABELS, Certificate, Enrolment, StepCompletion, StepSubmission, Track,
                                 TrackCompetency, TrackStep)

TEXT_MAX = 10_000
LINK_MAX = 500
COMMENT_MAX = 2_000
STUCK_DAYS = 30
QUEUE_PAGE = 50


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


# --- reading tracks ----------------------------------------------------------------------


def _with_parts(stmt):
    return stmt.options(selectinload(Track.audience), selectinload(Track.competencies), selectinload(Track.steps))


def live_tracks() -> list[Track]:
    return list(db.session.scalars(_with_parts(select(Track).where(Track.archived_at.is_(None))
                                               .order_by(Track.position, Track.title))))


# Statements the track page runs on every view, built once (building them cost more than running them).
_TRACK_BY_SLUG = _with_parts(select(Track).where(Track.slug == bindparam("slug")))
_COMPLETIONS = select(StepCompletion.step_id, StepCompletion.completed_at).where(
    StepCompletion.person_id == bindparam("person_id"), StepCompletion.step_id.in_(bindparam("ids", expanding=True)))
_PENDING = select(StepSubmission.step_id).where(
    StepSubmission.person_id == bindparam("person_id"), StepSubmission.step_id.in_(bindparam("ids", expanding=True)),
    StepSubmission.state == "submitted")
_ENROLMENT = select(Enrolment).where(Enrolment.person_id == bindparam("person_id"),
                                     Enrolment.track_id == bindparam("track_id"))


NO_SUCH_TRACK = "There is no training track at this address. See all tracks at /tracks."


def get_track(slug: str) -> Track:
    """The track, archived ones included (old links keep working, with a notice), or NotFound."""
    track = db.session.scalar(_TRACK_BY_SLUG, {"slug": slug})
    if track is None:
        raise NotFound(NO_SUCH_TRACK)
    return track


def step_label(step: TrackStep) -> str:
    if step.kind == "quiz":
        return step.title or registry().quiz_title(step.quiz_slug or "") or f"Quiz: {step.quiz_slug}"
    return step.title or step.document_ref or step.key


def step_url(step: TrackStep, slug: str) -> str:
    if step.kind == "read":
        return f"/library/{step.document_ref}"
    if step.kind == "quiz":
        return f"/quizzes/{step.quiz_slug}"
    return f"/tracks/{slug}/steps/{step.key}"


# --- a person's progress -----------------------------------------------------------------


@dataclass(frozen=True)
class StepState:
    step: TrackStep
    state: str  # done | available | review (submitted, awaiting review) | locked
    label: str
    kind_label: str
    url: str
    completed_at: dt.datetime | None = None


@dataclass
class Progress:
    track: Track
    enrolment: Enrolment | None
    steps: list[StepState]
    certificate: Certificate | None = None
    missing_prerequisites: list[tuple[str, str]] = field(default_factory=list)  # (slug, title)

    @property
    def enrolled(self) -> bool:
        return self.enrolment is not None and self.enrolment.left_at is None

    @property
    def completed(self) -> bool:
        return self.enrolment is not None and self.enrolment.completed_at is not None

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.state == "done")

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def next_step(self) -> StepState | None:
        """Where the person left off: the first step they can work on."""
        if not self.enrolled or self.completed:
            return None
        return next((s for s in self.steps if s.state in ("available", "review")), None)


def _states(track: Track, done: dict[int, dt.datetime], pending: set[int], enrolled: bool) -> list[StepState]:
    states, blocked = [], False
    for step in track.live_steps:
        if step.id in done:
            state = "done"
        elif not enrolled or blocked:
            state = "locked"
        else:
            state = "review" if step.id in pending else "available"
            blocked = track.ordered
        states.append(StepState(step, state, step_label(step), STEP_KIND_LABELS[step.kind], step_url(step, track.slug),
                                done.get(step.id)))
    return states


def _completions(person_id: int, step_ids: list[int]) -> dict[int, dt.datetime]:
    if not step_ids:
        return {}
    return dict(db.session.execute(_COMPLETIONS, {"person_id": person_id, "ids": step_ids}).all())


def _pending(person_id: int, step_ids: list[int]) -> set[int]:
    if not step_ids:
        return set()
    return set(db.session.scalars(_PENDING, {"person_id": person_id, "ids": step_ids}))


def _enrolment(person_id: int, track_id: int) -> Enrolment | None:
    return db.session.scalar(_ENROLMENT, {"person_id": person_id, "track_id": track_id})


def completed_slugs(person_id: int) -> set[str]:
    return set(db.session.scalars(select(Track.slug).join(Enrolment, Enrolment.track_id == Track.id).where(
        Enrolment.person_id == person_id, Enrolment.completed_at.is_not(None))))


def _missing_prerequisites(track: Track, person_id: int) -> list[tuple[str, str]]:
    if not track.prerequisites:
        return []
    done = completed_slugs(person_id)
    titles = dict(db.session.execute(select(Track.slug, Track.title).where(Track.slug.in_(track.prerequisites))).all())
    return [(slug, titles.get(slug, slug)) for slug in track.prerequisites if slug not in done]


def progress(track: Track, person_id: int) -> Progress:
    """The person's state in every live step of the track, in a fixed number of queries."""
    enrolment = _enrolment(person_id, track.id)
    ids = [s.id for s in track.live_steps]
    enrolled = enrolment is not None and enrolment.left_at is None
    result = Progress(track, enrolment, _states(track, _completions(person_id, ids), _pending(person_id, ids), enrolled))
    if result.completed:
        result.certificate = db.session.scalar(select(Certificate).where(Certificate.person_id == person_id,
                                                                         Certificate.track_id == track.id))
    result.missing_prerequisites = _missing_prerequisites(track, person_id)
    return result


@per_generation(maxsize=64)
def _track_as_shown(slug: str) -> Track | None:
    """The track with its audience, competencies and steps, read once per content generation (tracks change
    only by a content sync) and detached from every session: the track page only reads it."""
    track = db.session.scalar(_TRACK_BY_SLUG, {"slug": slug})
    if track is not None:
        for part in (track, *track.steps):  # audience and competencies follow the track (their cascade)
            db.session.expunge(part)
    return track


def track_page(slug: str, person: Person) -> Progress:
    track = _track_as_shown(slug)
    if track is None:
        raise NotFound(NO_SUCH_TRACK)
    return progress(track, person.id)


# --- enrolment ---------------------------------------------------------------------------


def enrol(person: Person, slug: str) -> Enrolment:
    """Enrol in a live track whose prerequisites the person has completed; re-enrolling keeps earlier progress."""
    track = get_track(slug)
    if track.archived_at is not None:
        raise Conflict("This track has been withdrawn; it takes no new enrolments.")
    missing = _missing_prerequisites(track, person.id)
    if missing:
        raise InvalidInput("Complete " + _and([title for _, title in missing]) + " first: "
                           f"“{track.title}” builds on {'it' if len(missing) == 1 else 'them'}.")
    enrolment = _enrolment(person.id, track.id)
    if enrolment is not None and enrolment.left_at is None:
        raise Conflict("You are already enrolled in this track." if enrolment.completed_at is None
                       else "You have completed this track.")
    if enrolment is None:
        enrolment = Enrolment(person_id=person.id, track_id=track.id, enrolled_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(enrolment)
        except IntegrityError:  # enrolled at the same moment from another tab
            raise Conflict("You are already enrolled in this track.") from None
    else:
        enrolment.left_at, enrolment.enrolled_at = None, utcnow()
    db.session.flush()
    _advance(person.id, track)
    return enrolment


def leave(person: Person, slug: str) -> Enrolment:
    """Leave a track; completed steps are kept for a later return."""
    track = get_track(slug)
    enrolment = _enrolment(person.id, track.id)
    if enrolment is None or enrolment.left_at is not None:
        raise Conflict("You are not enrolled in this track.")
    if enrolment.completed_at is not None:
        raise Conflict("You have completed this track; its certificate stays yours.")
    enrolment.left_at = utcnow()
    db.session.flush()
    return enrolment


def _and(items: list[str]) -> str:
    quoted = [f"“{item}”" for item in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


# --- completing steps --------------------------------------------------------------------


def _active_enrolment(person_id: int, track: Track) -> Enrolment:
    enrolment = _enrolment(person_id, track.id)
    if enrolment is None or enrolment.left_at is not None:
        raise InvalidInput(f"Enrol in “{track.title}” first.")
    return enrolment


def _step(track: Track, key: str) -> TrackStep:
    step = next((s for s in track.live_steps if s.key == key), None)
    if step is None:
        raise NotFound("This track has no such step.")
    return step


def _require_available(person_id: int, track: Track, step: TrackStep) -> None:
    """Refuse a step that is done, or that an ordered track keeps locked behind an earlier one."""
    ids = [s.id for s in track.live_steps]
    done = _completions(person_id, ids)
    if step.id in done:
        raise Conflict("You have already completed this step.")
    if track.ordered:
        earlier = next((s for s in track.live_steps if s.id not in done), None)
        if earlier is not None and earlier.id != step.id:
            raise InvalidInput(f"This track's steps are done in order: first complete “{step_label(earlier)}”.")


def _complete(person_id: int, step: TrackStep, by_id: int | None) -> bool:
    """Record a completion once (also under a race); return whether it was new."""
    try:
        with db.session.begin_nested():
            db.session.add(StepCompletion(person_id=person_id, step_id=step.id, completed_at=utcnow(),
                                          completed_by_id=by_id))
    except IntegrityError:
        return False
    return True


def _advance(person_id: int, track: Track) -> None:
    """Complete the quiz steps already passed that the person has now reached; complete the track when all are done."""
    enrolment = _enrolment(person_id, track.id)
    if enrolment is None or enrolment.left_at is not None or enrolment.completed_at is not None:
        return
    done = set(_completions(person_id, [s.id for s in track.live_steps]))
    for step in track.live_steps:
        if step.id in done:
            continue
        if step.kind == "quiz" and step.quiz_slug and registry().quiz_passed(person_id, step.quiz_slug):
            _complete(person_id, step, None)
            done.add(step.id)
        elif track.ordered:
            break
    if all(s.id in done for s in track.live_steps):
        _complete_track(enrolment, track)


def _complete_track(enrolment: Enrolment, track: Track) -> Certificate:
    """Mark the track completed, issue the certificate and record evidence at the track's levels."""
    person = db.session.get(Person, enrolment.person_id)
    enrolment.completed_at = utcnow()
    certificate = Certificate(code=new_certificate_code(), person_id=person.id, track_id=track.id,
                              track_title=track.title, person_name=person.display_name, issued_at=enrolment.completed_at)
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:  # the last two steps completed at the same moment: one certificate
        raise Conflict("This track was completed a moment ago; reload the page.") from None
    for competency in track.competencies:
        profile.record_evidence(person.id, competency.competency_code, "track", competency.level,
                                f"Track completed: {track.title}", f"/tracks/{track.slug}/certificate",
                                f"track/{track.slug}")
    db.session.flush()
    return certificate


def new_certificate_code() -> str:
    """Sixteen random hexadecimal characters in groups of four: unguessable, easy to read aloud."""
    raw = secrets.token_hex(8).upper()
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def complete_step(person_id: int, track: Track, step: TrackStep, by_id: int | None) -> None:
    """Complete an available step of an active enrolment, then move the track on."""
    _active_enrolment(person_id, track)
    _require_available(person_id, track, step)
    _complete(person_id, step, by_id)
    db.session.flush()
    _advance(person_id, track)


def mark_read(person: Person, slug: str, key: str) -> TrackStep:
    """The person read a read step's document."""
    track = get_track(slug)
    step = _step(track, key)
    if step.kind != "read":
        raise InvalidInput("Only reading steps are marked as read.")
    complete_step(person.id, track, step, person.id)
    return step


def _open_steps(person_id: int, condition) -> list[tuple[Track, TrackStep]]:
    """The person's not-yet-done live steps matching ``condition`` in tracks they are working through."""
    done = exists().where(StepCompletion.person_id == person_id, StepCompletion.step_id == TrackStep.id)
    rows = db.session.execute(
        select(Track, TrackStep).join(TrackStep, TrackStep.track_id == Track.id)
        .join(Enrolment, and_(Enrolment.track_id == Track.id, Enrolment.person_id == person_id))
        .where(Enrolment.left_at.is_(None), Enrolment.completed_at.is_(None), TrackStep.archived_at.is_(None),
               Track.archived_at.is_(None), ~done, condition)).all()
    return [(track, step) for track, step in rows]


def on_quiz_passed(person_id: int, quiz_slug: str) -> None:
    """A person passed a quiz: complete the quiz steps they have reached (later ones complete when reached)."""
    for track, step in _open_steps(person_id, TrackStep.quiz_slug == quiz_slug):
        try:
            _require_available(person_id, track, step)
        except (InvalidInput, Conflict):
            continue
        _complete(person_id, step, None)
        db.session.flush()
        _advance(person_id, track)


def on_mentor_signoff(mentee_id: int, competency_code: str, mentor_id: int) -> None:
    """A mentor signed off a session on a competency: complete the mentee's reached mentor steps on it."""
    for track, step in _open_steps(mentee_id, and_(TrackStep.kind == "mentor",
                                                   TrackStep.competency_code == competency_code)):
        try:
            _require_available(mentee_id, track, step)
        except (InvalidInput, Conflict):
            continue
        _complete(mentee_id, step, mentor_id)
        db.session.flush()
        _advance(mentee_id, track)


# --- practice tasks and mentor sign-offs -------------------------------------------------


@dataclass
class StepPage:
    progress: Progress
    state: StepState
    submissions: list[StepSubmission]


def step_page(person: Person, slug: str, key: str) -> StepPage:
    track = get_track(slug)
    step = _step(track, key)
    state = progress(track, person.id)
    submissions = list(db.session.scalars(select(StepSubmission).where(
        StepSubmission.person_id == person.id, StepSubmission.step_id == step.id)
        .options(selectinload(StepSubmission.reviewed_by)).order_by(StepSubmission.submitted_at.desc()).limit(20)))
    return StepPage(state, next(s for s in state.steps if s.step.id == step.id), submissions)


def clean_link(link: str) -> str:
    link = link.strip()
    if not link:
        return ""
    parts = urlsplit(link)
    if len(link) > LINK_MAX or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"Give the link as a full web address starting with https:// (at most {LINK_MAX} characters).")
    return link


def submit(person: Person, slug: str, key: str, text: str, link: str) -> StepSubmission:
    """Hand in a practice task (text or link), or ask for a mentor session's sign-off, for review."""
    track = get_track(slug)
    step = _step(track, key)
    if step.kind not in ("task", "mentor"):
        raise InvalidInput("Only practice tasks and mentor sessions are submitted for review.")
    _active_enrolment(person.id, track)
    _require_available(person.id, track, step)
    text, link = text.strip(), clean_link(link)
    if len(text) > TEXT_MAX:
        raise InvalidInput(f"Keep the submission to {TEXT_MAX:,} characters; link to a longer document instead.")
    if step.kind == "task" and not text and not link:
        raise InvalidInput("Write your answer or give a link to it.")
    if step.id in _pending(person.id, [step.id]):
        raise Conflict("Your earlier submission is still awaiting review.")
    submission = StepSubmission(person_id=person.id, step_id=step.id, text=text, link=link, state="submitted",
                                submitted_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(submission)
    except IntegrityError:  # the same form sent from another tab a moment ago
        raise Conflict("Your earlier submission is still awaiting review.") from None
    return submission


def get_submission(submission_id: int) -> StepSubmission:
    submission = db.session.scalar(select(StepSubmission).where(StepSubmission.id == submission_id).options(
        selectinload(StepSubmission.step).selectinload(TrackStep.track), selectinload(StepSubmission.person)))
    if submission is None:
        raise NotFound("There is no such submission.")
    return submission


def review(reviewer: Person, submission_id: int, approve: bool, comment: str) -> StepSubmission:
    """Approve a submission (the step completes) or send it back with a comment. Access is the caller's check."""
    # Locked and re-read: two reviewers answering at once are told, not both recorded.
    submission = db.session.scalar(select(StepSubmission).where(StepSubmission.id == submission_id)
                                   .with_for_update().execution_options(populate_existing=True))
    if submission is None:
        raise NotFound("There is no such submission.")
    if submission.state != "submitted":
        raise Conflict("This submission has already been reviewed.")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidInput(f"Keep the comment to {COMMENT_MAX:,} characters.")
    if not approve and not comment:
        raise InvalidInput("Say what to change: a submission goes back with a comment.")
    submission.state = "approved" if approve else "returned"
    submission.comment, submission.reviewed_by_id, submission.reviewed_at = comment, reviewer.id, utcnow()
    db.session.flush()
    if approve:
        track = db.session.get(Track, submission.step.track_id)
        if _complete(submission.person_id, submission.step, reviewer.id):
            db.session.flush()
            _advance(submission.person_id, track)
    return submission


def review_queue(viewer: Person, page: int = 1) -> tuple[list[StepSubmission], int]:
    """Submissions awaiting review that the viewer may review: an admin all; a lead their teams'; a mentor
    their active mentees' (asked of the mentoring domain for each pending submission on the page)."""
    stmt = (select(StepSubmission).join(Person, Person.id == StepSubmission.person_id)
            .where(StepSubmission.state == "submitted", StepSubmission.person_id != viewer.id))
    if not viewer.is_admin:
        team_ids = [team.id for team in viewer.led_teams]
        if not viewer.is_mentor:
            stmt = stmt.where(Person.team_id.in_(team_ids))
    stmt = stmt.options(selectinload(StepSubmission.step).selectinload(TrackStep.track),
                        selectinload(StepSubmission.person)).order_by(StepSubmission.submitted_at)
    if viewer.is_admin or not viewer.is_mentor:
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        rows = list(db.session.scalars(stmt.limit(QUEUE_PAGE).offset((page - 1) * QUEUE_PAGE)))
        return rows, total
    from coe.auth import policy  # the one place that knows who reviews whom

    rows = [s for s in db.session.scalars(stmt.limit(QUEUE_PAGE * 4)) if policy.can(viewer, "training.review", s.person)]
    return rows[(page - 1) * QUEUE_PAGE: page * QUEUE_PAGE], len(rows)


# --- certificates ------------------------------------------------------------------------


def certificate_of(person: Person, slug: str) -> Certificate:
    track = get_track(slug)
    certificate = db.session.scalar(select(Certificate).where(Certificate.person_id == person.id,
                                                              Certificate.track_id == track.id))
    if certificate is None:
        raise NotFound("You have no certificate for this track yet: it is issued when you complete every step.")
    return certificate


def verify_certificate(code: str) -> Certificate:
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code.strip().upper())
                                    .options(selectinload(Certificate.track)))
    if certificate is None:
        raise NotFound("No certificate has this verification code. Check the code, including its dashes.")
    return certificate


# --- the library's document page ---------------------------------------------------------


@per_generation(maxsize=1)
def _documents_read_in_tracks() -> frozenset[str]:
    """The documents some live track has a live read step on: most documents are in none."""
    return frozenset(db.session.scalars(
        select(TrackStep.document_ref).join(Track, Track.id == TrackStep.track_id)
        .where(TrackStep.kind == "read", TrackStep.archived_at.is_(None), Track.archived_at.is_(None)).distinct()))


def _open_read_steps():
    """The person's open read steps on one document, with how many earlier steps still wait."""
    earlier = aliased(TrackStep)
    person_id, document_ref = bindparam("person_id"), bindparam("document_ref")
    blocked = (select(func.count(earlier.id)).where(
        earlier.track_id == TrackStep.track_id, earlier.archived_at.is_(None), earlier.position < TrackStep.position,
        ~exists().where(StepCompletion.person_id == person_id, StepCompletion.step_id == earlier.id))
        .correlate(TrackStep).scalar_subquery())
    done = exists().where(StepCompletion.person_id == person_id, StepCompletion.step_id == TrackStep.id)
    return (select(Track.slug, Track.title, Track.ordered, TrackStep.key, blocked)
            .join(TrackStep, TrackStep.track_id == Track.id)
            .join(Enrolment, and_(Enrolment.track_id == Track.id, Enrolment.person_id == person_id))
            .where(TrackStep.document_ref == document_ref, TrackStep.kind == "read", TrackStep.archived_at.is_(None),
                   Enrolment.left_at.is_(None), Enrolment.completed_at.is_(None), Track.archived_at.is_(None), ~done)
            .order_by(Track.title))


# Built once: the document page runs it on every view, and building it cost more than running it.
_OPEN_READ_STEPS = _open_read_steps()


def document_panel(person: Person, document_ref: str) -> dict | None:
    """The person's open read steps on this document, each with whether it can be marked now: one query,
    none for a document that no track reads."""
    if document_ref not in _documents_read_in_tracks():
        return None
    rows = db.session.execute(_OPEN_READ_STEPS, {"person_id": person.id, "document_ref": document_ref}).all()
    if not rows:
        return None
    return {"steps": [{"slug": slug, "title": title, "key": key, "ready": not ordered or not waiting}
                      for slug, title, ordered, key, waiting in rows]}


# --- catalogue and recommendations -------------------------------------------------------


@dataclass(frozen=True)
class CatalogueEntry:
    track: Track
    done: int
    total: int
    status: str  # "" | enrolled | completed | left


@dataclass(frozen=True)
class Recommendation:
    track: Track
    reasons: list[str]


def _progress_counts(person_id: int, tracks: Sequence[Track]) -> dict[int, tuple[int, str]]:
    """Steps done per track and the enrolment status, in two queries."""
    done = dict(db.session.execute(
        select(TrackStep.track_id, func.count(StepCompletion.id)).join(StepCompletion, StepCompletion.step_id == TrackStep.id)
        .where(StepCompletion.person_id == person_id, TrackStep.archived_at.is_(None))
        .group_by(TrackStep.track_id)).all())
    status = {}
    for track_id, completed_at, left_at in db.session.execute(
            select(Enrolment.track_id, Enrolment.completed_at, Enrolment.left_at).where(Enrolment.person_id == person_id)):
        status[track_id] = "completed" if completed_at else "left" if left_at else "enrolled"
    return {t.id: (done.get(t.id, 0), status.get(t.id, "")) for t in tracks}


def catalogue(person: Person, role: str = "", competency: str = "") -> tuple[list[CatalogueEntry], list[Recommendation]]:
    tracks = live_tracks()
    counts = _progress_counts(person.id, tracks)
    shown = [t for t in tracks if (not role or role in t.role_codes)
             and (not competency or any(c.competency_code == competency for c in t.competencies))]
    entries = [CatalogueEntry(t, *counts[t.id][:1], len(t.live_steps), counts[t.id][1]) for t in shown]
    return entries, recommend(person, tracks, {t.id: counts[t.id][1] for t in tracks})


def recommend(person: Person, tracks: list[Track] | None = None, status: dict[int, str] | None = None,
              limit: int = 3) -> list[Recommendation]:
    """Tracks that close the person's gaps, largest gap first; ones they started or finished are left out."""
    tracks = live_tracks() if tracks is None else tracks
    if status is None:
        status = {t.id: s for t, (_, s) in zip(tracks, _progress_counts(person.id, tracks).values())}
    _, gaps = profile.levels_and_gaps(person)
    open_gaps = {gap.competency: gap for gap in gaps if gap.size > 0}
    if not open_gaps:
        return []
    names = _competency_names()
    done = {t.slug for t in tracks if status.get(t.id) == "completed"}
    scored = []
    for track in tracks:
        if status.get(track.id) in ("enrolled", "completed"):
            continue
        reasons, score = [], 0
        for comp in track.competencies:
            gap = open_gaps.get(comp.competency_code)
            if gap is not None and comp.level > gap.current.level:
                score += min(comp.level, gap.target) - gap.current.level
                reasons.append(f"{names.get(comp.competency_code, comp.competency_code)}: you are at level "
                               f"{gap.current.level}, your role's target is {gap.target}, this track supports {comp.level}")
        if not score:
            continue
        ready = all(slug in done for slug in track.prerequisites)
        fits = person.role_profile in track.role_codes
        scored.append(((ready, fits, score), track.position, Recommendation(track, reasons)))
    scored.sort(key=lambda item: (tuple(-int(x) for x in item[0]), item[1]))
    return [rec for _, _, rec in scored[:limit]]


def _competency_names() -> dict[str, str]:
    from coe.competency.services import competency_names

    return dict(competency_names())


# --- home: your next step ----------------------------------------------------------------


def next_step_panel(person: Person) -> dict | None:
    """The next step of each track the person is working through; without one, the track recommended for them."""
    enrolments = list(db.session.scalars(
        select(Enrolment).join(Track, Track.id == Enrolment.track_id)
        .where(Enrolment.person_id == person.id, Enrolment.left_at.is_(None), Enrolment.completed_at.is_(None),
               Track.archived_at.is_(None)).options(selectinload(Enrolment.track).selectinload(Track.steps))
        .order_by(Enrolment.enrolled_at).limit(5)))
    if enrolments:
        step_ids = [s.id for e in enrolments for s in e.track.live_steps]
        done = dict(db.session.execute(select(StepCompletion.step_id, StepCompletion.completed_at).where(
            StepCompletion.person_id == person.id, StepCompletion.step_id.in_(step_ids))).all()) if step_ids else {}
        pending = _pending(person.id, step_ids)
        items = []
        for enrolment in enrolments:
            state = Progress(enrolment.track, enrolment, _states(enrolment.track, done, pending, True))
            items.append(state)
        return {"items": items, "recommended": None}
    recommended = recommend(person, limit=1)
    if recommended:
        return {"items": [], "recommended": recommended[0]}
    return {"items": [], "recommended": None}


# --- search and the competency plan ------------------------------------------------------


def _search_docs(condition) -> tuple[list[SearchDocument], list[str]]:
    codes: dict[int, list[str]] = {}
    matching = select(Track.id).where(condition)
    for track_id, code in db.session.execute(select(TrackCompetency.track_id, TrackCompetency.competency_code)
                                             .where(TrackCompetency.track_id.in_(matching))):
        codes.setdefault(track_id, []).append(code)
    live, archived = [], []
    for track_id, slug, title, summary, text, archived_at in db.session.execute(
            select(Track.id, Track.slug, Track.title, Track.summary, Track.text, Track.archived_at).where(condition)):
        if archived_at is not None:
            archived.append(f"tracks/{slug}")
        else:
            live.append(SearchDocument(f"tracks/{slug}", "tracks", title, summary, text, (), sorted(codes.get(track_id, []))))
    return live, archived


def search_changes_since(generation: int) -> SearchChanges:
    return SearchChanges(*_search_docs(Track.generation > generation))


def all_search_documents() -> list[SearchDocument]:
    return _search_docs(Track.archived_at.is_(None))[0]


def tracks_for_competencies(codes: list[str]) -> dict[str, list[Offering]]:
    offerings = _track_offerings()
    return {code: list(offerings.get(code, ())) for code in codes}


def track_counts_for_competencies(codes: list[str]) -> dict[str, int]:
    offerings = _track_offerings()
    return {code: len(offerings.get(code, ())) for code in codes}


@per_generation(maxsize=8)
def _track_offerings() -> dict[str, tuple[Offering, ...]]:
    """Every live track by the competencies it builds: read once per content generation."""
    result: dict[str, list[Offering]] = {}
    for code, slug, title in db.session.execute(
            select(TrackCompetency.competency_code, Track.slug, Track.title).join(Track, Track.id == TrackCompetency.track_id)
            .where(Track.archived_at.is_(None)).order_by(Track.position, Track.title)):
        result.setdefault(code, []).append(Offering("track", title, f"/tracks/{slug}"))
    return {code: tuple(items) for code, items in result.items()}


# --- the lead's dashboard ----------------------------------------------------------------


@dataclass(frozen=True)
class TrackStats:
    slug: str
    title: str
    enrolled: int
    in_progress: int
    completed: int
    median_days: float | None
    stuck: list[tuple[int, str, int]]  # (person id, name, days since their last completed step)


def team_stats(person_ids: Sequence[int], today: dt.datetime | None = None) -> list[TrackStats]:
    """Per track: enrolled, in progress, completed, median days to complete, and who is stuck; three queries."""
    ids = list(person_ids)
    if not ids:
        return []
    now = today or utcnow()
    last_done = (select(StepCompletion.person_id, TrackStep.track_id, func.max(StepCompletion.completed_at).label("last"))
                 .join(TrackStep, TrackStep.id == StepCompletion.step_id).where(StepCompletion.person_id.in_(ids))
                 .group_by(StepCompletion.person_id, TrackStep.track_id).subquery())
    rows = db.session.execute(
        select(Enrolment.track_id, Enrolment.person_id, Person.display_name, Enrolment.enrolled_at,
               Enrolment.completed_at, last_done.c.last)
        .join(Person, Person.id == Enrolment.person_id)
        .outerjoin(last_done, and_(last_done.c.person_id == Enrolment.person_id,
                                   last_done.c.track_id == Enrolment.track_id))
        .where(Enrolment.person_id.in_(ids), Enrolment.left_at.is_(None))
        .order_by(Person.display_name)).all()
    tracks = db.session.execute(select(Track.id, Track.slug, Track.title).where(Track.archived_at.is_(None))
                                .order_by(Track.position)).all()
    stats = []
    for track_id, slug, title in tracks:
        mine = [r for r in rows if r.track_id == track_id]
        if not mine:
            continue
        completed = [r for r in mine if r.completed_at is not None]
        days = [(_aware(r.completed_at) - _aware(r.enrolled_at)).total_seconds() / 86400 for r in completed]
        stuck = []
        for r in mine:
            if r.completed_at is not None:
                continue
            since = _aware(r.last) or _aware(r.enrolled_at)
            idle = (now - since).days
            if idle >= STUCK_DAYS:
                stuck.append((r.person_id, r.display_name, idle))
        stuck.sort(key=lambda entry: (-entry[2], entry[1]))  # the longest idle first
        stats.append(TrackStats(slug, title, len(mine), len(mine) - len(completed), len(completed),
                                round(statistics.median(days), 1) if days else None, stuck))
    return stats


def team_section(person_ids: Sequence[int]) -> dict | None:
    stats = team_stats(person_ids)
    # The page names the five longest idle per track; the Excel export has everyone.
    return {"stats": stats, "stuck_days": STUCK_DAYS, "shown": 5} if stats else None


def team_sheet(person_ids: Sequence[int]) -> tuple[str, list[str], list[list]] | None:
    stats = team_stats(person_ids)
    header = ["Track", "Enrolled", "In progress", "Completed", "Median days to complete",
              f"Stuck (no step in {STUCK_DAYS} days)"]
    rows = [[s.title, s.enrolled, s.in_progress, s.completed, s.median_days if s.median_days is not None else "",
             ", ".join(name for _, name, _ in s.stuck)] for s in stats]
    return "Training tracks", header, rows


# --- data rights -------------------------------------------------------------------------


def export_person(person_id: int) -> dict:
    enrolments = db.session.execute(select(Track.slug, Enrolment.enrolled_at, Enrolment.completed_at, Enrolment.left_at)
                                    .join(Track, Track.id == Enrolment.track_id).where(Enrolment.person_id == person_id))
    submissions = db.session.execute(select(Track.slug, TrackStep.key, StepSubmission.text, StepSubmission.link,
                                            StepSubmission.state, StepSubmission.submitted_at, StepSubmission.comment)
                                     .join(TrackStep, TrackStep.id == StepSubmission.step_id)
                                     .join(Track, Track.id == TrackStep.track_id)
                                     .where(StepSubmission.person_id == person_id))
    certificates = db.session.execute(select(Certificate.track_title, Certificate.code, Certificate.issued_at)
                                      .where(Certificate.person_id == person_id))
    iso = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "enrolments": [{"track": s, "enrolled_at": iso(e), "completed_at": iso(c), "left_at": iso(lft)}
                       for s, e, c, lft in enrolments],
        "submissions": [{"track": s, "step": k, "text": t, "link": link, "state": st, "submitted_at": iso(at),
                         "review_comment": cm} for s, k, t, link, st, at, cm in submissions],
        "certificates": [{"track": t, "code": c, "issued_at": iso(at)} for t, c, at in certificates],
    }


def erase_person(person_id: int) -> None:
    """Blank the person's own words in submissions; progress and certificates stay for the team's numbers."""
    from sqlalchemy import update

    db.session.execute(update(StepSubmission).where(StepSubmission.person_id == person_id)
                       .values(text="", link=""))


QUARTER = 91  # days


def falling_completion(today: dt.date | None = None) -> list[FallingCompletion]:
    """Tracks completed fewer times in the last 91 days than in the 91 days before (one query)."""
    now = dt.datetime.combine(today or utcnow().date(), dt.time(), dt.timezone.utc) + dt.timedelta(days=1)
    recent, before = now - dt.timedelta(days=QUARTER), now - dt.timedelta(days=2 * QUARTER)
    rows = db.session.execute(
        select(Track.slug, Track.title,
               func.count(Enrolment.id).filter(Enrolment.completed_at >= recent),
               func.count(Enrolment.id).filter(Enrolment.completed_at < recent))
        .join(Enrolment, Enrolment.track_id == Track.id)
        .where(Enrolment.completed_at >= before, Enrolment.completed_at < now, Track.archived_at.is_(None))
        .group_by(Track.id, Track.slug, Track.title).order_by(Track.title)).all()
    return [FallingCompletion(title, url_for("training.track", slug=slug),
                              f"{previous} completions in the previous 91 days, {current} in the last 91")
            for slug, title, current, previous in rows if current < previous]
