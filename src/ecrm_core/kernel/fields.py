"""Parsing raw input (form fields, JSON) into values, collecting a message per bad field
so that one answer names every offending field (faces turn it into 422 / form errors)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ecrm_core.kernel.errors import ValidationFailed

#: Ids are 32-bit integers on every database (PostgreSQL INTEGER): larger ones name nothing.
MAX_ID = 2**31 - 1

#: The days a form may name: the next day, a week's lead and delays stay real dates.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class Fields:
    """Collects per-field messages so that one answer names every bad field."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def text(self, data: dict, name: str, *, required=False, max_len=255) -> Any:
        if name not in data:
            if required:
                self.errors[name] = "required"
            return None
        value = data[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.errors[name] = "must be text"
            return None
        value = value.strip()
        if required and not value:
            self.errors[name] = "required"
        elif len(value) > max_len:
            self.errors[name] = f"at most {max_len} characters"
        elif "\x00" in value:
            self.errors[name] = "must not contain NUL characters"
        elif not value.isascii() and _unstorable(value):
            self.errors[name] = "must be valid text (a lone UTF-16 surrogate was sent)"
        return value

    def ident(self, data: dict, name: str, *, required=False) -> Any:
        if name not in data or data[name] in (None, ""):
            if required:
                self.errors[name] = "required"
            return None
        value = data[name]
        number = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() \
                and len(value.strip()) < 20:  # "²".isdigit() too, but int() refuses it
            number = int(value.strip())
        elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            number = int(value)
        if number is None or number <= 0 or number > MAX_ID:
            self.errors[name] = "must be an id (a whole number)"
            return None
        return number

    def timezone(self, data: dict, name: str) -> Any:
        value = self.text(data, name, max_len=64)
        if not value:
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.errors[name] = "unknown time zone (e.g. Europe/Moscow)"
            return None
        return value

    def flag(self, data: dict, name: str) -> Any:
        if name not in data:
            return None
        value = data[name]
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "on", "yes", "y"):
            return True
        if isinstance(value, str) and value.lower() in ("0", "false", "off", "no", "n", ""):
            return False
        self.errors[name] = "must be true or false"
        return None

    def day(self, data: dict, name: str, *, required=False) -> date | None:
        """A date as 2026-03-31 (a date input) or 31.03.2026 (typed the Russian way),
        from ``FIRST_DAY`` to ``LAST_DAY``."""
        value = data.get(name)
        if not (isinstance(value, date) and not isinstance(value, datetime)):
            text = self.text(data, name, required=required, max_len=10)
            if not text:
                return None
            try:
                if "." in text:
                    day, month, year = (int(p) for p in text.split("."))
                    value = date(year, month, day)
                else:
                    value = date.fromisoformat(text)
            except ValueError:
                value = None
        if value is None or not FIRST_DAY <= value <= LAST_DAY:
            self.errors[name] = "a date like 2026-03-31"
            return None
        return value

    def time_of_day(self, data: dict, name: str) -> time | None:
        """A time like 14:30 (seconds dropped), or None when not given."""
        value = data.get(name)
        if isinstance(value, time):
            return value.replace(second=0, microsecond=0, tzinfo=None)
        text = self.text(data, name, max_len=8)
        if not text:
            return None
        try:
            parsed = time.fromisoformat(text)
        except ValueError:
            self.errors[name] = "a time like 14:30"
            return None
        return parsed.replace(second=0, microsecond=0, tzinfo=None)

    def whole(self, data: dict, name: str, *, upper: int) -> int | None:
        """A whole number from 0 to ``upper``, or None when not given."""
        value = data.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() \
                and len(value.strip()) < 10:
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= upper:
            self.errors[name] = f"a whole number from 0 to {upper}"
            return None
        return value

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def check_email(fields: Fields, name: str, value: str | None) -> str | None:
    if value and not EMAIL_RE.match(value):
        fields.errors[name] = "not a valid e-mail address"
    return value or None


def expected_version(data: dict) -> int | None:
    """The ``version`` a change was prepared against (optimistic locking), if given."""
    value = data.get("version")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed.single("version", "must be a whole number") from None


def page_number(page: Any) -> int:
    """A list page's number, 1 to 100,000."""
    try:
        number = int(page)
    except (TypeError, ValueError):
        raise ValidationFailed.single("page", "must be a whole number") from None
    if number < 1 or number > 100_000:
        raise ValidationFailed.single("page", "must be a whole number")
    return number


def _unstorable(value: str) -> bool:
    """A lone surrogate (JSON's "\\ud800" decodes to one): no database stores it as
    UTF-8 — refused by the field, not by a failed write."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
