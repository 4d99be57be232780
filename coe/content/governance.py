"""The organisation's governance parameters (content/governance.yml) and the tag vocabulary (content/tags.yml).

Documents, tracks and quizzes reference a parameter as ``{{gov.risk.escalation_days}}``; the sync
puts the value in its place, refuses an unknown key, and refuses a document that writes a rule
out literally where governance.yml says how such a restatement looks (``restated``). So an
organisation tailors a rule in one file and every document follows.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from coe.content.context import SyncContext
from coe.content.files import LineDict, read_yaml_file

GOVERNANCE = "governance.yml"
TAGS = "tags.yml"
PLACEHOLDER = re.compile(r"\{\{\s*gov\.([A-Za-z0-9_.-]*)\s*\}\}")
KEY = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")
TAG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
GROUP_FIELDS = {"title", "description"}
PARAMETER_FIELDS = {"value", "description", "restated"}
MAX_VALUE = 200


@dataclass(frozen=True)
class Parameter:
    key: str  # the dotted path: risk.escalation_days
    value: int | float | str
    description: str
    group: str  # the dotted path of the group it sits in
    restated: tuple[re.Pattern, ...] = ()

    @property
    def display(self) -> str:
        """The value as documents show it: whole numbers of 1,000 or more with thousands separators."""
        if isinstance(self.value, int) and abs(self.value) >= 1000:
            return f"{self.value:,}"
        return str(self.value)


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    description: str


@dataclass
class Governance:
    parameters: dict[str, Parameter] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        """A fingerprint of every value: documents that show them must be rendered again when it changes."""
        values = {key: p.display for key, p in sorted(self.parameters.items())}
        return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def parse_governance(ctx: SyncContext) -> Governance:
    """Read governance.yml and tags.yml; leave the parameters and tags in ``ctx`` for the sources after."""
    governance = Governance()
    path = ctx.root / GOVERNANCE
    if path.exists():
        data = read_yaml_file(ctx, path)
        if data is not None and not isinstance(data, LineDict):
            ctx.problem(GOVERNANCE, "must be a mapping of groups and parameters (see content/README.md).", 1)
        elif data is not None:
            _walk(ctx, data, "", governance)
    else:
        ctx.problem(GOVERNANCE, "is missing: documents reference the organisation's rules in it.")
    governance.tags = _parse_tags(ctx)
    ctx.governance = governance.parameters
    ctx.tags = governance.tags
    return governance


def _walk(ctx: SyncContext, node: LineDict, prefix: str, governance: Governance) -> None:
    for name, child in node.items():
        if prefix and name in GROUP_FIELDS:
            continue
        key = f"{prefix}.{name}" if prefix else str(name)
        line = node.line_of(name)
        if not isinstance(name, str) or not KEY.match(name):
            ctx.problem(GOVERNANCE, f"`{name}` is not a valid key: use lower-case words joined by _ or -.", line)
            continue
        if not isinstance(child, LineDict):
            ctx.problem(GOVERNANCE, f"`{key}` must be a group (a mapping) or a parameter (a mapping with `value`).",
                        line)
        elif "value" in child:
            parameter = _parameter(ctx, key, prefix, child)
            if parameter is not None:
                governance.parameters[key] = parameter
        else:
            title, description = child.get("title", ""), child.get("description", "")
            if not isinstance(title, str) or not isinstance(description, str):
                ctx.problem(GOVERNANCE, f"group `{key}`: `title` and `description` are text.", child.line)
            governance.groups.append(Group(key, str(title or name.replace("_", " ").capitalize()), str(description)))
            _walk(ctx, child, key, governance)


def _parameter(ctx: SyncContext, key: str, group: str, item: LineDict) -> Parameter | None:
    ok = True
    for name in item:
        if name not in PARAMETER_FIELDS:
            ctx.problem(GOVERNANCE, f"parameter `{key}` has an unknown field `{name}`; "
                                    f"the fields are {', '.join(sorted(PARAMETER_FIELDS))}.", item.line_of(name))
            ok = False
    value = item["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) or (
            isinstance(value, str) and not 0 < len(value.strip()) <= MAX_VALUE):
        ctx.problem(GOVERNANCE, f"parameter `{key}` needs a `value`: a number or text of at most {MAX_VALUE} "
                                "characters.", item.line_of("value"))
        ok = False
    description = item.get("description")
    if not isinstance(description, str) or not description.strip():
        ctx.problem(GOVERNANCE, f"parameter `{key}` needs a `description` saying what the value means.", item.line)
        ok = False
    patterns = []
    restated = item.get("restated", [])
    if not isinstance(restated, list) or not all(isinstance(p, str) for p in restated):
        ctx.problem(GOVERNANCE, f"parameter `{key}`: `restated` is a list of regular expressions.",
                    item.line_of("restated"))
        ok = False
    else:
        for pattern in restated:
            try:
                patterns.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                ctx.problem(GOVERNANCE, f"parameter `{key}`: `restated` pattern {pattern!r} is not a valid "
                                        f"regular expression ({exc}).", item.line_of("restated"))
                ok = False
    if not ok:
        return None
    value = value.strip() if isinstance(value, str) else value
    return Parameter(key, value, description.strip(), group, tuple(patterns))


def _parse_tags(ctx: SyncContext) -> dict[str, str]:
    path = ctx.root / TAGS
    if not path.exists():
        ctx.problem(TAGS, "is missing: list the tags documents may use, each with a line saying what it covers.")
        return {}
    data = read_yaml_file(ctx, path)
    if data is None:
        return {}
    if not isinstance(data, LineDict) or not data:
        ctx.problem(TAGS, "must map each tag to a line saying what it covers, such as `risk: Risks and their "
                          "responses.`", 1)
        return {}
    tags = {}
    for tag, description in data.items():
        if not isinstance(tag, str) or not TAG.match(tag) or len(tag) > 60:
            ctx.problem(TAGS, f"`{tag}` is not a valid tag: use lower-case words joined by hyphens.", data.line_of(tag))
        elif not isinstance(description, str) or not description.strip():
            ctx.problem(TAGS, f"tag `{tag}` needs a line saying what it covers.", data.line_of(tag))
        else:
            tags[tag] = description.strip()
    return tags


@dataclass
class Resolved:
    text: str
    used: set[str]
    # (line, message) of each problem, lines counted from the start of the text
    problems: list[tuple[int, str]]


def resolve(text: str, parameters: dict[str, Parameter], check_restated: bool = True) -> Resolved:
    """Put parameter values in place of ``{{gov.key}}``; name unknown keys and literal restatements by line."""
    used: set[str] = set()
    problems: list[tuple[int, str]] = []

    def substitute(match: re.Match) -> str:
        key = match.group(1)
        parameter = parameters.get(key)
        if parameter is None:
            line = text.count("\n", 0, match.start()) + 1
            problems.append((line, f"references `{{{{gov.{key}}}}}`, which governance.yml does not define"
                                   f"{_closest_hint(key, parameters)}."))
            return match.group(0)
        used.add(key)
        return parameter.display

    resolved = PLACEHOLDER.sub(substitute, text) if "{{" in text else text
    if check_restated:
        # Look for restatements in the text as written, with each placeholder blanked out.
        masked = PLACEHOLDER.sub(lambda m: " " * len(m.group(0)), text)
        for parameter in parameters.values():
            for pattern in parameter.restated:
                found = pattern.search(masked)
                if found:
                    line = masked.count("\n", 0, found.start()) + 1
                    problems.append((line, f"states “{found.group(0)}” literally; reference the rule as "
                                           f"{{{{gov.{parameter.key}}}}} so that it follows governance.yml."))
    return Resolved(resolved, used, sorted(problems))


def _closest_hint(key: str, parameters: dict[str, Parameter]) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(parameters), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def apply_governance(governance: Governance, ctx: SyncContext) -> dict[str, int]:
    """Replace the stored parameters, groups and tags with the files' (tens of rows: rewriting is cheapest)."""
    from sqlalchemy import delete, insert

    from coe.content.models import ContentTag, GovernanceGroup, GovernanceParameter
    from coe.extensions import db

    for model in (GovernanceParameter, GovernanceGroup, ContentTag):
        db.session.execute(delete(model))
    if governance.groups:
        db.session.execute(insert(GovernanceGroup), [
            {"key": g.key, "title": g.title, "description": g.description, "position": n}
            for n, g in enumerate(governance.groups)])
    if governance.parameters:
        db.session.execute(insert(GovernanceParameter), [
            {"key": p.key, "group_key": p.group, "value": p.display, "description": p.description, "position": n}
            for n, p in enumerate(governance.parameters.values())])
    if governance.tags:
        db.session.execute(insert(ContentTag), [{"tag": t, "description": d} for t, d in governance.tags.items()])
    return {"governance parameters": len(governance.parameters), "tags": len(governance.tags)}
