"""gunicorn settings for coe: ``gunicorn 'coe:create_app()'`` reads this file from the working directory.

Every value can be changed through the environment (see deploy/coe.env.example):

COE_WEB_BIND           address to listen on (default 127.0.0.1:8000; behind a proxy on the same host)
COE_WEB_WORKERS        processes (default 2 x CPU cores + 1, at most 8)
COE_WEB_THREADS        threads per process (default 4; pages mostly wait on the database)
COE_WEB_TIMEOUT        seconds a request may take before its worker is replaced (default 60)
COE_WEB_MAX_REQUESTS   requests after which a worker is recycled, with 10 % jitter (default 2000; 0 = never)
COE_WEB_ACCESS_LOG     where the access log goes: "-" for stderr (default), a file path, or "off"
COE_WEB_PRELOAD        "true" to load the app once in the master before forking (less memory, slower reloads)
COE_WEB_CONTROL_SOCKET path of gunicorn's control socket for `gunicornc` (default: none)

Each worker holds its own database pool (COE_DB_POOL_SIZE + COE_DB_MAX_OVERFLOW connections): keep
workers x hosts x (pool size + overflow) below PostgreSQL's max_connections.
"""

from __future__ import annotations

import multiprocessing
import os

from coe.logs import AccessLogger


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("COE_WEB_BIND") or "127.0.0.1:8000"
workers = _int("COE_WEB_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
threads = _int("COE_WEB_THREADS", 4)
worker_class = "gthread"
# A request that takes longer than this is stuck: its worker is killed and replaced.
timeout = _int("COE_WEB_TIMEOUT", 60)
graceful_timeout = 30
# Idle keep-alive connections from the proxy in front.
keepalive = 5
# Recycle workers now and then (a slow leak in any library cannot grow without bound);
# the jitter keeps them from all restarting at the same moment.
max_requests = _int("COE_WEB_MAX_REQUESTS", 2000)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0
preload_app = (os.environ.get("COE_WEB_PRELOAD") or "false").lower() in {"1", "true", "yes"}

# The access log, without the secrets some addresses carry (see coe/logs.py).
logger_class = AccessLogger
_access_log = os.environ.get("COE_WEB_ACCESS_LOG", "-")
accesslog = None if _access_log.lower() == "off" else _access_log
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
errorlog = "-"
loglevel = (os.environ.get("COE_LOG_LEVEL") or "info").lower()
# gunicorn 25+ opens a control socket for `gunicornc`; one fixed default path would be shared by every
# instance on the host, so it is opt-in: COE_WEB_CONTROL_SOCKET=/run/coe/gunicorn.ctl.
control_socket = os.environ.get("COE_WEB_CONTROL_SOCKET") or "/run/coe/gunicorn.ctl"
control_socket_disable = not os.environ.get("COE_WEB_CONTROL_SOCKET")
# The client's address comes from X-Forwarded-For through the app's COE_TRUSTED_PROXIES.
forwarded_allow_ips = os.environ.get("COE_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    """A worker must not share the master's database connections: drop the pool it inherited.

    Only a preloaded app has an engine before the fork; without preloading each worker builds its
    own app (and pool) after the fork, and there is nothing to drop.
    """
    if not server.cfg.preload_app:
        return
    from coe.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        # close=False: the connections belong to the master; only forget them here.
        db.engine.dispose(close=False)
