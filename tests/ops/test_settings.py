"""The production settings: connection pool from the environment, and secrets kept out of log lines."""

from __future__ import annotations

import datetime as dt
import logging

from coe.config import engine_options
from coe.logs import AccessLogger, redact


def test_the_pool_checks_connections_and_is_sized_from_the_environment():
    options = engine_options("postgresql+psycopg://coe@db/coe", {"COE_DB_POOL_SIZE": "12",
                                                                "COE_DB_MAX_OVERFLOW": "3"})
    assert options["pool_pre_ping"] is True
    assert (options["pool_size"], options["max_overflow"]) == (12, 3)
    assert options["connect_args"] == {"connect_timeout": 5}
    defaults = engine_options("sqlite:////srv/coe/coe.sqlite3", {})
    assert defaults["pool_pre_ping"] and defaults["pool_size"] == 5 and "connect_args" not in defaults


def test_secrets_in_addresses_are_redacted():
    assert redact("GET /password/set/Zx81-kq_secret?next=/ HTTP/1.1") == "GET /password/set/[redacted]?next=/ HTTP/1.1"
    assert redact("/calendar/person/42/feed-token.ics") == "/calendar/[redacted]"
    assert redact("/search?q=risk&token=abc&page=2") == "/search?q=risk&token=[redacted]&page=2"
    assert redact("/library/templates/risk-register") == "/library/templates/risk-register"


class _Config:
    """The few gunicorn settings its Logger reads."""

    access_log_format = '%(h)s "%(r)s" %(s)s "%(f)s"'
    errorlog = "-"
    accesslog = None
    loglevel = "info"
    logconfig = logconfig_dict = logconfig_json = syslog = None
    capture_output = False
    disable_redirect_access_to_syslog = False
    user = group = 0
    umask = 0
    syslog_addr = syslog_prefix = syslog_facility = None
    enable_stdio_inheritance = False
    dogstatsd_tags = ""
    statsd_host = None
    env = {}


class _Response:
    status = "200 OK"
    sent = 1234
    headers = []


def test_the_access_logger_redacts_the_request_line_path_and_referrer():
    logger = AccessLogger.__new__(AccessLogger)
    logger.cfg = _Config()
    logger.error_log = logging.getLogger("test.gunicorn.error")
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/password/set/abc123", "PATH_INFO": "/password/set/abc123",
               "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.9",
               "HTTP_REFERER": "https://coe.example.org/calendar/feed-9f8e.ics"}
    atoms = logger.atoms(_Response(), {"Referer": environ["HTTP_REFERER"]}, environ, dt.timedelta(milliseconds=12))
    line = _Config.access_log_format % atoms
    assert "abc123" not in line and "9f8e" not in line
    assert "/password/set/[redacted]" in line and "/calendar/[redacted]" in line
    assert "abc123" not in atoms["U"] and "9f8e" not in atoms["{referer}i"]
