"""Background work of mentoring: reminders the day before a session, and expiring unanswered requests."""

from __future__ import annotations

import logging

from huey import crontab

from coe.extensions import db
from coe.tasks import huey, task_app

log = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="*/15"))
def remind_and_expire() -> None:
    """Remind both sides of tomorrow's sessions and expire week-old requests; each event is told once."""
    from coe.mentoring.services import expire_requests, send_reminders

    app = task_app()
    with app.app_context():
        try:
            reminded = send_reminders()
            expired = expire_requests()
            db.session.commit()
        finally:
            db.session.remove()
        if reminded or expired:
            log.info("Mentoring: %s session reminders, %s expired requests", reminded, expired)
