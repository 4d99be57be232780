"""Browser security headers on every response.

The Content-Security-Policy allows scripts, styles, fonts and images from this site only: no inline
script, no inline style attribute, no framing (clickjacking), no plugins, forms posting only here.
Templates hold no inline script or style; coe.js does what inline handlers would.

Pages are not stored by the browser or any cache (``no-store``): nearly every page is someone's own,
and the back button on a shared computer after sign-out must show nothing. Static files are cached. HSTS is sent on HTTPS responses only: over plain
HTTP it would be ignored, and on a development machine it would pin localhost to HTTPS.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
# An SVG chart (served as an image) styles itself with its own <style> element, and needs nothing else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


# Pages whose address is itself a credential (a one-time password link, a private calendar feed):
# the browser must not repeat that address in a Referer header, not even to this site, where it
# would reach the access log with every stylesheet and script the page loads.
SECRET_ADDRESS_ENDPOINTS = frozenset({"auth.set_password"})
SECRET_ADDRESS_PREFIXES = ("/password/set/", "/calendar/")


def add_security_headers(response: Response) -> Response:
    svg = response.mimetype == "image/svg+xml"
    if request.endpoint in SECRET_ADDRESS_ENDPOINTS or request.path.startswith(SECRET_ADDRESS_PREFIXES):
        response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Content-Security-Policy", SVG_POLICY if svg else CONTENT_SECURITY_POLICY)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint not in ("static", "bootstrap.static"):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
