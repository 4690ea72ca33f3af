"""The Mailer port over SMTP (smtplib): plain, STARTTLS or SSL, with optional login.

Messages are UTF-8: a Russian subject is RFC 2047-encoded, a non-ASCII body is sent
base64-encoded (so no 8BITMIME support is needed on the server), and an internationalised
domain in the recipient's address is converted to its ASCII (IDNA) form. TLS
certificates are verified against the system's trust store (``SSL_CERT_FILE`` points
OpenSSL at another bundle) unless a ``tls_context`` is given.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from ecrm_core.messages.ports import Email


def ascii_address(address: str) -> str:
    """``user@пример.рф`` -> ``user@xn--e1afmkfd.xn--p1ai``. A non-ASCII local part is
    left alone (it needs a server with SMTPUTF8, which smtplib then asks for)."""
    local, at, domain = address.strip().rpartition("@")
    if not at or domain.isascii():
        return address.strip()
    return f"{local}@{domain.encode('idna').decode('ascii')}"


class SmtpMailer:
    def __init__(self, host: str, port: int = 25, *, user: str = "", password: str = "",
                 starttls: bool = False, ssl: bool = False, sender: str = "ecrm@localhost",
                 timeout: float = 15.0, tls_context: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.starttls = starttls
        self.ssl = ssl
        self.sender = sender
        self.timeout = timeout
        self.tls_context = tls_context

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def compose(self, email: Email) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ascii_address(email.to)
        msg["Subject"] = email.subject
        msg["Date"] = formatdate(usegmt=True)
        if email.message_id:
            msg["Message-ID"] = email.message_id
        # RFC 3834: a robot wrote this; auto-responders should not answer it.
        msg["Auto-Submitted"] = "auto-generated"
        body = email.body if email.body.endswith("\n") else email.body + "\n"
        if body.isascii():
            msg.set_content(body)
        else:
            msg.set_content(body, charset="utf-8", cte="base64")
        return msg

    def send(self, email: Email) -> None:
        """Send one e-mail; raises (smtplib.SMTPException, OSError) when it cannot, so
        the queue retries."""
        msg = self.compose(email)
        context = self.tls_context or ssl.create_default_context()
        if self.ssl:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.starttls and not self.ssl:
                client.starttls(context=context)
            if self.user:
                login(client, self.user, self.password)
            client.send_message(msg)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def login(client: smtplib.SMTP, user: str, password: str) -> None:
    """``client.login``, except that non-ASCII credentials (a Russian password) work:
    smtplib encodes them as ASCII and fails, while SASL PLAIN (RFC 4616) and LOGIN carry
    UTF-8."""
    if user.isascii() and password.isascii():
        client.login(user, password)
        return
    client.ehlo_or_helo_if_needed()
    if not client.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    methods = client.esmtp_features["auth"].upper().split()
    if "PLAIN" in methods:
        code, reply = client.docmd("AUTH", "PLAIN " + _b64(f"\0{user}\0{password}"))
    elif "LOGIN" in methods:
        code, reply = client.docmd("AUTH", "LOGIN " + _b64(user))
        if code == 334:
            code, reply = client.docmd(_b64(password))
    else:
        raise smtplib.SMTPException("No suitable authentication method found.")
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, reply)


class NullMailer:
    """No SMTP configured: messages stay on the Messages tab only."""

    configured = False

    def send(self, email: Email) -> None:
        raise RuntimeError("mail is not configured")
