"""gunicorn settings for coe: ``gunicorn 'coe:create_app()'`` reads this file from the working folder.

Every value can be changed without editing the file, through the environment (see deploy/coe.env.example).
"""

import multiprocessing
import os

bind = os.environ.get("COE_BIND", "127.0.0.1:8000")
# Sync workers by default: requests are short and CPU-bound. Threads (gthread) help when requests wait
# on a remote PostgreSQL; each thread holds at most one pooled connection.
workers = int(os.environ.get("COE_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("COE_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("COE_WORKER_TIMEOUT", "60"))  # a worker silent this long is killed and replaced
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, at different moments, so that slow leaks never add up.
max_requests = int(os.environ.get("COE_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("COE_MAX_REQUESTS_JITTER", "500"))
# Build the app once in the master: workers fork from it, share its memory and start at once.
preload_app = True
forwarded_allow_ips = os.environ.get("COE_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = os.environ.get("COE_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("COE_LOG_LEVEL", "info").lower()
logger_class = "coe.serving.RedactingLogger"  # no sign-in link or feed secret in the access log
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'


def post_fork(server, worker):
    """A forked worker must not reuse the master's database connections: open its own."""
    from coe.extensions import db

    app = server.app.callable
    if app is not None:
        with app.app_context():
            db.engine.dispose(close=False)


def worker_exit(server, worker):
    """Write the document views this worker counted but has not written yet; then, if the worker is
    ending normally (recycled, or the server stopping), end its process at once (coe.serving.end_worker)."""
    from coe.extensions import db
    from coe.library.services import view_counter
    from coe.serving import end_worker

    app = server.app.callable
    if app is not None:
        with app.app_context():
            try:
                view_counter().flush()
            finally:
                db.session.remove()
            end_worker(worker)
