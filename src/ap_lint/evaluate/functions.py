"""Generic helper functions that rules may call from CEL.

Dates are ISO ``YYYY-MM-DD`` strings (as the loader produces them) and times
``HH:MM`` strings. Nothing here knows about any particular register: these are
calendar and timetable arithmetic, documented for rule authors in docs/rules.md.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def days_between(start: str, end: str) -> int:
    """Days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (_date(end) - _date(start)).days


def add_days(day: str, count: int) -> str:
    """The date ``count`` days after ``day`` (before, when negative)."""
    return (_date(day) + datetime.timedelta(days=count)).isoformat()


def weekday(day: str) -> str:
    """The English name of the day of the week, lower case: ``monday``."""
    return _WEEKDAYS[_date(day).weekday()]


def _holiday_ranges(holidays: list[Any]) -> list[tuple[datetime.date, datetime.date]]:
    return [(_date(h["from"]), _date(h["to"])) for h in holidays or [] if "from" in h and "to" in h]


def school_days_between(start: str, end: str, holidays: list[Any]) -> int:
    """School days from ``start`` (counted) up to ``end`` (not counted).

    A school day is Monday to Friday outside every ``{from, to}`` holiday
    (inclusive). From a Monday to the Wednesday of the same week is two school
    days (Monday and Tuesday). Negative when ``end`` is before ``start``.
    """
    first, last = _date(start), _date(end)
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    ranges = _holiday_ranges(holidays)
    count = 0
    day = first
    while day < last:
        if day.weekday() < 5 and not any(lo <= day <= hi for lo, hi in ranges):
            count += 1
        day += datetime.timedelta(days=1)
    return sign * count


def _minutes(time: str) -> int:
    hours, minutes = time.split(":")
    return int(hours) * 60 + int(minutes)


def weekly_hours(sessions: list[Any]) -> float:
    """Total hours of a weekly timetable of ``{start, end}`` sessions."""
    return sum(max(0, _minutes(s["end"]) - _minutes(s["start"])) for s in sessions or []) / 60.0


def max_concurrent(intervals: list[Any]) -> int:
    """The largest number of ``{start, end}`` date ranges (inclusive) that overlap on one day."""
    events: list[tuple[datetime.date, int]] = []
    for interval in intervals or []:
        events.append((_date(interval["start"]), 1))
        events.append((_date(interval["end"]) + datetime.timedelta(days=1), -1))
    events.sort(key=lambda e: (e[0], e[1]))
    current = best = 0
    for _, change in events:
        current += change
        best = max(best, current)
    return best


def plural(count: int, word: str) -> str:
    """``count`` and ``word``, made plural by adding "s" unless the count is one: ``plural(3, "day")`` is
    ``3 days``, ``plural(1, "day")`` is ``1 day``. ``plural(count, one, many)`` names both forms:
    ``plural(2, "child", "children")`` is ``2 children``."""
    return plural_of(count, word, word + "s")


def plural_of(count: int, one: str, many: str) -> str:
    """``count`` and ``one`` or ``many``, as ``count`` is one or not (``plural`` with three arguments)."""
    return f"{count} {one if count == 1 else many}"


FUNCTIONS: dict[str, tuple[Callable[..., Any], str, list[str]]] = {
    # name: (implementation, return type, parameter types)
    "days_between": (days_between, "int", ["string", "string"]),
    "add_days": (add_days, "string", ["string", "int"]),
    "weekday": (weekday, "string", ["string"]),
    "school_days_between": (school_days_between, "int", ["string", "string", "list"]),
    "weekly_hours": (weekly_hours, "double", ["list"]),
    "max_concurrent": (max_concurrent, "int", ["list"]),
    "plural": (plural, "string", ["int", "string"]),
}

#: further signatures of a function in FUNCTIONS: name -> [(implementation, return type, parameter types)]
OVERLOADS: dict[str, list[tuple[Callable[..., Any], str, list[str]]]] = {
    "plural": [(plural_of, "string", ["int", "string", "string"])],
}
