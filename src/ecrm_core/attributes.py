"""Attribute sets defined as data (PRD-1 "a configurable card", REQ-2 "service conditions
whose set depends on the service type", CON-1 "attributes per contract type").

A reference-book entry (a service kind, a contract type) carries a tuple of
``AttributeDef``s; an object of that kind or type stores its values as a plain mapping
``{code: value}``. ``parse_defs`` reads the definitions an administrator sends (naming
every bad part by its path: ``attributes[2].choices``), ``values`` checks the values a
user sends against them (naming every bad value by its code: ``conditions.ip_address``)
and returns them normalised (a phone as +7…, a date as ISO text, a number as text of a
Decimal), so storage and history hold plain JSON.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ecrm_core.kernel.errors import ValidationFailed
from ecrm_core.kernel.fields import EMAIL_RE, Fields

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_DEFS = 40
MAX_LABEL = 100
MAX_VALUE = 1000
MAX_CHOICES = 50


class AttributeType(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    FLAG = "flag"
    CHOICE = "choice"
    EMAIL = "email"
    PHONE = "phone"
    IP_ADDRESS = "ip_address"
    #: a Russian passport: series and number, "4510 123456"
    PASSPORT = "passport"


@attrs.frozen
class AttributeDef:
    code: str
    label: str
    type: AttributeType = AttributeType.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()


def dump_defs(defs: Sequence[AttributeDef]) -> list[dict[str, Any]]:
    return [{"code": d.code, "label": d.label, "type": d.type.value, "required": d.required,
             "choices": list(d.choices)} for d in defs]


def parse_defs(raw: Any, at: str = "attributes") -> tuple[AttributeDef, ...]:
    """Definitions from plain data; ValidationFailed naming every bad part."""
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list | tuple):
        raise ValidationFailed.single(at, "must be a list")
    errors: dict[str, str] = {}
    if len(raw) > MAX_DEFS:
        raise ValidationFailed.single(at, f"at most {MAX_DEFS} attributes")
    found: list[AttributeDef] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = f"{at}[{i}]"
        if not isinstance(item, dict):
            errors[path] = "must be an object"
            continue
        code = item.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            errors[f"{path}.code"] = (
                "Latin small letters, digits and underscores; starts with a letter")
            code = ""
        elif code in seen:
            errors[f"{path}.code"] = "this code is taken"
        seen.add(code)
        label = item.get("label")
        if not isinstance(label, str) or not label.strip():
            errors[f"{path}.label"] = "required"
            label = ""
        elif len(label.strip()) > MAX_LABEL:
            errors[f"{path}.label"] = f"at most {MAX_LABEL} characters"
        try:
            kind = AttributeType(item.get("type") or "text")
        except ValueError:
            errors[f"{path}.type"] = "one of: " + ", ".join(t.value for t in AttributeType)
            kind = AttributeType.TEXT
        required = item.get("required", False)
        if not isinstance(required, bool):
            errors[f"{path}.required"] = "must be true or false"
            required = False
        choices = item.get("choices") or ()
        if isinstance(choices, str):
            choices = [c for c in (p.strip() for p in choices.split(",")) if c]
        if not isinstance(choices, list | tuple) or not all(
                isinstance(c, str) and c.strip() and len(c) <= MAX_LABEL for c in choices) \
                or len(choices) > MAX_CHOICES:
            errors[f"{path}.choices"] = f"a list of up to {MAX_CHOICES} names"
            choices = ()
        choices = tuple(c.strip() for c in choices)
        if kind is AttributeType.CHOICE and not choices and f"{path}.choices" not in errors:
            errors[f"{path}.choices"] = "add at least one choice"
        if kind is not AttributeType.CHOICE and choices:
            errors[f"{path}.choices"] = "only a choice attribute has choices"
        found.append(AttributeDef(code, label.strip(), kind, required, choices))
    if errors:
        raise ValidationFailed(errors)
    return tuple(found)


PASSPORT_RE = re.compile(r"^(\d{2})\s?(\d{2})\s?(\d{6})$")


def _one(fields: Fields, d: AttributeDef, raw: Any, path: str) -> Any:
    from ecrm_core.counterparties.requisites import normalise_phone
    from ecrm_core.money import parse_decimal

    if d.type is AttributeType.FLAG:
        value = fields.flag({path: raw}, path)
        return bool(value)
    if d.type is AttributeType.DATE:
        day = fields.day({path: raw}, path)
        return day.isoformat() if day else None
    if d.type is AttributeType.NUMBER:
        try:
            number = parse_decimal(raw, 3)
        except ValueError as exc:
            fields.errors[path] = str(exc)
            return None
        return None if number is None else str(number)
    text = fields.text({path: raw}, path, max_len=MAX_VALUE)
    if not text:
        return None
    if d.type is AttributeType.CHOICE and text not in d.choices:
        fields.errors[path] = "one of: " + ", ".join(d.choices)
    elif d.type is AttributeType.EMAIL:
        if not EMAIL_RE.match(text):
            fields.errors[path] = "not a valid e-mail address"
        return text.lower()
    elif d.type is AttributeType.PHONE:
        phone = normalise_phone(text)
        if phone is None:
            fields.errors[path] = "not a phone number"
        return phone
    elif d.type is AttributeType.IP_ADDRESS:
        try:
            return str(ipaddress.ip_interface(text) if "/" in text else ipaddress.ip_address(text))
        except ValueError:
            fields.errors[path] = "an IP address like 192.0.2.10 (or 192.0.2.0/24)"
    elif d.type is AttributeType.PASSPORT:
        match = PASSPORT_RE.match(text)
        if not match:
            fields.errors[path] = "series and number like 4510 123456"
            return None
        return f"{match[1]}{match[2]} {match[3]}"
    return text


def values(fields: Fields, defs: Sequence[AttributeDef], raw: Any, at: str,
           current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The values ``raw`` gives for ``defs``, checked and normalised; a bad value's message
    goes under ``{at}.{code}``. Values for codes the definitions lack are refused; a
    value not given keeps ``current``'s."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        fields.errors[at] = "must be an object"
        return dict(current or {})
    known = {d.code for d in defs}
    for key in raw:
        if key not in known:
            fields.errors[f"{at}.{key}"] = "no such attribute"
    result: dict[str, Any] = {}
    for d in defs:
        path = f"{at}.{d.code}"
        value = _one(fields, d, raw[d.code], path) if d.code in raw \
            else (current or {}).get(d.code)
        if d.required and value in (None, "", False) and d.type is not AttributeType.FLAG \
                and path not in fields.errors:
            fields.errors[path] = "required"
        if value not in (None, ""):
            result[d.code] = value
    return result
