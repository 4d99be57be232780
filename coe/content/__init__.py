"""The content pipeline every domain's files go through: read, validate all, write once, publish."""

from __future__ import annotations

from flask import Flask

from coe.registry import ContentSource, registry


def init_app(app: Flask) -> None:
    """Read the governance parameters and the tag vocabulary before the sources that use them."""
    from coe.content.governance import apply_governance, parse_governance

    registry(app).add_content_source(ContentSource("governance", 5, parse_governance, apply_governance))
