"""Health checks and the home page's panels, gathered from every domain through the registry."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from coe.extensions import db
from coe.registry import HomePanel, registry


def database_check() -> tuple[bool, str]:
    db.session.execute(text("SELECT 1"))
    return True, "ok"


def health() -> tuple[bool, dict[str, dict]]:
    """Run every registered check; return overall status and each check's result."""
    checks = {"database": database_check, **{check.name: check.check for check in registry().health_checks}}
    results = {}
    for name, check in checks.items():
        try:
            ok, detail = check()
        except Exception as exc:  # a failing check is a finding to report, never a 500
            db.session.rollback()
            ok, detail = False, f"failed: {exc.__class__.__name__}"
        results[name] = {"ok": ok, "detail": detail}
    return all(result["ok"] for result in results.values()), results


@dataclass(frozen=True)
class ShownPanel:
    panel: HomePanel
    context: dict


def home_panels(person) -> list[ShownPanel]:
    """The panels this person sees, in order; a panel with nothing to say for them is left out."""
    shown = []
    for panel in registry().home_panels:
        context = panel.context(person)
        if context is not None:
            shown.append(ShownPanel(panel, context))
    return shown
