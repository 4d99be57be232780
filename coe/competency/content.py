"""Load content/competencies/framework.yml and roles.yml: validate, then write."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from coe.auth.models import utcnow
from coe.competency.models import LEVEL_NAMES, Competency, CompetencyArea, CompetencyLevel, RoleProfile, RoleTarget
from coe.content.context import SyncContext
from coe.content.files import LineDict, read_yaml_file
from coe.extensions import db

CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRAMEWORK = "competencies/framework.yml"
ROLES = "competencies/roles.yml"


TALENT_TRIANGLE = ("ways-of-working", "power-skills", "business-acumen")


@dataclass
class LevelData:
    descriptor: str
    evidence: list[str]


@dataclass
class CompetencyData:
    code: str
    name: str
    description: str
    levels: dict[int, LevelData]
    talent_triangle: str = ""
    icb4: list[str] = field(default_factory=list)
    gapps: list[str] = field(default_factory=list)


@dataclass
class RetiredData:
    code: str
    name: str


@dataclass
class AreaData:
    code: str
    name: str
    description: str
    competencies: list[CompetencyData] = field(default_factory=list)


@dataclass
class RoleData:
    code: str
    name: str
    description: str
    targets: dict[str, int]


@dataclass
class FrameworkData:
    areas: list[AreaData]
    roles: list[RoleData]
    retired: list[RetiredData] = field(default_factory=list)

    @property
    def codes(self) -> set[str]:
        return {c.code for area in self.areas for c in area.competencies}


def _text(ctx: SyncContext, file: str, item: LineDict, key: str, what: str, limit: int = 120) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        ctx.problem(file, f"{what} needs a `{key}` (text of at most {limit} characters).", item.line_of(key))
        return ""
    return value.strip()


def _code(ctx: SyncContext, file: str, item: LineDict, what: str, seen: set[str]) -> str:
    code = item.get("code")
    if not isinstance(code, str) or not CODE.match(code) or len(code) > 64:
        ctx.problem(file, f"{what} needs a `code` of lower-case words joined by hyphens, at most 64 characters "
                          f"(got {code!r}).", item.line_of("code"))
        return ""
    if code in seen:
        ctx.problem(file, f"the code `{code}` is used twice; codes must be unique.", item.line_of("code"))
    seen.add(code)
    return code


def parse_framework(ctx: SyncContext) -> FrameworkData | None:
    """Read and validate the framework and role profiles; record every problem in ``ctx``."""
    fw_path, roles_path = ctx.root / FRAMEWORK, ctx.root / ROLES
    if not fw_path.exists():
        ctx.problem(FRAMEWORK, "is missing: the library and role profiles need the competency framework.")
        return None
    doc = read_yaml_file(ctx, fw_path)
    if doc is None:
        return None
    areas: list[AreaData] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("areas"), list) or not doc["areas"]:
        ctx.problem(FRAMEWORK, "needs a top-level `areas:` list, each area with `code`, `name` and `competencies`.", 1)
        return None
    area_codes: set[str] = set()
    codes: set[str] = set()
    for area in doc["areas"]:
        if not isinstance(area, LineDict):
            ctx.problem(FRAMEWORK, "each entry under `areas` must be a mapping with code, name, competencies.")
            continue
        data = AreaData(_code(ctx, FRAMEWORK, area, "an area", area_codes), _text(ctx, FRAMEWORK, area, "name", "an area"),
                        str(area.get("description") or "").strip())
        comps = area.get("competencies")
        if not isinstance(comps, list) or not comps:
            ctx.problem(FRAMEWORK, f"area `{data.code}` needs a non-empty `competencies` list.", area.line)
            comps = []
        for comp in comps:
            if not isinstance(comp, LineDict):
                ctx.problem(FRAMEWORK, f"each competency of area `{data.code}` must be a mapping.", area.line)
                continue
            code = _code(ctx, FRAMEWORK, comp, "a competency", codes)
            data.competencies.append(CompetencyData(
                code, _text(ctx, FRAMEWORK, comp, "name", f"competency `{code}`"),
                _text(ctx, FRAMEWORK, comp, "description", f"competency `{code}`", limit=1000),
                _levels(ctx, comp, code), _triangle(ctx, comp, code),
                _references(ctx, comp, code, "icb4", "IPMA ICB4 elements"),
                _references(ctx, comp, code, "gapps", "GAPPS units or elements")))
        areas.append(data)
    retired = _parse_retired(ctx, doc, codes)
    ctx.competency_codes = codes
    roles = _parse_roles(ctx, roles_path, codes)
    ctx.role_codes = {role.code for role in roles}
    data = FrameworkData(areas, roles, retired)
    check_retirements(data, ctx)
    return data


def _levels(ctx: SyncContext, comp: LineDict, code: str) -> dict[int, LevelData]:
    """Each of levels 1..5 with a descriptor and two or three examples of evidence."""
    levels = comp.get("levels")
    if not isinstance(levels, dict) or set(levels) != set(LEVEL_NAMES):
        ctx.problem(FRAMEWORK, f"competency `{code}` needs `levels` with each of 1 to 5 (the keys are the numbers "
                               "1, 2, 3, 4, 5), each with a `descriptor` and `evidence`.", comp.line_of("levels"))
        return {}
    parsed: dict[int, LevelData] = {}
    for level, item in sorted(levels.items()):
        line = levels.line_of(level)
        if not isinstance(item, LineDict):
            ctx.problem(FRAMEWORK, f"competency `{code}` level {level} needs a `descriptor` (text) and `evidence` "
                                   "(a list of two or three examples).", line)
            continue
        descriptor, evidence = item.get("descriptor"), item.get("evidence")
        if not isinstance(descriptor, str) or not descriptor.strip():
            ctx.problem(FRAMEWORK, f"competency `{code}` level {level} needs a `descriptor` (text).",
                        item.line_of("descriptor"))
        elif not isinstance(evidence, list) or not 2 <= len(evidence) <= 3 or not all(
                isinstance(e, str) and e.strip() for e in evidence):
            ctx.problem(FRAMEWORK, f"competency `{code}` level {level} needs `evidence`: two or three examples "
                                   "of evidence that support the level.", item.line_of("evidence"))
        else:
            parsed[level] = LevelData(descriptor.strip(), [e.strip() for e in evidence])
    return parsed


def _triangle(ctx: SyncContext, comp: LineDict, code: str) -> str:
    side = comp.get("talent_triangle")
    if side not in TALENT_TRIANGLE:
        ctx.problem(FRAMEWORK, f"competency `{code}` needs `talent_triangle`: one of {', '.join(TALENT_TRIANGLE)}.",
                    comp.line_of("talent_triangle"))
        return ""
    return side


def _references(ctx: SyncContext, comp: LineDict, code: str, key: str, what: str) -> list[str]:
    values = comp.get(key)
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and 0 < len(v) <= 200 for v in values):
        ctx.problem(FRAMEWORK, f"competency `{code}` needs `{key}`: a list of the {what} it maps to.",
                    comp.line_of(key))
        return []
    return [v.strip() for v in values]


def _parse_retired(ctx: SyncContext, doc: LineDict, codes: set[str]) -> list[RetiredData]:
    """Competencies no longer assessed; their history stays. A code may not be both live and retired."""
    items = doc.get("retired", [])
    if not isinstance(items, list):
        ctx.problem(FRAMEWORK, "`retired` is a list of the competencies no longer assessed, each with code and name.",
                    doc.line_of("retired"))
        return []
    retired = []
    for item in items:
        if not isinstance(item, LineDict) or not isinstance(item.get("code"), str):
            ctx.problem(FRAMEWORK, "each entry of `retired` needs a `code` and a `name`.", doc.line_of("retired"))
            continue
        if item["code"] in codes:
            ctx.problem(FRAMEWORK, f"`{item['code']}` is both in the framework and retired; keep it in one place.",
                        item.line_of("code"))
            continue
        retired.append(RetiredData(item["code"], str(item.get("name") or item["code"])))
    return retired


def _parse_roles(ctx: SyncContext, path, codes: set[str]) -> list[RoleData]:
    if not path.exists():
        ctx.problem(ROLES, "is missing: define the role profiles and their target levels.")
        return []
    doc = read_yaml_file(ctx, path)
    if doc is None:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("roles"), list) or not doc["roles"]:
        ctx.problem(ROLES, "needs a top-level `roles:` list, each with `code`, `name` and `targets`.", 1)
        return []
    roles, seen = [], set()
    for role in doc["roles"]:
        if not isinstance(role, LineDict):
            ctx.problem(ROLES, "each entry under `roles` must be a mapping with code, name, targets.")
            continue
        code = _code(ctx, ROLES, role, "a role profile", seen)
        targets = role.get("targets")
        parsed: dict[str, int] = {}
        if not isinstance(targets, LineDict):
            ctx.problem(ROLES, f"role `{code}` needs `targets`: a level 1-5 for each competency.", role.line_of("targets"))
        else:
            for comp_code, level in targets.items():
                line = targets.line_of(comp_code)
                if comp_code not in codes:
                    ctx.problem(ROLES, f"role `{code}` targets `{comp_code}`, which is not in the framework.", line)
                elif not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
                    ctx.problem(ROLES, f"role `{code}` target for `{comp_code}` must be a whole number 1 to 5.", line)
                else:
                    parsed[comp_code] = level
            missing = sorted(codes - set(targets))
            if missing:
                ctx.problem(ROLES, f"role `{code}` has no target for {', '.join(missing)}.", role.line_of("targets"))
        roles.append(RoleData(code, _text(ctx, ROLES, role, "name", f"role `{code}`"),
                              str(role.get("description") or "").strip(), parsed))
    return roles


def check_retirements(data: FrameworkData, ctx: SyncContext) -> None:
    """A competency the database knows may leave the framework only through `retired`: history points at it."""
    known = set(db.session.scalars(select(Competency.code).where(Competency.archived_at.is_(None))))
    retired = {r.code for r in data.retired}
    for code in sorted(known - data.codes - retired):
        ctx.problem(FRAMEWORK, f"the competency `{code}` is no longer in the framework; ratings and evidence point at "
                               "it, so list it under `retired:` (with its code and name) to archive it.")


def apply_framework(data: FrameworkData, ctx: SyncContext) -> dict[str, int]:
    """Write the framework and role profiles; archive retired competencies, never delete them."""
    now = utcnow()
    areas = {a.code: a for a in db.session.scalars(select(CompetencyArea))}
    comps = {c.code: c for c in db.session.scalars(select(Competency))}
    for a_pos, area_data in enumerate(data.areas):
        area = areas.get(area_data.code) or CompetencyArea(code=area_data.code)
        area.name, area.description, area.position = area_data.name, area_data.description, a_pos
        db.session.add(area)
        for c_pos, comp_data in enumerate(area_data.competencies):
            comp = comps.get(comp_data.code) or Competency(code=comp_data.code)
            comps[comp.code] = comp
            comp.area, comp.name, comp.description = area, comp_data.name, comp_data.description
            comp.talent_triangle, comp.icb4, comp.gapps = comp_data.talent_triangle, comp_data.icb4, comp_data.gapps
            comp.position, comp.archived_at = c_pos, None
            existing = {lvl.level: lvl for lvl in comp.levels}
            for level, level_data in comp_data.levels.items():
                if level in existing:
                    existing[level].descriptor, existing[level].evidence = level_data.descriptor, level_data.evidence
                else:
                    comp.levels.append(CompetencyLevel(level=level, descriptor=level_data.descriptor,
                                                       evidence=level_data.evidence))
            db.session.add(comp)
    for code, comp in comps.items():
        if code not in data.codes and comp.archived_at is None:
            comp.archived_at = now
    db.session.flush()
    profiles = {p.code: p for p in db.session.scalars(select(RoleProfile))}
    for position, role_data in enumerate(data.roles):
        profile = profiles.get(role_data.code) or RoleProfile(code=role_data.code)
        profile.name, profile.description, profile.position, profile.archived_at = (
            role_data.name, role_data.description, position, None)
        current = {t.competency.code: t for t in profile.targets}
        for comp_code, level in role_data.targets.items():
            if comp_code in current:
                current[comp_code].level = level
            else:
                profile.targets.append(RoleTarget(competency=comps[comp_code], level=level))
        profile.targets = [t for t in profile.targets if t.competency.code in role_data.targets]
        db.session.add(profile)
    for code, profile in profiles.items():
        if code not in {r.code for r in data.roles} and profile.archived_at is None:
            profile.archived_at = now
    db.session.flush()
    return {"competencies": len(data.codes), "role profiles": len(data.roles)}
