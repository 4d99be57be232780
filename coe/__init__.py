"""coe: the web platform of a Project Management Center of Excellence."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event

from coe.config import default_instance_path, from_environment, load_or_create_secret_key, resource_dir


def create_app(config: dict | None = None) -> Flask:
    """Build the application; ``config`` overrides the environment (tests use it)."""
    instance_path = os.environ.get("COE_INSTANCE_PATH") or str(default_instance_path())
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(from_environment(app.instance_path))
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    for step in (configure_logging, trust_proxies, register_extensions, register_request_guards, secure_responses,
                 register_blueprints, register_errorhandlers, register_template_helpers, register_commands):
        step(app)
    return app


def configure_logging(app: Flask) -> None:
    """Log coe's and the migrations' messages to stderr at COE_LOG_LEVEL, in one format."""
    level = getattr(logging, str(app.config.get("COE_LOG_LEVEL", "INFO")).upper(), logging.INFO)
    for name in ("coe", "alembic"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)
    logging.getLogger("coe").setLevel(level)
    # Of Alembic's chatter, only the migrations it runs are worth a line.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    logging.getLogger("alembic.runtime.migration").setLevel(level)


def trust_proxies(app: Flask) -> None:
    """Behind COE_TRUSTED_PROXIES proxies, take the client address and scheme from X-Forwarded-*.

    The login throttle counts attempts per client address, so it must see the real one.
    """
    hops = app.config.get("COE_TRUSTED_PROXIES", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    """Bind the extensions to this app."""
    from coe.extensions import bootstrap, configure_sqlite, csrf, db, limiter, login_manager, migrate
    from coe.registry import init_registry

    from coe import audit, mail, tasks  # noqa: F401 - their models join the metadata

    init_registry(app)
    db.init_app(app)
    tasks.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", configure_sqlite)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)


def register_request_guards(app: Flask) -> None:
    """Refuse input no page accepts, before any view or query sees it."""
    from flask import request

    from coe.errors import InvalidInput

    @app.before_request
    def reject_nul_characters():
        # PostgreSQL cannot store NUL in text; no form or query of this site needs it.
        values = list(request.args.values())
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                values += list(request.form.keys()) + list(request.form.values())
            elif request.is_json:
                values += _json_strings(request.get_json(silent=True))
        if any("\x00" in value for value in values):
            raise InvalidInput("The request contained a NUL character, which this site does not accept. "
                               "Remove it and try again.")


def _json_strings(value, depth: int = 0) -> list[str]:
    """Every key and string in a JSON document (to a sane depth), for the NUL check."""
    if isinstance(value, str):
        return [value]
    if depth > 32:
        from coe.errors import InvalidInput

        raise InvalidInput("The request's JSON is nested more deeply than any page of this site sends.")
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [key, *_json_strings(item, depth + 1)]]
    if isinstance(value, list):
        return [s for item in value for s in _json_strings(item, depth + 1)]
    return []


def secure_responses(app: Flask) -> None:
    """Send the browser security headers (CSP, framing, referrer, HSTS on HTTPS, no-store) on every response."""
    from coe import security

    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Register each domain's blueprint and let the domain hook into the app."""
    from coe import auth, competency, content, dashboard, library, mentoring, ops, quizzes, training
    from coe.auth.views import admin, bp as auth_bp
    from coe.competency.views import bp as competency_bp
    from coe.dashboard.views import bp as dashboard_bp
    from coe.home.views import bp as home_bp
    from coe.library.views import bp as library_bp
    from coe.quizzes.views import bp as quizzes_bp
    from coe.training.views import bp as training_bp

    # The dashboard reads every other domain: it comes last.
    for domain in (auth, content, competency, library, ops, quizzes, training, mentoring, dashboard):
        domain.init_app(app)
    for blueprint in (home_bp, auth_bp, admin, competency_bp, library_bp, quizzes_bp, training_bp, dashboard_bp):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    """Render errors in the site's layout."""
    from coe.errors import register_errorhandlers as register

    register(app)


def register_template_helpers(app: Flask) -> None:
    """Give templates the policy check, role-profile titles and the site's one date format."""
    from flask import g
    from flask_login import current_user

    from coe.auth import policy
    from coe.formatting import format_date, format_datetime, format_device, page_window
    from coe.registry import registry

    def role_profile_title(code: str | None) -> str:
        if not code:
            return "no role profile"
        if "role_profile_titles" not in g:
            g.role_profile_titles = dict(registry().role_profiles())
        return g.role_profile_titles.get(code, code)

    @app.context_processor
    def inject_helpers():
        return {"can": lambda action, target=None: policy.can(current_user, action, target),
                "role_profile_title": role_profile_title, "role_profiles": registry().role_profiles}

    app.jinja_env.globals["url_for"] = memoised_url_for()
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_device, "device")
    app.add_template_global(page_window, "page_window")


def memoised_url_for():
    """``url_for`` for templates, remembering what it built: the URL map does not change once the app
    is built, and a page with many links (the navigation, a heat map of people, facets) otherwise
    spends more on building links than on its queries. Only plain relative URLs are remembered;
    anything with options (``_external``, ``_anchor``...) or unhashable values is built each time."""
    from flask import has_request_context, request, url_for

    built: dict[tuple, str] = {}

    def cached_url_for(endpoint: str, **values) -> str:
        if not has_request_context() or any(name.startswith("_") for name in values):
            return url_for(endpoint, **values)
        key = (request.script_root, request.blueprint if endpoint.startswith(".") else None, endpoint,
               tuple(sorted((name, type(value).__name__, value) for name, value in values.items())))
        try:
            return built[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value
            return url_for(endpoint, **values)
        url = built[key] = url_for(endpoint, **values)
        if len(built) > 20_000:
            built.clear()
        return url

    return cached_url_for


def register_commands(app: Flask) -> None:
    """Add the coe CLI commands (also reachable as ``flask --app coe ...``)."""
    from coe.auth.cli import users
    from coe.cli import serve, worker
    from coe.content.cli import content
    from coe.library.cli import reindex
    from coe.ops.cli import backup, people, restore
    from coe.quizzes.cli import quizzes

    content.add_command(reindex)
    for command in (users, content, serve, worker, backup, restore, people, quizzes):
        app.cli.add_command(command)
