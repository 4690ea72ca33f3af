"""The e-mails a client gets when its request or invoice enters a state with the on-enter
action ``EmailClient`` (AUTO-1, MAIL-6): a small built-in set of templates, by code.

The workflow's ``Mover`` records ``ClientEmailRequested(to, template, text)`` with the
object's title as ``text`` ("Счёт № 12 от 01.12.2026"); the queue relays it and
``MessageService.email_client`` sends what ``client_email`` makes of it. An unknown
template code still sends a plain letter naming the object. Texts are Russian (what the
client reads), like the reference data.
"""

from __future__ import annotations

import re

import attrs

from ecrm_core.messages.ports import Email

#: The longest title a subject line carries (the body has it whole).
MAX_SUBJECT_TITLE = 150


@attrs.frozen
class Template:
    subject: str
    body: str


#: template code -> subject and body; ``{title}`` is the object's title.
TEMPLATES: dict[str, Template] = {
    "request_state": Template(
        subject="{title}: состояние изменилось",
        body="Здравствуйте!\n\nСостояние вашей заявки изменилось: {title}.\n"
             "Если у вас есть вопросы, ответьте на это письмо или позвоните нам."),
    "invoice_issued": Template(
        subject="Выставлен {title_lower}",
        body="Здравствуйте!\n\nВам выставлен {title_lower}.\n"
             "Просим оплатить его в срок. Если у вас есть вопросы по счёту, ответьте на "
             "это письмо."),
    "invoice_paid": Template(
        subject="{title}: оплата получена",
        body="Здравствуйте!\n\nБлагодарим вас: оплата по документу «{title}» получена "
             "полностью."),
}
PLAIN = Template(subject="{title}", body="Здравствуйте!\n\n{title}.")
SPACES = re.compile(r"\s+")


def _one_line(text: str) -> str:
    return SPACES.sub(" ", text).strip()


def client_email(to: str, template: str, title: str, company_name: str = "",
                 message_id: str = "") -> Email:
    """The letter for ``template`` about the object titled ``title``, signed by the
    company."""
    chosen = TEMPLATES.get(template, PLAIN)
    title = _one_line(title) or "Уведомление"
    short = title if len(title) <= MAX_SUBJECT_TITLE else title[:MAX_SUBJECT_TITLE - 1] + "…"
    lower = title[:1].lower() + title[1:]
    subject = chosen.subject.format(title=short, title_lower=short[:1].lower() + short[1:])
    body = chosen.body.format(title=title, title_lower=lower)
    if company_name:
        body += f"\n\nС уважением,\n{company_name}"
        subject = f"{subject} — {_one_line(company_name)}"
    return Email(to=to, subject=subject, body=body, message_id=message_id)


__all__ = ["PLAIN", "TEMPLATES", "Template", "client_email"]
