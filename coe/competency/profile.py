"""A person's competency profile: ratings, evidence, gaps, development plan and goals. Services flush; callers commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from coe import audit
from coe.auth.models import Person, utcnow
from coe.competency import current
from coe.competency import levels as lv
from coe.competency.models import (LEVEL_NAMES, VALIDATING_SOURCES, Competency, Evidence, Goal, Rating,
                                   RoleProfile, RoleProfileChange, RoleTarget)
from coe.competency.services import competency_names, framework, offerings
from coe.content.cache import per_generation
from coe.errors import InvalidInput, NotAllowed, NotFound
from coe.extensions import db
from coe.registry import Offering

NOTE_MAX = 2000
URL_MAX = 500
HISTORY_SHOWN = 5  # newest entries per competency on the profile; the rest page by page (HISTORY_PAGE)
HISTORY_PAGE = 50
SOURCE_LABELS = {"self": "self-assessment", "mentor": "validated by a mentor", "lead": "validated by a lead",
                 "quiz": "quiz", "track": "training track", "import": "imported", "manual": "recorded by hand"}
EVIDENCE_LABELS = {"quiz": "Quiz passed", "track": "Track completed", "mentor": "Mentor sign-off",
                   "manual": "Evidence"}


@dataclass(frozen=True)
class HistoryItem:
    when: dt.datetime
    kind: str  # rating | evidence
    level: int
    source: str
    label: str
    by: str | None = None
    note: str = ""
    title: str = ""
    url: str = ""


@dataclass(frozen=True)
class PlanLine:
    gap: lv.Gap
    offerings: list[Offering]


@dataclass
class ProfileView:
    person: Person
    areas: list
    names: dict[str, str]
    targets: dict[str, int]
    levels: dict[str, lv.Current]
    gaps: list[lv.Gap]
    summary: lv.Summary
    history: dict[str, list[HistoryItem]] = field(default_factory=dict)
    history_counts: dict[str, int] = field(default_factory=dict)  # every entry per competency, shown or not
    plan: list[PlanLine] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    profile_changes: list[tuple[RoleProfileChange, str | None]] = field(default_factory=list)

    def level_of(self, code: str) -> lv.Current:
        return self.levels.get(code, lv.UNRATED)

    def flagged(self) -> list[str]:
        return [code for code, current in self.levels.items() if current.needs_calibration]


def _live_competencies() -> dict[str, Competency]:
    return {c.code: c for c in db.session.scalars(select(Competency).where(Competency.archived_at.is_(None)))}


def targets_for(role_profile: str | None) -> dict[str, int]:
    """The target level per competency of a role profile (none without a profile)."""
    if not role_profile:
        return {}
    return dict(_targets_of(role_profile))


@per_generation(maxsize=64)
def _targets_of(role_profile: str) -> tuple[tuple[str, int], ...]:
    """Targets are content: read once per content generation."""
    return tuple((code, level) for code, level in db.session.execute(
        select(Competency.code, RoleTarget.level).join(RoleTarget.competency).join(RoleTarget.role_profile)
        .where(RoleProfile.code == role_profile, RoleProfile.archived_at.is_(None),
               Competency.archived_at.is_(None))))


def _ranked_ratings(person_id: int):
    """The person's ratings, each numbered newest first within its competency (``rn``) and within its
    competency and kind, validated or self (``rn_kind``), with the competency's count of ratings."""
    kind = case((Rating.source.in_(VALIDATING_SOURCES), literal("validated")),
                (Rating.source == "self", literal("self")), else_=literal("other"))
    newest_first = (Rating.created_at.desc(), Rating.id.desc())
    return (select(Rating.id, Competency.code, Rating.level, Rating.source, Rating.created_at, Rating.note,
                   Rating.evidence_url, Rating.rated_by_id,
                   func.row_number().over(partition_by=Rating.competency_id, order_by=newest_first).label("rn"),
                   func.row_number().over(partition_by=(Rating.competency_id, kind),
                                          order_by=newest_first).label("rn_kind"),
                   func.count().over(partition_by=Rating.competency_id).label("total"))
            .join(Competency, Competency.id == Rating.competency_id).where(Rating.person_id == person_id)
            .subquery())


def rating_facts(person_id: int) -> list[lv.RatingFact]:
    """The newest validated and the newest self-rating per competency: all that current levels read."""
    ranked = _ranked_ratings(person_id)
    return [lv.RatingFact(code, level, source, created_at, rating_id) for rating_id, code, level, source, created_at
            in db.session.execute(select(ranked.c.id, ranked.c.code, ranked.c.level, ranked.c.source,
                                         ranked.c.created_at).where(ranked.c.rn_kind == 1))]


def levels_and_gaps(person: Person) -> tuple[dict[str, lv.Current], list[lv.Gap]]:
    levels = current.levels_of([person.id])[person.id]
    return levels, lv.gaps(targets_for(person.role_profile), levels)


def profile_view(person: Person, with_plan: bool = True) -> ProfileView:
    """Everything the profile page shows, in a fixed number of queries and rows whatever the length of
    the history: current levels from the newest ratings of each kind, and the newest HISTORY_SHOWN
    entries per competency (``history_page`` reads the rest)."""
    areas = framework()
    names = {c.code: c.name for _, competencies in areas for c in competencies}
    targets = targets_for(person.role_profile)
    ranked = _ranked_ratings(person.id)
    rows = db.session.execute(select(ranked).where((ranked.c.rn <= HISTORY_SHOWN) | (ranked.c.rn_kind == 1))).all()
    ranked_evidence = (
        select(Competency.code, Evidence.level, Evidence.source, Evidence.recorded_at, Evidence.title, Evidence.url,
               Evidence.recorded_by_id,
               func.row_number().over(partition_by=Evidence.competency_id,
                                      order_by=(Evidence.recorded_at.desc(), Evidence.id.desc())).label("rn"),
               func.count().over(partition_by=Evidence.competency_id).label("total"))
        .join(Competency, Competency.id == Evidence.competency_id).where(Evidence.person_id == person.id).subquery())
    evidence = db.session.execute(select(ranked_evidence).where(ranked_evidence.c.rn <= HISTORY_SHOWN)).all()
    changes = list(db.session.scalars(select(RoleProfileChange).where(RoleProfileChange.person_id == person.id)
                                      .order_by(RoleProfileChange.changed_at.desc())))
    people_ids = {row.rated_by_id for row in rows} | {row.recorded_by_id for row in evidence} | {
        change.changed_by_id for change in changes}
    people_ids.discard(None)
    who = dict(db.session.execute(select(Person.id, Person.display_name).where(Person.id.in_(people_ids))).all()) \
        if people_ids else {}
    levels = lv.current_levels(lv.RatingFact(row.code, row.level, row.source, row.created_at, row.id)
                               for row in rows if row.rn_kind == 1)
    all_gaps = lv.gaps(targets, levels)
    view = ProfileView(person, areas, names, targets, levels, all_gaps, lv.summarise(all_gaps))
    for row in rows:
        view.history_counts[row.code] = row.total
        if row.rn <= HISTORY_SHOWN:
            view.history.setdefault(row.code, []).append(HistoryItem(
                row.created_at, "rating", row.level, row.source, SOURCE_LABELS[row.source], who.get(row.rated_by_id),
                row.note, "", row.evidence_url))
    evidence_counts: dict[str, int] = {}
    for code, level, source, recorded_at, title, url, by, _, total in evidence:
        evidence_counts[code] = total
        view.history.setdefault(code, []).append(HistoryItem(
            recorded_at, "evidence", level, source, EVIDENCE_LABELS[source], who.get(by), "", title, url))
    for code, total in evidence_counts.items():
        view.history_counts[code] = view.history_counts.get(code, 0) + total
    for code, items in view.history.items():
        items.sort(key=lambda item: item.when, reverse=True)
        del items[HISTORY_SHOWN:]
    view.profile_changes = [(change, who.get(change.changed_by_id)) for change in changes]
    view.goals = list(db.session.scalars(select(Goal).where(Goal.person_id == person.id, Goal.done_at.is_(None))
                                         .options(selectinload(Goal.competency)).order_by(Goal.target_date)))
    if with_plan:
        open_gaps = [gap for gap in all_gaps if gap.size > 0]
        found = offerings([gap.competency for gap in open_gaps]) if open_gaps else {}
        view.plan = [PlanLine(gap, found.get(gap.competency, [])) for gap in open_gaps]
    return view


@dataclass(frozen=True)
class HistoryPage:
    competency: Competency
    items: list[HistoryItem]
    page: int
    pages: int
    total: int


def history_page(person: Person, code: str, page: int) -> HistoryPage:
    """One page of every rating and piece of evidence of one competency, newest first."""
    competency = _competency(code)
    ratings = select(Rating.created_at.label("at"), literal("rating").label("kind"), Rating.level, Rating.source,
                     Rating.note, literal("").label("title"), Rating.evidence_url.label("url"),
                     Rating.rated_by_id.label("by"), Rating.id.label("id")) \
        .where(Rating.person_id == person.id, Rating.competency_id == competency.id)
    evidence = select(Evidence.recorded_at.label("at"), literal("evidence").label("kind"), Evidence.level,
                      Evidence.source, literal("").label("note"), Evidence.title, Evidence.url,
                      Evidence.recorded_by_id.label("by"), Evidence.id.label("id")) \
        .where(Evidence.person_id == person.id, Evidence.competency_id == competency.id)
    both = union_all(ratings, evidence).subquery()
    total = db.session.scalar(select(func.count()).select_from(both))
    pages = max(1, -(-total // HISTORY_PAGE))
    page = min(max(1, page), pages)
    rows = db.session.execute(select(both).order_by(both.c.at.desc(), both.c.kind, both.c.id.desc())
                              .limit(HISTORY_PAGE).offset((page - 1) * HISTORY_PAGE)).all()
    ids = {row.by for row in rows if row.by is not None}
    who = dict(db.session.execute(select(Person.id, Person.display_name).where(Person.id.in_(ids))).all()) \
        if ids else {}
    items = [HistoryItem(row.at, row.kind, row.level, row.source,
                         (SOURCE_LABELS if row.kind == "rating" else EVIDENCE_LABELS)[row.source], who.get(row.by),
                         row.note or "", row.title or "", row.url or "") for row in rows]
    return HistoryPage(competency, items, page, pages, total)


# --- writing -------------------------------------------------------------------------------


def _competency(code: str) -> Competency:
    competency = db.session.scalar(select(Competency).where(Competency.code == code,
                                                            Competency.archived_at.is_(None)))
    if competency is None:
        raise InvalidInput(f"There is no competency “{code}” in the framework.")
    return competency


def _level(level) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or level not in LEVEL_NAMES:
        raise InvalidInput("Choose a level from 1 (Awareness) to 5 (Expert).")
    return level


def _url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > URL_MAX:
        raise InvalidInput(f"The evidence link must be a web address (http or https) of at most {URL_MAX} "
                           "characters.")
    return url


def _site_path(url: str) -> str:
    """A link to a page of this site ("/library/..."), as a plan item gives; never "//host" or a control character."""
    parts = urlsplit(url)
    if (url.startswith("//") or "\\" in url or parts.scheme or parts.netloc or len(url) > URL_MAX
            or any(ord(char) < 0x20 or ord(char) == 0x7F for char in url)):
        raise InvalidInput("The goal's link must be a page of this site or a web address (http or https).")
    return url


def _note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"The note has {len(note)} characters; the most is {NOTE_MAX}.")
    return note


def self_assess(person: Person, code: str, level: int, note: str = "", evidence_url: str = "") -> Rating:
    """Record the person's own rating: it counts until someone validates the competency."""
    rating = Rating(person_id=person.id, competency_id=_competency(code).id, level=_level(level), source="self",
                    note=_note(note), evidence_url=_url(evidence_url), rated_by_id=person.id, created_at=utcnow())
    db.session.add(rating)
    db.session.flush()
    current.refresh(person.id, rating.competency_id)
    return rating


def validate(validator: Person, person: Person, code: str, level: int, note: str, as_role: str) -> Rating:
    """Record a validated rating by the person's lead or mentor (``as_role``); it outranks self-ratings."""
    if validator.id == person.id:
        raise NotAllowed("You cannot validate your own competencies; your lead or mentor does.")
    if as_role not in VALIDATING_SOURCES:
        raise InvalidInput("A rating is validated by a mentor or a lead.")
    rating = Rating(person_id=person.id, competency_id=_competency(code).id, level=_level(level), source=as_role,
                    note=_note(note), rated_by_id=validator.id, created_at=utcnow())
    db.session.add(rating)
    db.session.flush()
    current.refresh(person.id, rating.competency_id)
    audit.record("competency.validate", validator, person, competency=code, level=rating.level, role=as_role)
    return rating


def record_evidence(person_id: int, code: str, source: str, level: int, title: str, url: str, ref: str,
                    recorded_by_id: int | None = None) -> Evidence | None:
    """Record evidence once per (person, competency, ref); every domain calls this. Return None if already there."""
    competency = _competency(code)
    existing = db.session.scalar(select(Evidence).where(Evidence.person_id == person_id,
                                                        Evidence.competency_id == competency.id, Evidence.ref == ref))
    if existing is not None:
        return None
    evidence = Evidence(person_id=person_id, competency_id=competency.id, source=source, level=_level(level),
                        title=title[:200], url=url[:URL_MAX], ref=ref[:200], recorded_by_id=recorded_by_id,
                        recorded_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(evidence)
    except IntegrityError:  # recorded at the same moment by another request
        return None
    return evidence


def add_goal(person: Person, code: str, title: str, kind: str, url: str, target_date: dt.date) -> Goal:
    """Turn an item of the development plan into a goal with a target date."""
    if not title.strip() or len(title) > 200:
        raise InvalidInput("Name the goal in at most 200 characters.")
    if target_date < dt.date.today():
        raise InvalidInput("Choose a target date from today on.")
    goal = Goal(person_id=person.id, competency_id=_competency(code).id, title=title.strip(), kind=kind[:40],
                url=_site_path(url) if url.startswith("/") else _url(url), target_date=target_date)
    db.session.add(goal)
    db.session.flush()
    return goal


def add_goal_from_plan(person: Person, code: str, url: str, target_date: dt.date) -> Goal:
    """Make one of the items the development plan lists for ``code`` a goal: its title and kind are the
    item's own, so a goal always names something the CoE offers."""
    _competency(code)
    item = next((o for o in offerings([code]).get(code, []) if o.url == url), None)
    if item is None:
        raise InvalidInput("Pick one of the items the development plan lists for this competency.")
    return add_goal(person, code, item.title, item.kind, item.url, target_date)


def complete_goal(person: Person, goal_id: int) -> Goal:
    goal = db.session.get(Goal, goal_id)
    if goal is None or goal.person_id != person.id:
        raise NotFound("There is no such goal.")
    goal.done_at = goal.done_at or utcnow()
    db.session.flush()
    return goal


def change_role_profile(person: Person, new_profile: str | None, changed_by: Person) -> RoleProfileChange:
    """Move a person to another role profile; the change is kept and their targets follow it."""
    codes = set(db.session.scalars(select(RoleProfile.code).where(RoleProfile.archived_at.is_(None))))
    if new_profile and new_profile not in codes:
        raise InvalidInput(f"Unknown role profile “{new_profile}”.")
    if (new_profile or None) == person.role_profile:
        raise InvalidInput("That is already the person's role profile.")
    change = RoleProfileChange(person_id=person.id, from_profile=person.role_profile, to_profile=new_profile or None,
                               changed_by_id=changed_by.id, changed_at=utcnow())
    person.role_profile = new_profile or None
    db.session.add(change)
    db.session.flush()
    audit.record("role.profile", changed_by, person, before=change.from_profile, after=change.to_profile)
    return change


def gaps_panel(person: Person) -> dict | None:
    """The home page's panel: the largest gaps, open goals, and a way to self-assess."""
    levels, all_gaps = levels_and_gaps(person)
    summary = lv.summarise(all_gaps)
    names = competency_names()
    goals = list(db.session.scalars(select(Goal).where(Goal.person_id == person.id, Goal.done_at.is_(None))
                                    .options(selectinload(Goal.competency)).order_by(Goal.target_date).limit(3)))
    return {"summary": summary, "names": names, "goals": goals, "rated": bool(levels),
            "has_profile": bool(person.role_profile)}
