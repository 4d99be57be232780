"""Browser security headers: CSP without inline script, no framing, no caching of pages, HSTS on HTTPS."""

from __future__ import annotations

import re
import sys

import pytest

from coe.security import CONTENT_SECURITY_POLICY

PAGES = ["/", "/library", "/library/templates/risk-register", "/search?q=risk", "/competencies", "/me/competencies",
         "/account", "/library/governance"]


def _policy(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in header.split("; ")}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_the_security_headers_and_is_not_stored(pm_client, path):
    response = pm_client.get(path)
    assert response.status_code == 200
    policy = _policy(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: HSTS would be ignored


@pytest.mark.parametrize("path", PAGES)
def test_pages_hold_no_inline_script_style_or_handler(pm_client, path):
    html = pm_client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> would be blocked by the CSP"
    assert not re.search(r"<style\b", html)
    assert not re.search(r"\sstyle\s*=", html), "a style attribute would be blocked by the CSP"
    assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler would be blocked by the CSP"
    assert "javascript:" not in html


def test_the_login_page_and_errors_carry_them_too(client):
    for path, status in (("/login", 200), ("/no-such-page", 404)):
        response = client.get(path)
        assert response.status_code == status
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/coe.css")
    response.close()
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"


def test_https_responses_carry_hsts(pm_client):
    response = pm_client.get("/", base_url="https://coe.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_radar_chart_gets_a_policy_of_its_own(pm_client):
    response = pm_client.get("/me/competencies")
    chart = re.search(r'src="(/me/competencies/radar[^"]*)"', response.get_data(as_text=True))
    assert chart, "the competency page shows a radar chart"
    svg = pm_client.get(chart.group(1).replace("&amp;", "&"))
    assert svg.mimetype == "image/svg+xml"
    policy = _policy(svg.headers["Content-Security-Policy"])
    assert policy["default-src"] == "'none'" and "script-src" not in policy


def test_the_access_log_never_shows_a_secret_address_even_as_a_referrer():
    from coe.serving import redact

    secret = "Xy7kQ2mN9pLr4TbV8wZc3HdF"
    assert secret not in redact(f"https://coe.example.org/password/set/{secret}")
    assert secret not in redact(f"GET /calendar/{secret}/feed.ics HTTP/1.1")
    assert secret not in redact(f"/mentoring/feed?token={secret}")
    assert redact("/library/templates/stakeholder-engagement-plan") == "/library/templates/stakeholder-engagement-plan"


def test_the_access_logger_redacts_every_address_field():
    """The line gunicorn writes, with every field that can hold an address, names no secret."""
    import logging
    from types import SimpleNamespace

    from coe.serving import RedactingLogger

    secret = "Xy7kQ2mN9pLr4TbV8wZc3HdF"
    fields = "%(h)s %(r)s %(U)s %(q)s %(f)s %({referer}i)s %({http_referer}e)s %({raw_uri}e)s"
    logger = RedactingLogger(SimpleNamespace(
        loglevel="info", errorlog="-", accesslog="-", syslog=False, logconfig=None, logconfig_dict=None,
        logconfig_json=None, capture_output=False, user=0, group=0, access_log_format=fields,
        disable_redirect_access_to_syslog=False, umask=0, tmp_upload_dir=None, dogstatsd_tags="",
        statsd_host=None, statsd_prefix="", env={}))
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger.access_log.addHandler(Keep())
    path = f"/calendar/{secret}.ics"
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"{path}?token={secret}", "PATH_INFO": path,
               "QUERY_STRING": f"token={secret}", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": f"https://coe.example.org/password/set/{secret}"}
    request = SimpleNamespace(headers=[("REFERER", f"https://coe.example.org/password/set/{secret}")],
                              method="GET", path=path, query=f"token={secret}", version=(1, 1),
                              uri=f"{path}?token={secret}")
    response = SimpleNamespace(status="200 OK", sent=10, headers=[], response_length=10)
    logger.access(response, request, environ, __import__("datetime").timedelta(milliseconds=3))
    assert len(lines) == 1
    assert secret not in lines[0]
    assert lines[0].count("[redacted]") >= 6, lines[0]
    assert "/calendar/[redacted]" in lines[0] and "/password/set/[redacted]" in lines[0]


@pytest.mark.parametrize("booted, code", [(False, 0), (True, 3), (True, 1)])
def test_a_worker_leaving_with_an_error_or_before_booting_keeps_gunicorns_exit_status(app, booted, code):
    """end_worker ends the process only for a booted worker leaving with status 0; otherwise gunicorn's
    own exit status (which its master reads, to stop restarting a worker that cannot boot) stands."""
    from types import SimpleNamespace

    from coe.serving import end_worker

    with pytest.raises(SystemExit) as leaving, app.app_context():
        try:
            sys.exit(code)
        finally:
            end_worker(SimpleNamespace(booted=booted))  # returns: the process is still here
    assert leaving.value.code == code
