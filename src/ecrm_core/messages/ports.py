"""The outside world the messages area needs: a mail transport."""

from __future__ import annotations

from typing import Protocol

import attrs


@attrs.frozen
class Email:
    to: str
    subject: str
    body: str
    message_id: str = ""


class Mailer(Protocol):
    """Sends one e-mail; raises on failure so the queue retries."""

    @property
    def configured(self) -> bool: ...

    def send(self, email: Email) -> None: ...
