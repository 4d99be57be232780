"""The CoE lead's dashboard (/team), its trend and exports, and the admins' overview of the CoE (/admin/)."""

from __future__ import annotations

import functools

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from markupsafe import Markup, escape

from coe import audit
from coe.auth import policy
from coe.competency.charts import line_svg
from coe.competency.models import LEVEL_NAMES
from coe.dashboard import admin as overview
from coe.dashboard import exports, services
from coe.extensions import db
from coe.registry import registry

bp = Blueprint("dashboard", __name__)


# --- the heat map's cells ------------------------------------------------------------------------
# A page of the heat map has a cell per person and competency (1,350 for 50 people and the whole
# framework), each read many times to draw it; drawn through the template engine, the cells cost more
# than every query of the page together. They are drawn here instead: the visible and the spoken text
# of a cell depend only on a handful of small numbers, so each distinct cell body is built once. Every
# value in them is a number or a fixed word; the competency code is escaped.


@functools.lru_cache(maxsize=4096)
def _cell_body(level: int, validated: bool, target: int | None, self_level: int | None,
               validated_level: int | None, pending: bool) -> tuple[str, str]:
    """The cell's classes and its visible and spoken text."""
    cell = services.Cell(level, validated, target, self_level, validated_level, None, pending)
    shown = f"{level}{'✓' if validated else '?'}" if level else "·"
    spoken = f"level {level}, {cell.source}" if level else "not rated"
    if cell.needs_calibration:
        shown += "!"
    if pending and validated:
        shown += "*"
    if cell.gap is not None:
        shown += f'<span class="d-block heat-gap">{"met" if cell.gap == 0 else f"−{cell.gap}"}</span>'
        spoken += f"; target {target}, {'met' if cell.gap == 0 else f'{cell.gap} short'}"
    if cell.needs_calibration:
        spoken += f"; self-assessed {self_level} against validated {validated_level}"
    if pending and validated:
        spoken += f"; a newer self-assessment of {self_level} awaits validation"
    self_class = " heat-self" if level and not validated else ""
    return (f'heat-cell heat-shade-{cell.shade}{self_class}', f'<span aria-hidden="true">{shown}</span>\n'
            f'<span class="visually-hidden">{spoken}</span>')


def heat_row(row: services.Row, columns: list[services.Column]) -> Markup:
    """The cells of one person's row of the heat map, in column order."""
    parts = []
    for column in columns:
        cell = row.cells[column.code]
        classes, body = _cell_body(cell.level, cell.validated, cell.target, cell.self_level, cell.validated_level,
                                   cell.pending)
        parts.append(f'<td class="{classes}" data-cell="{row.person_id}-{escape(column.code)}">\n{body}\n</td>')
    return Markup("\n".join(parts))


def _view() -> tuple[services.Scope, services.Filters]:
    """The filters of the query string, checked against what the viewer may see."""
    filters = services.Filters.from_args(request.args)
    policy.require(current_user, "team.view", filters.team_id,
                   "The team dashboard is for the leads of a team (their own teams) and admins.")
    services.check_filters(filters)
    return services.scope_for(current_user, filters.team_id), filters


@bp.route("/team")
def team():
    scope, filters = _view()
    ids = services.person_ids(scope, filters)
    # A section's template sees its values both by name and as ``section`` (as a home panel sees ``panel``).
    sections = [(shown.section, Markup(render_template(shown.section.template,
                                                       **{"section": shown.context, **shown.context})))
                for shown in services.sections(ids)]
    return render_template("dashboard/team.html", scope=scope, filters=filters,
                           summary=services.summary(scope, filters), heat=services.heat_map(scope, filters),
                           sections=sections, areas=services.area_choices(), sorts=services.SORTS,
                           level_names=LEVEL_NAMES, heat_row=heat_row)


@bp.route("/team/trend")
def trend():
    scope, filters = _view()
    return render_template("dashboard/trend.html", scope=scope, filters=filters,
                           trend=services.trend(scope, filters), areas=services.area_choices())


@bp.route("/team/trend.svg")
def trend_chart():
    scope, filters = _view()
    found = services.trend(scope, filters)
    svg = line_svg(f"Average level per area: {scope.title}", [f"{month:%b %Y}" for month in found.months],
                   [(name, found.averages[code]) for code, name in found.areas])
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"})


def _export_record(fmt: str, scope: services.Scope, filters: services.Filters) -> None:
    audit.record("team.export", current_user, None, format=fmt, scope=scope.title,
                 **{key: value for key, value in filters.args().items() if key in ("profile", "area")})
    db.session.commit()


def _filename(scope: services.Scope, ext: str) -> str:
    title = scope.title.lower()
    slug = "".join(char if char.isascii() and char.isalnum() else "-" for char in title).strip("-") or "team"
    return f"competencies-{slug}.{ext}"


@bp.route("/team/export.csv")
def export_csv():
    scope, filters = _view()
    body = exports.csv_bytes(services.CSV_HEADER, services.csv_lines(scope, filters))
    _export_record("csv", scope, filters)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{_filename(scope, "csv")}"'})


@bp.route("/team/export.xlsx")
def export_xlsx():
    scope, filters = _view()
    ids = services.person_ids(scope, filters)
    sheets = [services.heat_map_sheet(scope, filters)]
    sheets += [sheet for sheet in (section.sheet(ids) for section in registry().team_sections) if sheet]
    body = exports.xlsx_bytes(sheets)
    _export_record("xlsx", scope, filters)
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(scope, "xlsx")}"'})


@bp.route("/admin/")
def admin_overview():
    policy.require(current_user, "admin.access")
    return render_template("dashboard/admin.html", overview=overview.overview())
