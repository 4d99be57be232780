"""The CoE lead's dashboard (/team), its trend and exports, and the admins' overview of the CoE (/admin/)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from markupsafe import Markup

from coe import audit
from coe.auth import policy
from coe.competency.charts import line_svg
from coe.competency.models import LEVEL_NAMES
from coe.dashboard import admin as overview
from coe.dashboard import exports, services
from coe.extensions import db
from coe.registry import registry

bp = Blueprint("dashboard", __name__)


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
                           level_names=LEVEL_NAMES)


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
