"""Mail: a message rendered in the request, sent by a background task through SMTP, sent once.

With no ``COE_SMTP_HOST`` nothing is sent, and the pages that would send a link show it instead.
Each message has a key; a task that is retried (or runs twice) skips the messages it has sent.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from datetime import datetime
from email.utils import make_msgid

from flask import Flask, current_app, render_template
from sqlalchemy import DateTime, String, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from coe.auth.models import utcnow
from coe.extensions import db
from coe.tasks import huey, task_app

log = logging.getLogger(__name__)


class SentMail(db.Model):
    """A message that went out, by its key: a retried task does not send it again."""

    __tablename__ = "sent_mail"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar; method=REQUEST"
    data: bytes


@dataclass(frozen=True)
class Mail:
    key: str  # unique per message: "invitation:42"; a key already sent is not sent again
    to: str
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    user: str | None
    password: str | None
    security: str  # starttls | ssl | none


def smtp_settings(app: Flask | None = None) -> SmtpSettings | None:
    """The SMTP server configured with COE_SMTP_*, or None when mail is off."""
    config = (app or current_app).config
    if not config.get("COE_SMTP_HOST"):
        return None
    return SmtpSettings(config["COE_SMTP_HOST"], int(config.get("COE_SMTP_PORT") or 587),
                        config.get("COE_SMTP_FROM") or "coe@localhost", config.get("COE_SMTP_USER") or None,
                        config.get("COE_SMTP_PASSWORD") or None, (config.get("COE_SMTP_SECURITY") or "starttls").lower())


def mail_enabled() -> bool:
    return smtp_settings() is not None


def render_mail(key: str, to: str, template: str, attachments: tuple[Attachment, ...] = (), **context) -> Mail:
    """Render ``templates/mail/<template>.txt``: its first line is the subject, the rest the text."""
    subject, _, text = render_template(f"mail/{template}.txt", **context).strip().partition("\n")
    return Mail(key, to, subject.removeprefix("Subject:").strip(), text.strip() + "\n", attachments)


def send(mails: list[Mail]) -> None:
    """Send the messages once the current transaction commits (one task for the lot); none if it rolls back.

    Nothing happens when mail is off. Queuing after the commit means a message never announces
    something that did not happen, and the task never waits on the request's own write lock.
    """
    if mails and mail_enabled():
        session = db.session()
        if not session.in_transaction():
            session.begin()  # so that a rollback, too, ends a transaction and empties the outbox
        outbox = session.info.setdefault(OUTBOX, [])
        outbox.extend(mail.__dict__ | {"attachments": [a.__dict__ for a in mail.attachments]} for mail in mails)


OUTBOX = "coe_outbox"


@event.listens_for(Session, "after_commit")
def _queue_after_commit(session: Session) -> None:
    messages = session.info.pop(OUTBOX, None)
    if messages:
        deliver_mails(messages)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(OUTBOX, None)


@huey.task(retries=5, retry_delay=60)
def deliver_mails(messages: list[dict]) -> None:
    """Send each message not sent yet, marking it sent; a failure is logged and the task retried later."""
    app = task_app()
    with app.app_context():
        settings = smtp_settings(app)
        if settings is None:
            return
        keys = [message["key"] for message in messages]
        already = set(db.session.scalars(select(SentMail.key).where(SentMail.key.in_(keys))))
        pending = [message for message in messages if message["key"] not in already]
        if not pending:
            return
        try:
            with _connect(settings) as smtp:
                for message in pending:
                    smtp.send_message(_message(settings, message))
                    db.session.add(SentMail(key=message["key"]))
                    try:
                        db.session.commit()
                    except IntegrityError:  # another worker sent it at the same moment
                        db.session.rollback()
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("Sending mail through %s:%s failed (%s); the task will try again", settings.host,
                        settings.port, exc)
            raise
        finally:
            db.session.remove()


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    # The name this host greets the server with; smtplib's default looks it up in DNS, which can stall.
    helo = socket.gethostname()
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, local_hostname=helo, timeout=30,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, local_hostname=helo, timeout=30)
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.user:
        smtp.login(settings.user, settings.password or "")
    return smtp


def _message(settings: SmtpSettings, message: dict) -> EmailMessage:
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = settings.sender, message["to"], message["subject"]
    email["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    email.set_content(message["text"])
    for attachment in message["attachments"]:
        maintype, _, subtype = attachment["content_type"].partition(";")[0].partition("/")
        email.add_attachment(attachment["data"], maintype=maintype, subtype=subtype, filename=attachment["filename"])
    return email
