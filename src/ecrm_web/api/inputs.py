"""Reading API requests: JSON bodies, ids in the path and query parameters.

Only parsing lives here (is it JSON, is it an object, is this a whole number); what a
value means and whether it is acceptable is the core's business (services validate the
``data`` dicts they are given and raise ``ValidationFailed`` with per-field messages)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import request

from ecrm_core.kernel.errors import ValidationFailed
from ecrm_core.kernel.fields import Fields
from ecrm_core.kernel.refs import ObjectRef

#: Longest free-text query parameter accepted (``q``).
MAX_QUERY_TEXT = 100
REF_RE = re.compile(r"^([a-z_]{1,32}):(.+)$")
KIND_RE = re.compile(r"^[a-z_]{1,32}$")
_SURROGATES = re.compile("[\ud800-\udfff]")


class BadBody(Exception):
    """The body is not a JSON object at all (answered 400, the field named ``body``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:20]}… is out of range")
    return number


def _check_text(value: Any, top_key: str, errors: dict[str, str]) -> None:
    """Reject lone surrogates (valid JSON escapes, but not text any database stores)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATES.search(item):
                errors.setdefault(top_key, "must be valid Unicode text")
                return
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body is an empty object."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(
            raw.decode("utf-8"), parse_constant=_no_constants, parse_float=_finite
        )
    except UnicodeDecodeError:
        raise BadBody("the body is not UTF-8 text") from None
    except RecursionError:
        raise BadBody("the body is nested too deeply") from None
    except ValueError as exc:
        raise BadBody(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadBody("the body must be a JSON object")
    errors: dict[str, str] = {}
    for key, value in data.items():
        _check_text(key, "body", errors)
        _check_text(value, key, errors)
    if errors:
        raise ValidationFailed(errors)
    return data


def require(data: dict[str, Any], *names: str) -> None:
    """Fields the API insists on even where a service treats them as optional (the
    ``version`` of a PATCH: every change names the version it was prepared against)."""
    missing = {n: "required" for n in names if data.get(n) in (None, "")}
    if missing:
        raise ValidationFailed(missing)


def path_id(value: str, name: str) -> int:
    """An id from the URL; anything but a whole number in range is a 422 naming it."""
    fields = Fields()
    number = fields.ident({name: value}, name, required=True)
    fields.check()
    return number


def path_kind(value: str) -> str:
    """A kind of object from the URL (``employee``); which kinds exist is the core's
    business (an unknown one is a 404 from the service)."""
    if not KIND_RE.match(value):
        raise ValidationFailed.single("kind", "a kind of object, e.g. employee")
    return value


def parse_ref(fields: Fields, data: dict[str, Any], name: str, *, required: bool) -> Any:
    """``kind:id`` (``department:3``) -> ObjectRef, or a message on ``fields``."""
    value = data.get(name)
    if value in (None, ""):
        if required:
            fields.errors[name] = "required"
        return None
    match = REF_RE.match(value) if isinstance(value, str) else None
    ident = fields.ident({name: match.group(2)}, name) if match else None
    if match is None or ident is None:
        fields.errors[name] = "must look like kind:id, e.g. department:3"
        return None
    return ObjectRef(match.group(1), ident)


class Query:
    """Query parameters, parsed with the same rules as the core's fields; ``check()``
    raises one ValidationFailed naming every bad parameter."""

    def __init__(self) -> None:
        self.fields = Fields()
        self.data = request.args.to_dict()

    def ident(self, name: str) -> int | None:
        return self.fields.ident(self.data, name)

    def flag(self, name: str) -> bool | None:
        if self.data.get(name) == "":
            return None
        return self.fields.flag(self.data, name)

    def text(self, name: str, max_len: int = MAX_QUERY_TEXT) -> str | None:
        value = self.fields.text(self.data, name, max_len=max_len)
        return value or None

    def ref(self, name: str, *, required: bool = False) -> ObjectRef | None:
        return parse_ref(self.fields, self.data, name, required=required)

    def number(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.data.get(name, "")
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            self.fields.errors[name] = f"must be a whole number from {lo} to {hi}"
            return default
        return value

    def check(self) -> None:
        self.fields.check()
