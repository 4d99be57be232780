"""Operating the site: backups and restores, and people's data rights (export and erasure)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the core domains' personal data (people and sessions; competency records)."""
    from coe.ops.personal_data import register_core_providers

    register_core_providers(app)
