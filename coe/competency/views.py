"""The competency framework page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from coe.auth import policy
from coe.competency import services
from coe.competency.models import LEVEL_NAMES

bp = Blueprint("competency", __name__)


@bp.route("/competencies")
def framework():
    policy.require(current_user, "library.read")
    areas = services.framework()
    codes = [c.code for _, competencies in areas for c in competencies]
    profiles = services.role_profiles()
    return render_template("competency/framework.html", areas=areas, level_names=LEVEL_NAMES,
                           offerings=services.offering_counts(codes), profiles=profiles,
                           targets=services.role_targets(profiles))
