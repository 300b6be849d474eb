"""Sending mail: SMTP through aiosmtplib, or, with no server configured, a development outbox.

The outbox is a table (`mail_outbox`) that `chorus agentchassis outbox`
prints, so a `make run` user can read the codes a surface mails. Mail is
never logged: it carries codes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
from pydantic import BaseModel, Field
from sqlalchemy import insert, select

from server.platform.clock import Clock
from server.platform.errors import unavailable
from server.platform.storage.database import Database
from server.platform.storage.tables import MailOutboxRow

log = logging.getLogger("chorus.mail")


class SmtpSettings(BaseModel):
    """Where mail goes. No host: development mode, mail is kept in the outbox."""

    host: str = ""
    port: int = Field(default=587, ge=1, le=65535)
    username: str = ""
    password: str = ""
    # "starttls" (upgrade a plain connection), "tls" (implicit TLS, port 465) or "none".
    security: str = Field(default="starttls", pattern="^(starttls|tls|none)$")
    # Verify the server's certificate (turn off only for a local test server).
    verify_certificate: bool = True
    sender: str = "Agent Chassis <no-reply@localhost>"
    timeout: float = Field(default=10.0, gt=0)


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class StoredMail:
    seq: int
    to: str
    subject: str
    body: str
    created_at_ms: int


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


class SmtpMailer:
    def __init__(self, settings: SmtpSettings) -> None:
        self._s = settings

    async def send(self, mail: Mail) -> None:
        s = self._s
        message = EmailMessage()
        message["From"] = s.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.host,
                port=s.port,
                username=s.username or None,
                password=s.password or None,
                use_tls=s.security == "tls",
                start_tls=s.security == "starttls",
                validate_certs=s.verify_certificate,
                timeout=s.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The recipient and the reason, never the body (it carries a code).
            log.warning("mail to %s not sent: %s", mail.to, type(exc).__name__)
            raise unavailable("The mail server is unavailable; try again later") from None


class OutboxMailer:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def send(self, mail: Mail) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                insert(MailOutboxRow),
                {
                    "recipient": mail.to,
                    "subject": mail.subject,
                    "body": mail.body,
                    "created_at_ms": self._clock.now_ms(),
                },
            )


def mailer_for(settings: SmtpSettings, db: Database, clock: Clock) -> Mailer:
    return SmtpMailer(settings) if settings.host else OutboxMailer(db, clock)


async def outbox(db: Database, limit: int = 50) -> list[StoredMail]:
    """The newest `limit` kept mails, oldest first."""
    c = MailOutboxRow.__table__.c
    statement = select(c.seq, c.recipient, c.subject, c.body, c.created_at_ms).order_by(c.seq.desc()).limit(limit)
    rows = await db.fetch_all(statement)
    return [StoredMail(r[0], r[1], r[2], r[3], r[4]) for r in reversed(rows)]
