"""The company's working-days calendar (DEAL-4: normative durations are counted in
working days; reference data the administrator keeps).

A day is working when it is Monday–Friday and not marked a day off, or when it is
marked working (a Saturday made working by a transfer). ``WorkCalendar`` is the pure
value the rules read; ``CalendarDay`` is one marked day of the reference book.
New companies get the statutory holidays of the Labour Code (art. 112) for the current
and the next year; the transfers of each year's government decree are entered by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

import attrs

from ecrm_core.kernel.model import Aggregate, entity

CALENDAR_DAY = "calendar_day"
DEFAULT_ZONE = "Europe/Moscow"

#: The statutory non-working holidays (Labour Code, art. 112): (month, day).
STATUTORY_HOLIDAYS = ((1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 8),
                      (2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4))


@entity
class CalendarDay(Aggregate):
    """A day marked in the calendar: a day off on a weekday (a holiday) or a working day
    on a weekend (a transfer)."""

    kind: ClassVar[str] = CALENDAR_DAY

    day: date
    working: bool = False
    note: str = ""


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ValueError, KeyError):
        return ZoneInfo(DEFAULT_ZONE)


@attrs.frozen
class WorkCalendar:
    """Which days are working: Monday–Friday, except ``days_off``, plus ``working_days``."""

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    @classmethod
    def of(cls, marked: Iterable[CalendarDay]) -> WorkCalendar:
        marked = list(marked)
        return cls(frozenset(d.day for d in marked if not d.working),
                   frozenset(d.day for d in marked if d.working))

    def is_working(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def add_working_days(self, moment: datetime, days: int, tz: str | None) -> datetime:
        """The moment when ``days`` whole working days have passed since ``moment``:
        working time accrues only on working days (local to ``tz``), so Thursday 23:59 + 1
        is Friday 23:59 and Friday 10:00 + 1 is Monday 10:00 (or later, past holidays).
        Russian zones keep no daylight saving: local wall-clock arithmetic is exact."""
        local_zone = _zone(tz)
        cursor = moment.astimezone(local_zone).replace(tzinfo=None)
        remaining = timedelta(days=days)
        while remaining > timedelta(0):
            next_day = datetime.combine(cursor.date() + timedelta(days=1), time(0))
            if self.is_working(cursor.date()):
                if next_day - cursor >= remaining:
                    cursor += remaining
                    break
                remaining -= next_day - cursor
            cursor = next_day
        return cursor.replace(tzinfo=local_zone).astimezone(UTC)

    def working_time(self, start: datetime, end: datetime, tz: str | None) -> timedelta:
        """The working time between two moments (what a deal spent in a state, DEAL-4)."""
        if end <= start:
            return timedelta(0)
        local_zone = _zone(tz)
        cursor = start.astimezone(local_zone).replace(tzinfo=None)
        stop = end.astimezone(local_zone).replace(tzinfo=None)
        total = timedelta(0)
        while cursor < stop:
            next_day = min(datetime.combine(cursor.date() + timedelta(days=1), time(0)), stop)
            if self.is_working(cursor.date()):
                total += next_day - cursor
            cursor = next_day
        return total


#: Monday–Friday without holidays (tasks' working days, TASK-7).
WEEKDAYS = WorkCalendar()


def statutory_days(years: Iterable[int]) -> list[CalendarDay]:
    """The statutory holidays of ``years`` that fall on weekdays, as marked days."""
    found = []
    for year in years:
        for month, day in STATUTORY_HOLIDAYS:
            when = date(year, month, day)
            if when.weekday() < 5:
                found.append(CalendarDay(day=when, working=False, note="Праздник"))
    return found
