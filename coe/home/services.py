"""Health checks and the home page's panels, gathered from every domain."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import text

from coe.extensions import db

HealthCheck = Callable[[], tuple[bool, str]]


def register_health_check(app: Flask, name: str, check: HealthCheck) -> None:
    """Add a named check to /healthz; ``check()`` returns (ok, detail)."""
    app.extensions.setdefault("coe.health_checks", {})[name] = check


def database_check() -> tuple[bool, str]:
    db.session.execute(text("SELECT 1"))
    return True, "ok"


def health() -> tuple[bool, dict[str, dict]]:
    """Run every registered check; return overall status and each check's result."""
    checks = {"database": database_check, **current_app.extensions.get("coe.health_checks", {})}
    results = {}
    for name, check in checks.items():
        try:
            ok, detail = check()
        except Exception as exc:  # a failing check is a finding to report, never a 500
            db.session.rollback()
            ok, detail = False, f"failed: {exc.__class__.__name__}"
        results[name] = {"ok": ok, "detail": detail}
    return all(result["ok"] for result in results.values()), results


HomePanel = Callable[[object], dict | None]


def register_home_panel(app: Flask, name: str, panel: HomePanel) -> None:
    """Let a domain add a panel to the home page; ``panel(person)`` returns its template context."""
    app.extensions.setdefault("coe.home_panels", {})[name] = panel


def home_panels(person) -> dict[str, dict]:
    panels = current_app.extensions.get("coe.home_panels", {})
    return {name: data for name, panel in panels.items() if (data := panel(person)) is not None}
