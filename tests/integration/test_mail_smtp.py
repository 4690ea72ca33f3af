"""The SMTP adapter (MSG-2) against a real SMTP server (aiosmtpd) started by the test:
UTF-8 subject and body, plain / STARTTLS / SSL, login, certificate checks, IDN domains.

``Mailbox`` / ``running_mailbox`` are reused by the queue tests (test_queue_*.py)."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from ecrm_adapters.mail.smtp import SmtpMailer, ascii_address
from ecrm_core.messages.ports import Email

IN_CI = os.environ.get("CI", "").lower() == "true"
USER, PASSWORD = "ecrm", "пароль-secret"  # smtplib alone cannot send a non-ASCII password
ASCII_USER, ASCII_PASSWORD = "mailer", "plain-secret"
ACCOUNTS = {USER: PASSWORD, ASCII_USER: ASCII_PASSWORD}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@attrs.frozen
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    login: str | None


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.received: list[Received] = []
        self._changed = threading.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        with self._changed:
            self.received.append(Received(
                mail_from=envelope.mail_from, rcpt_tos=tuple(envelope.rcpt_tos), raw=raw,
                message=email.message_from_bytes(raw, policy=email.policy.default), login=login,
            ))
            self._changed.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """At least ``count`` messages (waiting up to ``timeout`` s); all of them."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.received) >= count, timeout)
            got = list(self.received)
        assert len(got) >= count, f"expected {count} e-mails within {timeout}s, got {len(got)}"
        return got

    def smtp_settings(self) -> dict:
        """Settings overrides that point ECRM's mailer at this server."""
        return {"smtp_host": self.host, "smtp_port": self.port, "mail_from": "ecrm@example.com"}


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        ACCOUNTS.get(auth_data.login.decode()) == auth_data.password.decode()
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@contextmanager
def running_mailbox(ssl_context: ssl.SSLContext | None = None, **smtp_params) -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 and a free port, stopped on exit."""
    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname=box.host, port=box.port, ssl_context=ssl_context,
                            **smtp_params)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


# -- certificates for TLS ------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        if IN_CI:
            pytest.fail("CI needs the openssl command for the SMTP TLS tests")
        pytest.skip("SMTP TLS tests: the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return str(cert), str(key)


@pytest.fixture
def server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def client_tls(certificate) -> ssl.SSLContext:
    """Trusts the test certificate (and verifies it, host name included)."""
    return ssl.create_default_context(cafile=certificate[0])


# -- tests ---------------------------------------------------------------------------------

RUSSIAN = Email(
    to="anna@example.ru",
    subject="ECRM: Запрос на подтверждение",
    body="Подтвердите, пожалуйста, счёт № 5 для ООО «Ромашка».\n\nhttp://127.0.0.1:8000/me",
    message_id="<ecrm-message-5@ecrm>",
)


def test_a_russian_message_arrives_intact_over_plain_smtp():
    with running_mailbox() as box:
        SmtpMailer(box.host, box.port, sender="ECRM <ecrm@example.com>").send(RUSSIAN)
        [got] = box.wait_for(1)
    assert got.mail_from == "ecrm@example.com"
    assert got.rcpt_tos == ("anna@example.ru",)
    assert got.raw.isascii(), "headers and body travel 7-bit clean (RFC 2047 + base64)"
    msg = got.message
    assert msg["To"] == "anna@example.ru"
    assert msg["From"] == "ECRM <ecrm@example.com>"
    assert msg["Subject"] == "ECRM: Запрос на подтверждение"
    assert msg["Message-ID"] == "<ecrm-message-5@ecrm>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Date"]
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content() == RUSSIAN.body + "\n"


def test_starttls_with_login(server_tls, client_tls):
    with running_mailbox(tls_context=server_tls, require_starttls=True,
                         authenticator=_authenticate, auth_require_tls=True) as box:
        SmtpMailer(box.host, box.port, user=USER, password=PASSWORD, starttls=True,
                   tls_context=client_tls).send(RUSSIAN)
        [got] = box.wait_for(1)
    assert got.login == USER
    assert got.message["Subject"] == RUSSIAN.subject


def test_implicit_ssl_with_login(server_tls, client_tls):
    # aiosmtpd only counts STARTTLS as TLS for AUTH; this connection is TLS from the start.
    with running_mailbox(ssl_context=server_tls, authenticator=_authenticate,
                         auth_require_tls=False) as box:
        SmtpMailer(box.host, box.port, user=ASCII_USER, password=ASCII_PASSWORD, ssl=True,
                   tls_context=client_tls).send(RUSSIAN)
        [got] = box.wait_for(1)
    assert got.login == ASCII_USER
    assert got.message.get_content() == RUSSIAN.body + "\n"


def test_a_wrong_password_raises_and_sends_nothing(server_tls, client_tls):
    with running_mailbox(tls_context=server_tls, require_starttls=True,
                         authenticator=_authenticate, auth_require_tls=True) as box:
        for user, password in ((ASCII_USER, "wrong"), (USER, "неверный")):
            mailer = SmtpMailer(box.host, box.port, user=user, password=password,
                                starttls=True, tls_context=client_tls)
            with pytest.raises(smtplib.SMTPAuthenticationError):
                mailer.send(RUSSIAN)
        assert box.received == []


def test_an_untrusted_certificate_is_refused_by_default(server_tls):
    with running_mailbox(tls_context=server_tls, require_starttls=True) as box:
        mailer = SmtpMailer(box.host, box.port, starttls=True)  # system trust store
        with pytest.raises(ssl.SSLCertVerificationError):
            mailer.send(RUSSIAN)
        assert box.received == []


def test_starttls_demanded_but_not_offered_raises_instead_of_sending_in_clear():
    with running_mailbox() as box:
        with pytest.raises(smtplib.SMTPNotSupportedError):
            SmtpMailer(box.host, box.port, starttls=True).send(RUSSIAN)
        assert box.received == []


def test_an_internationalised_domain_is_sent_in_its_ascii_form():
    assert ascii_address("ivan@пример.рф") == "ivan@xn--e1afmkfd.xn--p1ai"
    assert ascii_address("ivan@example.ru") == "ivan@example.ru"
    with running_mailbox() as box:
        SmtpMailer(box.host, box.port).send(attrs.evolve(RUSSIAN, to="ivan@пример.рф"))
        [got] = box.wait_for(1)
    assert got.rcpt_tos == ("ivan@xn--e1afmkfd.xn--p1ai",)


def test_a_server_that_is_down_raises_so_the_queue_retries():
    with pytest.raises(OSError):
        SmtpMailer("127.0.0.1", free_port(), timeout=2).send(RUSSIAN)
