"""System messages (MSG-1): a notification, a request for confirmation (confirm, or
refuse with a reason) and a reminder to act."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar

import attrs

from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import Forbidden, ValidationFailed
from ecrm_core.kernel.events import DomainEvent, FieldChange, ObjectCreated
from ecrm_core.kernel.model import Aggregate, entity
from ecrm_core.kernel.refs import ObjectRef

MAX_TEXT = 4000
#: A refusal's reason is quoted in the notice to the requester, which is a message too.
MAX_REASON = 2000


class MessageKind(enum.StrEnum):
    NOTIFICATION = "notification"
    CONFIRMATION = "confirmation"
    REMINDER = "reminder"


class ConfirmationState(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"


@attrs.frozen(kw_only=True)
class MessageCreated(ObjectCreated):
    """Relayed to the queue: deliver the message by e-mail (MSG-2)."""

    relayed: ClassVar[bool] = True
    message_id: int
    recipient_id: int


@attrs.frozen(kw_only=True)
class ConfirmationAnswered(DomainEvent):
    message_id: int
    confirmed: bool
    action: str
    reason: str = ""


@entity
class Message(Aggregate):
    kind: ClassVar[str] = refs.MESSAGE

    message_kind: MessageKind
    recipient_id: int
    text: str
    sender_id: int | None = None
    subject_kind: str | None = None
    subject_id: int | None = None
    #: For a confirmation: the code of what confirming does (handled by the area that asked).
    action: str = ""
    state: ConfirmationState | None = None
    reason: str = ""
    reply_to_id: int | None = None
    created_at: datetime | None = None
    read_at: datetime | None = None
    answered_at: datetime | None = None
    emailed_at: datetime | None = None

    @property
    def subject(self) -> ObjectRef | None:
        if self.subject_kind and self.subject_id:
            return ObjectRef(self.subject_kind, self.subject_id)
        return None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    @property
    def awaits_answer(self) -> bool:
        return self.message_kind is MessageKind.CONFIRMATION and (
            self.state is ConfirmationState.PENDING
        )

    @staticmethod
    def clean_text(text: object) -> str:
        if not isinstance(text, str) or not text.strip():
            raise ValidationFailed.single("text", "required")
        if len(text) > MAX_TEXT:
            raise ValidationFailed.single("text", f"at most {MAX_TEXT} characters")
        if "\x00" in text:
            raise ValidationFailed.single("text", "must not contain NUL characters")
        return text.strip()

    def record_sent(self) -> None:
        self.record(
            MessageCreated(
                subject=self.ref,
                message_id=self.id,
                recipient_id=self.recipient_id,
                changes=(
                    FieldChange("message_kind", None, self.message_kind.value),
                    FieldChange("recipient_id", None, self.recipient_id),
                    FieldChange("text", None, self.text),
                ),
            )
        )

    def mark_read(self, at: datetime) -> bool:
        if self.read_at is not None:
            return False
        self.read_at = at  # reading is not a change worth a history row
        return True

    def answer(self, by: int, confirmed: bool, reason: str, at: datetime) -> None:
        if by != self.recipient_id:
            raise Forbidden("only the recipient may answer this request")
        if self.message_kind is not MessageKind.CONFIRMATION:
            raise ValidationFailed.single("message", "this message is not a confirmation request")
        if self.state is not ConfirmationState.PENDING:
            raise ValidationFailed.single("message", "this request has already been answered")
        reason = (reason or "").strip()
        if not confirmed and not reason:
            raise ValidationFailed.single("reason", "give a reason for the refusal")
        if len(reason) > MAX_REASON:
            raise ValidationFailed.single("reason", f"at most {MAX_REASON} characters")
        if "\x00" in reason:
            raise ValidationFailed.single("reason", "must not contain NUL characters")
        new_state = ConfirmationState.CONFIRMED if confirmed else ConfirmationState.REFUSED
        self.apply_changes(
            {"state": new_state, "reason": reason, "answered_at": at, "read_at": self.read_at or at}
        )
        self.record(
            ConfirmationAnswered(
                subject=self.ref, message_id=self.id, confirmed=confirmed,
                action=self.action, reason=reason,
            )
        )

    def mark_emailed(self, at: datetime) -> None:
        self.emailed_at = at

