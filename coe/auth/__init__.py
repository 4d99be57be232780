"""People, teams, roles and login."""

from __future__ import annotations

from flask import Flask, jsonify, redirect, request, url_for
from flask_login import current_user

from coe.auth import policy
from coe.extensions import login_manager


def init_app(app: Flask) -> None:
    """Bind the session loader and the login gate that sends anonymous visitors to the login page."""
    from coe.auth import sessions

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(sessions.load)

    @app.before_request
    def require_login():
        if request.endpoint is None or policy.is_public(request.endpoint):
            return None
        if not current_user.is_authenticated:
            if request.path.startswith("/api/"):
                return jsonify(error="Not signed in", message="Sign in to use the API."), 401
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return None
