"""Presenting core objects: names behind ids, history values, department trees.
Nothing here decides anything; it only turns what services returned into text."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_date, format_datetime, format_number
from flask_babel import gettext as _

from ecrm_core.kernel.refs import ObjectRef
from ecrm_web.ui import texts
from ecrm_web.ui.common import actor, core

#: History fields whose values are ids of other objects.
ID_FIELDS = {
    "head_id": "employee",
    "employee_id": "employee",
    "recipient_id": "employee",
    "sender_id": "employee",
    "department_id": "department",
    "parent_id": "department",
    "project_id": "project",
    "service_type_id": "service_type",
}


def fmt_dt(value: object, fmt: str = "short") -> str:
    if not isinstance(value, datetime):
        if isinstance(value, str) and value:
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return value
        else:
            return "—"
    return format_datetime(value, fmt)


def fmt_due(task: object) -> str:
    """A task's due day and time as its responsible employee set them (their local
    time), e.g. «31.03.2026 14:30»; a task without a time shows the day only."""
    day = getattr(task, "due_date", None)
    if day is None:
        return "—"
    clock = getattr(task, "due_time", None)
    text = format_date(day, "short")
    return f"{text} {clock.strftime('%H:%M')}" if clock else text


def fmt_number(value: object) -> str:
    return format_number(value) if isinstance(value, int | float) else str(value)



class Names:
    """Names of employees, departments, projects and service types by id, loaded once
    per page and only when asked for."""

    def __init__(self) -> None:
        self._maps: dict[str, dict[int, str]] = {}

    def _load(self, kind: str) -> dict[int, str]:
        if kind not in self._maps:
            org = core().org
            if kind == "employee":
                rows = {e.id: e.full_name for e in org.employees(actor())}
            elif kind == "department":
                rows = {d.id: d.name for d in org.departments(actor())}
            elif kind == "project":
                rows = {p.id: p.name for p in org.projects(actor())}
            elif kind == "service_type":
                rows = {t.id: t.name for t in org.service_types(actor())}
            elif kind == "company":
                company = org.company()
                rows = {company.id: company.name} if company else {}
            else:
                rows = {}
            self._maps[kind] = rows
        return self._maps[kind]

    def of(self, kind: str, ident: object) -> str:
        if ident in (None, ""):
            return "—"
        try:
            key = int(ident)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(ident)
        return self._load(kind).get(key, f"#{key}")

    def ref(self, ref: ObjectRef) -> str:
        return f"{texts.label(texts.KIND_LABELS, ref.kind)} «{self.of(ref.kind, ref.id)}»"

    def field_label(self, field: str) -> str:
        """A history row's field name (areas' names classes add their own)."""
        return texts.label(texts.FIELD_LABELS, field)

    def history_value(self, field: str, value: object, entry_kind: str = "") -> str:
        if value is None or value == "":
            return "—"
        if field in ID_FIELDS:
            return self.of(ID_FIELDS[field], value)
        if field in ("owner_id", "scope_id"):
            return f"#{value}"
        if field in ("owner_kind", "scope_kind"):
            return texts.label(texts.KIND_LABELS, value)
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if field == "role":
            return texts.label(texts.ROLE_LABELS, value)
        if field == "state":
            return texts.label({**texts.SERVICE_STATES, **texts.CONFIRMATION_STATES}, value)
        if field == "message_kind":
            return texts.label(texts.MESSAGE_KINDS, value)
        if field == "locale":
            return {"ru": "Русский", "en": "English"}.get(str(value), str(value))
        if field.endswith("_at") and isinstance(value, str):
            return fmt_dt(value)
        return str(value)


def department_tree(departments) -> list[tuple[int, object]]:
    """(depth, department) in tree order: each department followed by its children."""
    by_parent: dict[int | None, list] = {}
    ids = {d.id for d in departments}
    for dep in departments:
        parent = dep.parent_id if dep.parent_id in ids else None
        by_parent.setdefault(parent, []).append(dep)
    out: list[tuple[int, object]] = []
    seen: set[int] = set()

    def walk(parent, depth):
        for dep in by_parent.get(parent, []):
            if dep.id in seen:
                continue
            seen.add(dep.id)
            out.append((depth, dep))
            walk(dep.id, depth + 1)

    walk(None, 0)
    for dep in departments:  # anything left (a cycle cannot happen, but never lose rows)
        if dep.id not in seen:
            out.append((0, dep))
    return out


TIMEZONES = (
    "Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg",
    "Asia/Omsk", "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk",
    "Asia/Vladivostok", "Asia/Magadan", "Asia/Kamchatka", "UTC",
)
