"""The CoE lead's view of their teams: heat map, gaps against role targets, summaries, trend and exports.

Every figure is aggregated in SQL over ``current_level`` (kept in step with the ratings by the
competency domain) and the role targets, in a fixed number of statements whatever the number of
people. The rules are those of ``coe.competency.levels``: the validated level outranks the
self-assessed one, a gap is the target minus the current level (0 when unrated), never below 0,
and a self-rating two or more levels from the validated one is a calibration flag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, literal, or_, select, union_all

from coe.auth.models import Person, Team, utcnow
from coe.competency.current import COUNTED
from coe.competency.levels import CALIBRATION_DISTANCE, VALIDATING
from coe.competency.models import Competency, CompetencyArea, CurrentLevel, Rating, RoleProfile, RoleTarget
from coe.errors import InvalidInput, NotAllowed, NotFound
from coe.extensions import db
from coe.registry import TeamSection, registry

PAGE_SIZE = 50
SORTS = {"person": "Person", "profile": "Role profile", "gap": "Total gap"}
LARGEST_GAPS = 5
TREND_MONTHS = 12


# --- who and what is shown -----------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    team_id: int | None = None
    profile: str = ""
    area: str = ""
    sort: str = "person"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read the query string leniently: an unknown sort or a bad page falls back to the default."""
        sort = args.get("sort", "person")
        return cls(team_id=args.get("team", type=int) or None, profile=args.get("profile", "")[:64],
                   area=args.get("area", "")[:64], sort=sort if sort in SORTS else "person",
                   page=max(1, args.get("page", 1, type=int) or 1))

    def args(self, **changes) -> dict:
        """The query arguments that give these filters (with ``changes``), leaving defaults out."""
        values = {"team": self.team_id, "profile": self.profile, "area": self.area, "sort": self.sort,
                  "page": self.page, **changes}
        return {key: value for key, value in values.items()
                if value and not (key == "sort" and value == "person") and not (key == "page" and value == 1)}


@dataclass(frozen=True)
class Scope:
    """The teams a viewer may look at, and which of them this view shows (None: every team they may see)."""

    teams: list[tuple[int, str]]
    team_id: int | None
    whole_organisation: bool  # an admin without a team filter: everyone, with or without a team

    @property
    def team_ids(self) -> list[int]:
        return [self.team_id] if self.team_id else [team_id for team_id, _ in self.teams]

    @property
    def title(self) -> str:
        if self.team_id:
            return dict(self.teams)[self.team_id]
        return "The whole organisation" if self.whole_organisation else "Your teams"


def scope_for(viewer: Person, team_id: int | None = None) -> Scope:
    """Admins see any team or everyone; a lead sees the teams they lead, and asking for another is refused."""
    if viewer.is_admin:
        teams = [tuple(row) for row in db.session.execute(select(Team.id, Team.name).order_by(Team.name))]
    else:
        teams = [(team.id, team.name) for team in viewer.led_teams]
    if team_id is not None and team_id not in dict(teams):
        if viewer.is_admin:
            raise NotFound("There is no such team.")
        raise NotAllowed("You can see the dashboard of the teams you lead only.")  # policy "team.view" first
    return Scope(teams, team_id, viewer.is_admin and team_id is None)


def people_condition(scope: Scope, filters: Filters):
    """The SQL condition on Person for the people this view shows: active, in scope, of the chosen profile."""
    condition = Person.active.is_(True)
    if not scope.whole_organisation:
        condition = and_(condition, Person.team_id.in_(scope.team_ids or [-1]))
    if filters.profile:
        condition = and_(condition, Person.role_profile == filters.profile)
    return condition


def _live_competency(filters: Filters):
    condition = Competency.archived_at.is_(None)
    if filters.area:
        condition = and_(condition, Competency.area_id.in_(select(CompetencyArea.id)
                                                           .where(CompetencyArea.code == filters.area)))
    return condition


def _gap(target, level):
    """Target minus current level (0 when unrated), never below 0: ``levels.Gap.size`` in SQL."""
    current = func.coalesce(level, 0)
    return case((target > current, target - current), else_=0)


def _targets(scope: Scope, filters: Filters):
    """One row per targeted (person, competency) in view: target, current level and gap."""
    return (select(Person.id.label("person_id"), RoleTarget.competency_id.label("competency_id"),
                   RoleTarget.level.label("target"), CurrentLevel.level.label("level"),
                   _gap(RoleTarget.level, CurrentLevel.level).label("gap"))
            .join(RoleProfile, and_(RoleProfile.code == Person.role_profile, RoleProfile.archived_at.is_(None)))
            .join(RoleTarget, RoleTarget.role_profile_id == RoleProfile.id)
            .join(Competency, and_(Competency.id == RoleTarget.competency_id, _live_competency(filters)))
            .outerjoin(CurrentLevel, and_(CurrentLevel.person_id == Person.id,
                                          CurrentLevel.competency_id == RoleTarget.competency_id))
            .where(people_condition(scope, filters)))


def _per_person(scope: Scope, filters: Filters):
    targets = _targets(scope, filters).subquery()
    return (select(targets.c.person_id, func.sum(targets.c.gap).label("total_gap"),
                   func.count().label("targeted"),
                   func.sum(case((targets.c.gap == 0, 1), else_=0)).label("met"))
            .group_by(targets.c.person_id).subquery())


# --- the summary cards ---------------------------------------------------------------------


@dataclass(frozen=True)
class TeamGap:
    competency: str
    name: str
    people_short: int
    levels_short: int

    @property
    def average(self) -> float:
        """How far short, on average, the people short are."""
        return self.levels_short / self.people_short if self.people_short else 0.0


@dataclass(frozen=True)
class Summary:
    people: int
    with_targets: int
    meeting_all: int
    largest: list[TeamGap]
    awaiting_validation: int
    calibration_flags: int

    @property
    def share_meeting_all(self) -> float | None:
        """The share of people with targets who meet all of them (None when nobody has targets)."""
        return self.meeting_all / self.with_targets if self.with_targets else None


def _pending():
    """A self-rating newer than the newest validated one (or with none) waits for validation."""
    return and_(CurrentLevel.self_at.is_not(None),
                or_(CurrentLevel.validated_at.is_(None), CurrentLevel.self_at > CurrentLevel.validated_at))


def _flagged():
    return func.abs(CurrentLevel.self_level - CurrentLevel.validated_level) >= CALIBRATION_DISTANCE


def summary(scope: Scope, filters: Filters) -> Summary:
    """The cards over every person in view (not only the page of the heat map), in three statements."""
    per_person = _per_person(scope, filters)
    people, with_targets, meeting_all = db.session.execute(
        select(func.count(Person.id), func.count(per_person.c.person_id),
               func.coalesce(func.sum(case((and_(per_person.c.targeted > 0, per_person.c.total_gap == 0), 1),
                                           else_=0)), 0))
        .outerjoin(per_person, per_person.c.person_id == Person.id).where(people_condition(scope, filters))).one()
    targets = _targets(scope, filters).subquery()
    short = func.sum(case((targets.c.gap > 0, 1), else_=0))
    levels_short = func.sum(targets.c.gap)
    largest = [TeamGap(*row) for row in db.session.execute(
        select(Competency.code, Competency.name, short, levels_short)
        .join(targets, targets.c.competency_id == Competency.id).group_by(Competency.id, Competency.code,
                                                                          Competency.name, Competency.position)
        .having(levels_short > 0).order_by(levels_short.desc(), short.desc(), Competency.position, Competency.code)
        .limit(LARGEST_GAPS))]
    awaiting, flags = db.session.execute(
        select(func.coalesce(func.sum(case((_pending(), 1), else_=0)), 0),
               func.coalesce(func.sum(case((_flagged(), 1), else_=0)), 0))
        .join(Person, Person.id == CurrentLevel.person_id)
        .join(Competency, and_(Competency.id == CurrentLevel.competency_id, _live_competency(filters)))
        .where(people_condition(scope, filters))).one()
    return Summary(people, with_targets, int(meeting_all), largest, int(awaiting), int(flags))


# --- the heat map --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One person's standing in one competency; what the page shows of it is worked out once, as a cell
    is read several times to draw it."""

    level: int  # 0: not rated
    validated: bool
    target: int | None
    self_level: int | None = None
    validated_level: int | None = None
    validated_at: dt.datetime | None = None
    pending: bool = False
    gap: int | None = field(init=False)  # None without a target; else how far short, 0 when met
    needs_calibration: bool = field(init=False)
    source: str = field(init=False)  # validated, self-assessed, not rated
    shade: str = field(init=False)  # the colour band: none (no target), 0 (met), 1, 2, 3 (3 or more short)

    def __post_init__(self) -> None:
        gap = None if self.target is None else max(0, self.target - self.level)
        calibrate = (self.self_level is not None and self.validated_level is not None
                     and abs(self.self_level - self.validated_level) >= CALIBRATION_DISTANCE)
        for name, value in (("gap", gap), ("needs_calibration", calibrate),
                            ("source", "validated" if self.validated else "self-assessed" if self.level else "not rated"),
                            ("shade", "none" if gap is None else str(min(gap, 3)))):
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Row:
    person_id: int
    name: str
    team: str | None
    role_profile: str | None
    total_gap: int
    targeted: int
    met: int
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    code: str
    name: str
    area: str


@dataclass(frozen=True)
class AreaColumns:
    code: str
    name: str
    columns: list[Column]


@dataclass(frozen=True)
class HeatMap:
    areas: list[AreaColumns]
    rows: list[Row]
    total: int
    page: int
    pages: int

    @property
    def columns(self) -> list[Column]:
        return [column for area in self.areas for column in area.columns]


def columns(filters: Filters) -> list[AreaColumns]:
    """The framework's live competencies, grouped by area in framework order (one statement)."""
    grouped: dict[str, AreaColumns] = {}
    for area_code, area_name, code, name in db.session.execute(
            select(CompetencyArea.code, CompetencyArea.name, Competency.code, Competency.name)
            .join(Competency, Competency.area_id == CompetencyArea.id).where(_live_competency(filters))
            .order_by(CompetencyArea.position, CompetencyArea.code, Competency.position, Competency.code)):
        grouped.setdefault(area_code, AreaColumns(area_code, area_name, [])).columns.append(
            Column(code, name, area_code))
    return list(grouped.values())


def _order(filters: Filters, per_person):
    if filters.sort == "gap":
        return (func.coalesce(per_person.c.total_gap, 0).desc(), Person.display_name, Person.id)
    if filters.sort == "profile":
        return (func.coalesce(RoleProfile.position, 10_000), Person.role_profile, Person.display_name, Person.id)
    return (Person.display_name, Person.id)


def people_rows(scope: Scope, filters: Filters, limit: int | None, offset: int = 0) -> tuple[list[Row], int]:
    per_person = _per_person(scope, filters)
    stmt = (select(Person.id, Person.display_name, Team.name, Person.role_profile,
                   func.coalesce(per_person.c.total_gap, 0), func.coalesce(per_person.c.targeted, 0),
                   func.coalesce(per_person.c.met, 0), func.count().over())
            .outerjoin(Team, Team.id == Person.team_id)
            .outerjoin(RoleProfile, RoleProfile.code == Person.role_profile)
            .outerjoin(per_person, per_person.c.person_id == Person.id)
            .where(people_condition(scope, filters)).order_by(*_order(filters, per_person)))
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    found = db.session.execute(stmt).all()
    rows = [Row(pid, name, team, profile, int(gap), int(targeted), int(met))
            for pid, name, team, profile, gap, targeted, met, _ in found]
    return rows, (found[0][-1] if found else 0)


def _targets_by_profile(filters: Filters) -> dict[str, dict[str, int]]:
    targets: dict[str, dict[str, int]] = {}
    for profile, code, level in db.session.execute(
            select(RoleProfile.code, Competency.code, RoleTarget.level)
            .join(RoleTarget, RoleTarget.role_profile_id == RoleProfile.id)
            .join(Competency, Competency.id == RoleTarget.competency_id)
            .where(RoleProfile.archived_at.is_(None), _live_competency(filters))):
        targets.setdefault(profile, {})[code] = level
    return targets


def _fill(rows: list[Row], filters: Filters, competency_codes: list[str]) -> None:
    """Put every row's cells in place: two statements, whatever the number of rows."""
    if not rows:
        return
    targets = _targets_by_profile(filters)
    levels: dict[tuple[int, str], tuple] = {}
    for person_id, code, level, validated_level, self_level, validated_at, self_at in db.session.execute(
            select(CurrentLevel.person_id, Competency.code, CurrentLevel.level, CurrentLevel.validated_level,
                   CurrentLevel.self_level, CurrentLevel.validated_at, CurrentLevel.self_at)
            .join(Competency, and_(Competency.id == CurrentLevel.competency_id, _live_competency(filters)))
            .where(CurrentLevel.person_id.in_([row.person_id for row in rows]))):
        levels[person_id, code] = (level, validated_level, self_level, validated_at, self_at)
    for row in rows:
        own_targets = targets.get(row.role_profile or "", {})
        for code in competency_codes:
            known = levels.get((row.person_id, code))
            target = own_targets.get(code)
            if known is None:
                row.cells[code] = Cell(0, False, target)
                continue
            level, validated_level, self_level, validated_at, self_at = known
            pending = self_at is not None and (validated_at is None or self_at > validated_at)
            row.cells[code] = Cell(level, validated_level is not None, target, self_level, validated_level,
                                   validated_at, pending)


def heat_map(scope: Scope, filters: Filters) -> HeatMap:
    """One page of people with a cell per competency in view, sorted as asked."""
    areas = columns(filters)
    rows, total = people_rows(scope, filters, PAGE_SIZE, (filters.page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if filters.page > pages:
        rows, total = people_rows(scope, filters, PAGE_SIZE, (pages - 1) * PAGE_SIZE)
    _fill(rows, filters, [column.code for area in areas for column in area.columns])
    return HeatMap(areas, rows, total, min(filters.page, pages), pages)


def check_filters(filters: Filters) -> None:
    """Refuse a role profile or area that does not exist, naming it (rather than showing an empty page)."""
    if filters.profile and filters.profile not in dict(registry().role_profiles()):
        raise InvalidInput(f"There is no role profile “{filters.profile}”.")
    if filters.area and db.session.scalar(select(CompetencyArea.id).where(CompetencyArea.code == filters.area)) is None:
        raise InvalidInput(f"There is no competency area “{filters.area}”.")


def area_choices() -> list[tuple[str, str]]:
    return [tuple(row) for row in db.session.execute(
        select(CompetencyArea.code, CompetencyArea.name).order_by(CompetencyArea.position, CompetencyArea.code))]


def person_ids(scope: Scope, filters: Filters) -> list[int]:
    """Everyone in view, for the sections other domains contribute."""
    return list(db.session.scalars(select(Person.id).where(people_condition(scope, filters)).order_by(Person.id)))


@dataclass(frozen=True)
class ShownSection:
    section: TeamSection
    context: dict


def sections(ids: Sequence[int]) -> list[ShownSection]:
    """What each domain adds to the dashboard for these people, in order; a section with nothing to say is left out."""
    shown = []
    for section in registry().team_sections:
        context = section.context(ids)
        if context is not None:
            shown.append(ShownSection(section, context))
    return shown


# --- exports -------------------------------------------------------------------------------

CSV_HEADER = ["person", "email", "team", "role profile", "area", "competency", "competency code", "current level",
              "source", "target", "gap", "last validated"]


def export_rows(scope: Scope, filters: Filters) -> tuple[list[AreaColumns], list[Row], dict[int, str]]:
    """Every person in view (sorted as on the page, not paginated) with their cells."""
    areas = columns(filters)
    rows, _ = people_rows(scope, filters, None)
    _fill(rows, filters, [column.code for area in areas for column in area.columns])
    emails = dict(db.session.execute(select(Person.id, Person.email).where(people_condition(scope, filters))).all())
    return areas, rows, emails


def _lines(areas: list[AreaColumns], rows: list[Row], emails: dict[int, str]) -> list[list]:
    lines = []
    for row in rows:
        for area in areas:
            for column in area.columns:
                cell = row.cells[column.code]
                lines.append([row.name, emails.get(row.person_id, ""), row.team or "", row.role_profile or "",
                              area.name, column.name, column.code, cell.level or "", cell.source,
                              "" if cell.target is None else cell.target, "" if cell.gap is None else cell.gap,
                              cell.validated_at.date().isoformat() if cell.validated_at else ""])
    return lines


def csv_lines(scope: Scope, filters: Filters) -> list[list]:
    """One line per person and competency in view: the heat map's cells, flat."""
    return _lines(*export_rows(scope, filters))


def cell_text(cell: Cell) -> str:
    """A heat map cell in words a spreadsheet shows: "3 ✓ (−1)", "2 self (met)", "— (−3)"."""
    level = f"{cell.level} {'✓' if cell.validated else 'self'}" if cell.level else "—"
    if cell.gap is None:
        return level
    return f"{level} ({'met' if cell.gap == 0 else f'−{cell.gap}'})"


def heat_map_sheet(scope: Scope, filters: Filters) -> tuple[str, list[str], list[list]]:
    """The heat map as people by competencies, each cell in words (the CSV has the same cells as numbers)."""
    areas, rows, _ = export_rows(scope, filters)
    header = ["Person", "Team", "Role profile", "Total gap", "Targets met"] + [
        f"{area.name}: {column.name}" for area in areas for column in area.columns]
    lines = [[row.name, row.team or "", row.role_profile or "", row.total_gap, f"{row.met} of {row.targeted}"]
             + [cell_text(row.cells[column.code]) for area in areas for column in area.columns] for row in rows]
    return "Heat map", header, lines


# --- the trend -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    months: list[dt.date]  # the last day counted of each month, oldest first
    areas: list[tuple[str, str]]  # (code, name)
    averages: dict[str, list[float | None]]  # area code -> average level per month
    targets_met: list[int]
    targets: list[int]  # targeted (person, competency) pairs each month, for the share


def month_ends(today: dt.date, months: int = TREND_MONTHS) -> list[dt.date]:
    """The last day of each of the last ``months`` months, the current month counting up to today."""
    ends = []
    year, month = today.year, today.month
    for _ in range(months):
        first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
        ends.append(min(today, first_of_next - dt.timedelta(days=1)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(ends))


def trend(scope: Scope, filters: Filters, today: dt.date | None = None) -> Trend:
    """Average level per area and targets met at the end of each of the last 12 months, from the rating history.

    Each rating holds from its time until the next of the same kind (validated or self) for the
    same person and competency; at a month's end the held validated level wins over the self one.
    """
    today = today or utcnow().date()
    ends = month_ends(today)
    # A month's cut-off is the start of the next day, in UTC.
    cutoffs = [dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.timezone.utc) for end in ends]
    months = union_all(*(select(literal(index).label("month"), literal(cutoff, Rating.created_at.type).label("cutoff"))
                         for index, cutoff in enumerate(cutoffs))).subquery()
    validated = case((Rating.source.in_(sorted(VALIDATING)), 1), else_=0)
    people = select(Person.id).where(people_condition(scope, filters))
    spans = (select(Rating.person_id, Rating.competency_id, Rating.level, Rating.created_at,
                    validated.label("validated"),
                    func.lead(Rating.created_at).over(partition_by=(Rating.person_id, Rating.competency_id, validated),
                                                      order_by=(Rating.created_at, Rating.id)).label("until"))
             .join(Competency, and_(Competency.id == Rating.competency_id, _live_competency(filters)))
             .where(Rating.source.in_(COUNTED), Rating.person_id.in_(people),
                    Rating.created_at < cutoffs[-1]).subquery())
    # Only ratings still held at the first month's end or later: older history never reaches the chart.
    spans = select(spans).where(or_(spans.c.until.is_(None), spans.c.until >= cutoffs[0])).subquery()
    held = (select(months.c.month, spans.c.person_id, spans.c.competency_id,
                   func.coalesce(func.max(case((spans.c.validated == 1, spans.c.level))),
                                 func.max(case((spans.c.validated == 0, spans.c.level)))).label("level"))
            .join(spans, and_(spans.c.created_at < months.c.cutoff,
                              or_(spans.c.until.is_(None), spans.c.until >= months.c.cutoff)))
            .group_by(months.c.month, spans.c.person_id, spans.c.competency_id).subquery())
    areas = [(area.code, area.name) for area in columns(filters)]
    targets = (select(Person.id.label("person_id"), RoleTarget.competency_id, RoleTarget.level.label("target"))
               .join(RoleProfile, and_(RoleProfile.code == Person.role_profile, RoleProfile.archived_at.is_(None)))
               .join(RoleTarget, RoleTarget.role_profile_id == RoleProfile.id)
               .join(Competency, and_(Competency.id == RoleTarget.competency_id, _live_competency(filters)))
               .where(people_condition(scope, filters)).subquery())
    averages: dict[str, list[float | None]] = {code: [None] * len(ends) for code, _ in areas}
    met = [0] * len(ends)
    # One pass over the held levels: the average per area and the targets met, per month.
    for month, area, average, area_met in db.session.execute(
            select(held.c.month, CompetencyArea.code, func.avg(held.c.level),
                   func.sum(case((held.c.level >= targets.c.target, 1), else_=0)))
            .join(Competency, Competency.id == held.c.competency_id)
            .join(CompetencyArea, CompetencyArea.id == Competency.area_id)
            .outerjoin(targets, and_(targets.c.person_id == held.c.person_id,
                                     targets.c.competency_id == held.c.competency_id))
            .group_by(held.c.month, CompetencyArea.code)):
        if area in averages:
            averages[area][month] = round(float(average), 2)
        met[month] += int(area_met or 0)
    total_targets = db.session.scalar(select(func.count()).select_from(targets)) or 0
    # Today's role profiles are held for the whole year: a promotion moves a person's past targets too.
    targeted = [total_targets] * len(ends)
    return Trend(ends, areas, averages, met, targeted)
