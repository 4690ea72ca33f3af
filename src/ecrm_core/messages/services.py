"""Use cases of system messages (MSG-1, MSG-2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecrm_core.access.services import policy_for
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.fields import Fields
from ecrm_core.kernel.model import HandledMessage
from ecrm_core.kernel.ports import Clock
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory
from ecrm_core.messages.client_mail import client_email
from ecrm_core.messages.model import ConfirmationState, Message, MessageKind
from ecrm_core.messages.ports import Email, Mailer

#: action code -> what happens in the asking area when a request is answered.
#: Called inside the answering unit of work: ``handler(uow, message, confirmed)``.
ConfirmationHandler = Callable[[UnitOfWork, Message, bool], None]

PAGE = 20


def post(
    uow: UnitOfWork,
    clock: Clock,
    *,
    kind: MessageKind,
    recipient_id: int,
    text: str,
    sender_id: int | None = None,
    subject: ObjectRef | None = None,
    action: str = "",
    reply_to_id: int | None = None,
) -> Message:
    """Put a message in an employee's Messages tab inside the caller's unit of work.
    Other areas call this to notify, ask for confirmation or remind."""
    message = uow.messages.add(
        Message(
            message_kind=kind,
            recipient_id=recipient_id,
            sender_id=sender_id,
            text=Message.clean_text(text),
            subject_kind=subject.kind if subject else None,
            subject_id=subject.id if subject else None,
            action=action,
            state=ConfirmationState.PENDING if kind is MessageKind.CONFIRMATION else None,
            reply_to_id=reply_to_id,
            created_at=clock.now(),
        )
    )
    message.record_sent()
    return message


class MessageService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        mailer: Mailer,
        confirmation_handlers: dict[str, ConfirmationHandler] | None = None,
        base_url: str = "",
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.mailer = mailer
        self.handlers: dict[str, ConfirmationHandler] = dict(confirmation_handlers or {})
        self.base_url = base_url.rstrip("/")

    def on_confirmation(self, action: str, handler: ConfirmationHandler) -> None:
        self.handlers[action] = handler

    # -- sending --------------------------------------------------------------------

    def send(self, actor_id: int, data: dict[str, Any]) -> Message:
        """An employee sends a colleague a notification, a reminder or a request for
        confirmation."""
        fields = Fields()
        recipient_id = fields.ident(data, "recipient_id", required=True)
        kind_text = fields.text(data, "kind") or MessageKind.NOTIFICATION.value
        try:
            kind = MessageKind(kind_text)
        except ValueError:
            fields.errors["kind"] = f"one of: {', '.join(k.value for k in MessageKind)}"
        text = data.get("text")
        try:
            text = Message.clean_text(text)
        except ValidationFailed as exc:
            fields.errors.update(exc.errors)
        fields.check()
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            recipient = uow.employees.get(recipient_id)
            if recipient is None or not recipient.active:
                raise ValidationFailed.single("recipient_id", "no such active employee")
            message = post(uow, self.clock, kind=kind, recipient_id=recipient_id, text=text,
                           sender_id=actor_id)
            uow.commit()
            return message

    def request_confirmation(
        self, actor_id: int, recipient_id: int, text: str, *, subject: ObjectRef | None = None,
        action: str = "",
    ) -> Message:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            if uow.employees.get(recipient_id) is None:
                raise ValidationFailed.single("recipient_id", "no such employee")
            message = post(uow, self.clock, kind=MessageKind.CONFIRMATION,
                           recipient_id=recipient_id, text=text, sender_id=actor_id,
                           subject=subject, action=action)
            uow.commit()
            return message

    # -- reading --------------------------------------------------------------------

    def inbox(
        self, actor_id: int, *, unread_only=False, after_id: int | None = None,
        page: int = 1, per_page: int = PAGE,
    ) -> list[Message]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            filters: dict[str, Any] = {"recipient_id": actor_id}
            if unread_only:
                filters["read_at"] = None
            if after_id:
                filters["id__gt"] = after_id
            page = max(1, int(page))
            per_page = min(max(1, int(per_page)), 200)
            return uow.messages.list(order_by=("-id",), limit=per_page,
                                     offset=(page - 1) * per_page, **filters)

    def unread_count(self, actor_id: int) -> int:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.messages.count(recipient_id=actor_id, read_at=None)

    def summary(self, actor_id: int) -> tuple[int, int]:
        """For the navigation panel: unread messages and the newest message's id."""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            newest = uow.messages.list(recipient_id=actor_id, order_by=("-id",), limit=1)
            unread = uow.messages.count(recipient_id=actor_id, read_at=None)
            return unread, (newest[0].id if newest else 0)

    def total(self, actor_id: int) -> int:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.messages.count(recipient_id=actor_id)

    def get(self, actor_id: int, message_id: int) -> Message:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return self._own(uow, actor_id, message_id)

    def _own(self, uow: UnitOfWork, actor_id: int, message_id: int) -> Message:
        message = uow.messages.get(message_id)
        if message is None:
            raise NotFound(refs.MESSAGE, message_id)
        if message.recipient_id != actor_id:
            raise Forbidden("this message is addressed to someone else")
        return message

    def mark_read(self, actor_id: int, message_id: int) -> Message:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            message = self._own(uow, actor_id, message_id)
            if message.mark_read(self.clock.now()):
                uow.commit()
            return message

    # -- answering a confirmation request ---------------------------------------------

    def answer(self, actor_id: int, message_id: int, confirmed: bool, reason: str = "") -> Message:
        """Confirm, or refuse with a reason; the requester is told the outcome, and the
        area that asked reacts through its confirmation handler — all in one commit."""
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            message = self._own(uow, actor_id, message_id)
            message.answer(actor_id, confirmed, reason if isinstance(reason, str) else "",
                           self.clock.now())
            handler = self.handlers.get(message.action.split(":", 1)[0]) if message.action else None
            if handler is not None:
                handler(uow, message, confirmed)
            if message.sender_id:
                me = uow.employees.get(actor_id)
                outcome = "подтвердил(а)" if confirmed else "отказал(а)"
                quoted = message.text if len(message.text) <= 300 else message.text[:300] + "…"
                text = f"{me.full_name} {outcome}: «{quoted}»"
                if not confirmed:
                    text += f". Причина: {message.reason}"
                post(uow, self.clock, kind=MessageKind.NOTIFICATION,
                     recipient_id=message.sender_id, text=text, sender_id=actor_id,
                     subject=message.subject, reply_to_id=message.id)
            uow.commit()
            return message

    # -- delivery by e-mail (run by the queue) ----------------------------------------

    def deliver_by_email(self, message_id: int, delivery_key: str) -> bool:
        """Send one message to its recipient's e-mail. Idempotent: a delivery key (the
        queue message id) handled before, or a message already e-mailed, has no effect.
        Returns whether an e-mail went out.

        The key is claimed in one short transaction, the e-mail is sent outside any
        transaction (an SMTP exchange must not hold SQLite's write lock), and a failed
        send gives the claim back so that the queue's retry sends it."""
        with self.uow_factory() as uow:
            if uow.handled_messages.first(key=delivery_key) is not None:
                return False
            # A second worker claiming the same key at the same moment fails here.
            try:
                uow.handled_messages.add(
                    HandledMessage(key=delivery_key, handled_at=self.clock.now())
                )
            except Conflict:
                return False
            message = uow.messages.get(message_id)
            recipient = uow.employees.get(message.recipient_id) if message else None
            email = None
            if (
                message is not None and message.emailed_at is None and recipient is not None
                and recipient.active and recipient.email and self.mailer.configured
            ):
                email = self._email_for(message, recipient.email)
            uow.commit()
        if email is None:
            return False
        try:
            self.mailer.send(email)
        except Exception:
            with self.uow_factory() as uow:
                claim = uow.handled_messages.first(key=delivery_key)
                if claim is not None:
                    uow.handled_messages.delete(claim)
                    uow.commit()
            raise
        with self.uow_factory() as uow:
            uow.messages.get(message_id).mark_emailed(self.clock.now())
            uow.commit()
        return True

    def email_client(self, to: str, template: str, text: str, delivery_key: str) -> bool:
        """Send a client the e-mail a state's ``EmailClient`` action asked for (AUTO-1,
        MAIL-6; the relayed ``ClientEmailRequested``): ``template`` of
        ``client_mail.TEMPLATES`` about the object titled ``text``. Idempotent like
        ``deliver_by_email``: the delivery key is claimed in one short transaction, the
        e-mail sent outside it, and a failed send gives the claim back for the queue's
        retry. Returns whether an e-mail went out."""
        with self.uow_factory() as uow:
            if uow.handled_messages.first(key=delivery_key) is not None:
                return False
            try:
                uow.handled_messages.add(
                    HandledMessage(key=delivery_key, handled_at=self.clock.now())
                )
            except Conflict:
                return False
            company = uow.company.first()
            signature = company.name if company else ""
            uow.commit()
        address = to.strip() if isinstance(to, str) else ""
        if not address or not self.mailer.configured:
            return False
        email = client_email(address, str(template or ""), str(text or ""), signature,
                             message_id=f"<ecrm-client-{delivery_key.replace(':', '-')}@ecrm>")
        try:
            self.mailer.send(email)
        except Exception:
            with self.uow_factory() as uow:
                claim = uow.handled_messages.first(key=delivery_key)
                if claim is not None:
                    uow.handled_messages.delete(claim)
                    uow.commit()
            raise
        return True

    def _email_for(self, message: Message, address: str) -> Email:
        titles = {
            MessageKind.NOTIFICATION: "Уведомление",
            MessageKind.CONFIRMATION: "Запрос на подтверждение",
            MessageKind.REMINDER: "Напоминание",
        }
        body = message.text
        if self.base_url:
            body += f"\n\n{self.base_url}/me/messages/{message.id}"
        return Email(to=address, subject=f"ECRM: {titles[message.message_kind]}", body=body,
                     message_id=f"<ecrm-message-{message.id}@ecrm>")
