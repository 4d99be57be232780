"""Background work on huey: mail now, reminders and expiries later.

SQLite storage under the instance folder by default, Redis when ``COE_REDIS_URL`` is set, so any
number of ``coe worker`` processes on any hosts share one queue; ``coe serve`` runs a consumer in
its own process; under test configuration tasks run at once, in the caller. A task receives plain
values and opens its own application context.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.consumer import Consumer
from huey.storage import RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

huey = Huey("coe", storage_class=SqliteStorage, filename=":memory:")
_apps: list[Flask] = []


def init_app(app: Flask) -> None:
    """Point the queue at this app's storage; run tasks at once under tests (COE_TASKS_IMMEDIATE)."""
    _apps[:] = [app]
    if app.config.get("COE_TASKS_IMMEDIATE", app.config.get("TESTING", False)):
        huey.immediate = True
        return
    huey.immediate = False
    redis_url = app.config.get("COE_REDIS_URL")
    if redis_url:
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": redis_url}
    else:
        path = Path(app.instance_path) / "tasks.sqlite3"
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": str(path)}
    huey.storage = huey.create_storage()


def task_app() -> Flask:
    """The app a task runs in: the caller's when it runs at once, else the one this process built."""
    if has_app_context():
        return current_app._get_current_object()
    if not _apps:
        raise RuntimeError("No app is configured for background tasks: build the app first (create_app).")
    return _apps[0]


class InProcessConsumer(Consumer):
    """A consumer that runs beside a web server: it leaves the process's signal handling to the server."""

    def _set_signal_handlers(self) -> None:
        pass


def start_in_process_consumer(workers: int = 1) -> InProcessConsumer:
    """Run a consumer in this process's threads (the demo server); return it so that it can be stopped."""
    consumer = InProcessConsumer(huey, workers=workers, worker_type="thread")
    consumer.start()
    return consumer

