"""The Mailer port over SMTP (smtplib): plain, STARTTLS or SSL, with optional login."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from ecrm_core.messages.ports import Email


class SmtpMailer:
    def __init__(self, host: str, port: int = 25, *, user: str = "", password: str = "",
                 starttls: bool = False, ssl: bool = False, sender: str = "ecrm@localhost",
                 timeout: float = 15.0) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.starttls = starttls
        self.ssl = ssl
        self.sender = sender
        self.timeout = timeout

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def send(self, email: Email) -> None:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = email.to
        msg["Subject"] = email.subject
        msg["Date"] = formatdate(localtime=False)
        if email.message_id:
            msg["Message-ID"] = email.message_id
        msg.set_content(email.body)
        client_cls = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        with client_cls(self.host, self.port, timeout=self.timeout) as client:
            if self.starttls and not self.ssl:
                client.starttls()
            if self.user:
                client.login(self.user, self.password)
            client.send_message(msg)


class NullMailer:
    """No SMTP configured: messages stay on the Messages tab only."""

    configured = False

    def send(self, email: Email) -> None:
        raise RuntimeError("mail is not configured")
