"""Home page and /healthz."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user

from coe.auth import policy
from coe.home import services

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    policy.require(current_user, "account.use")
    return render_template("home/index.html", panels=services.home_panels(current_user))


@bp.route("/healthz")
def healthz():
    ok, checks = services.health()
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503
