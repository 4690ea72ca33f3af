"""Helpers every reference book's use cases share (price types, service kinds, contract
types, …): a code given once and never changed, a required name, and saving a new or
edited entry with its history."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ecrm_core.kernel.fields import Fields

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CODE_MESSAGE = "Latin small letters, digits and underscores; starts with a letter"


def book_code(fields: Fields, data: dict, repo, current) -> str | None:
    """A new entry's code (unique in ``repo``); an edited entry keeps its own."""
    if current is not None:
        if "code" in data and data["code"] != current.code:
            fields.errors["code"] = "a code cannot be changed"
        return current.code
    code = fields.text(data, "code", required=True, max_len=40)
    if code and not CODE_RE.match(code):
        fields.errors["code"] = CODE_MESSAGE
    elif code and repo.first(code=code) is not None:
        fields.errors["code"] = "this code is taken"
    return code


def book_name(fields: Fields, data: dict, current, max_len: int = 200) -> str | None:
    if current is not None and "name" not in data:
        return current.name
    return fields.text(data, "name", required=True, max_len=max_len)


def save_entry(repo, current, make, values: dict[str, Any], fields: Sequence[str]):
    """Add a new entry (``make(**values)``) or apply ``values`` to ``current`` (an edited
    entry's code is left out); either way history records what changed."""
    if current is None:
        obj = repo.add(make(**values))
        obj.record_created(fields)
        return obj
    values = {k: v for k, v in values.items() if k != "code"}
    current.apply_changes(values)
    return current
