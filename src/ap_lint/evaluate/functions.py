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


def _weekdays_before(ordinal: int) -> int:
    """Monday-to-Friday days from 1 January of year 1 (a Monday; ordinal 1) up to ``ordinal`` (not counted)."""
    weeks, rest = divmod(ordinal - 1, 7)
    return weeks * 5 + min(rest, 5)


def school_days_between(start: str, end: str, holidays: list[Any]) -> int:
    """School days from ``start`` (counted) up to ``end`` (not counted).

    A school day is Monday to Friday outside every ``{from, to}`` holiday
    (inclusive). From a Monday to the Wednesday of the same week is two school
    days (Monday and Tuesday). Negative when ``end`` is before ``start``.
    """
    first, last = _date(start).toordinal(), _date(end).toordinal()
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    count = _weekdays_before(last) - _weekdays_before(first)
    # the holidays as ranges of ordinals [low, high), overlapping ones merged, each within [first, last)
    reach = first
    for low, high in sorted((lo.toordinal(), hi.toordinal() + 1) for lo, hi in _holiday_ranges(holidays)):
        low, high = max(low, reach), min(high, last)
        if low < high:
            count -= _weekdays_before(high) - _weekdays_before(low)
            reach = high
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


def word_count(text: str) -> int:
    """The number of words in ``text``: runs of characters between white space (spaces, tabs, line breaks).

    Linear in the length of the text, however long: counting words with ``split`` and ``filter`` in CEL
    copies the text once per word.
    """
    return len(text.split())


def _period(entry: Any, start_key: str, end_key: str) -> tuple[str, str] | None:
    if not isinstance(entry, dict) or not isinstance(entry.get(start_key), str) or not isinstance(entry.get(end_key), str):
        return None
    return entry[start_key], entry[end_key]


def current_from(current: Any, history: list[Any]) -> str:
    """The first day the current entry of a dated history is in force ('' when always).

    The current entry's ``since`` when it has one; otherwise the day after the latest ``to`` of the
    earlier entries (``{from, to}``, both days included); '' (in force always) when there are none.
    """
    if isinstance(current, dict) and isinstance(current.get("since"), str):
        return str(current["since"])
    ends = [p[1] for p in (_period(h, "from", "to") for h in history or []) if p is not None]
    return add_days(max(ends), 1) if ends else ""


def in_force(current: Any, history: list[Any], day: str) -> Any:
    """The entry in force on ``day``: an earlier entry whose ``{from, to}`` holds it (both days included),
    or the current entry from its first day (see ``current_from``); null when no period covers the day.

    For example ``in_force(holder, past_holders, '2026-09-03')`` is whoever held the post that day.
    """
    for entry in history or []:
        period = _period(entry, "from", "to")
        if period is not None and period[0] <= day <= period[1]:
            return entry
    if isinstance(current, dict) and day >= current_from(current, history):
        return current
    return None


def period_overlaps(current: Any, history: list[Any]) -> list[str]:
    """What is wrong with a dated history, in words: an earlier entry that ends before it starts, two
    earlier entries whose ``{from, to}`` periods share a day, or a current entry whose ``since`` is not
    after every earlier ``to``. Empty when the periods are in order and do not overlap."""
    problems: list[str] = []
    periods = [p for p in (_period(h, "from", "to") for h in history or []) if p is not None]
    for start, end in periods:
        if end < start:
            problems.append(f"the period from {start} to {end} ends before it starts")
    ordered = sorted(periods)
    for (start_a, end_a), (start_b, end_b) in zip(ordered, ordered[1:]):
        if start_b <= end_a:
            problems.append(f"the period from {start_a} to {end_a} overlaps the period from {start_b} to {end_b}")
    if isinstance(current, dict) and isinstance(current.get("since"), str):
        later = [p for p in periods if p[1] >= current["since"]]
        for start, end in later:
            problems.append(f"the current one, since {current['since']}, overlaps the period from {start} to {end}")
    return problems


def covered_until(entries: list[Any], start_key: str, end_key: str, day: str) -> str:
    """The last day of the unbroken run of dated entries that covers ``day``.

    Each entry runs from its ``start_key`` date to its ``end_key`` date (both included; no end: open-ended,
    '9999-12-31'); entries that overlap or follow on the next day join up. Entries that are null or have no
    start are left out. '' when no entry covers ``day``. For example, with entries running 2025-01-01 to
    2025-12-31 and 2026-01-01 to 2026-06-30, the run covering 2025-03-01 lasts until 2026-06-30.
    """
    ranges = sorted(
        (str(entry[start_key]), str(entry.get(end_key) or "9999-12-31"))
        for entry in entries or [] if isinstance(entry, dict) and isinstance(entry.get(start_key), str))
    reach = ""
    for start, end in ranges:
        if reach == "":
            if start <= day <= end:
                reach = end
        elif start <= add_days(reach, 1) and end > reach:
            reach = end
    return reach


def max_groups_above(intervals: list[Any], threshold: float) -> int:
    """On the busiest day, how many groups have a summed weight above ``threshold``.

    Each interval is ``{start, end, group, weight}`` (dates included at both ends): on each day, the
    weights of the intervals covering it are summed per group, and the groups whose sum is more than
    ``threshold`` are counted. For example two concurrent 12-hour ranges of one group count once
    above 18.
    """
    parsed = [(i["start"], i["end"], str(i["group"]), float(i["weight"])) for i in intervals or []]
    days = sorted({start for start, _, _, _ in parsed})
    best = 0
    for day in days:
        sums: dict[str, float] = {}
        for start, end, group, weight in parsed:
            if start <= day <= end:
                sums[group] = sums.get(group, 0.0) + weight
        best = max(best, sum(1 for total in sums.values() if total > threshold))
    return best


def plural(count: int, word: str) -> str:
    """``count`` and ``word``, made plural by adding "s" unless the count is one: ``plural(3, "day")`` is
    ``3 days``, ``plural(1, "day")`` is ``1 day``. ``plural(count, one, many)`` names both forms:
    ``plural(2, "child", "children")`` is ``2 children``."""
    return plural_of(count, word, word + "s")


def plural_of(count: int, one: str, many: str) -> str:
    """``count`` and ``one`` or ``many``, as ``count`` is one or not (``plural`` with three arguments)."""
    return f"{count} {one if count == 1 else many}"


def in_order(values: list[Any]) -> bool:
    """Whether each value is on or before the next (dates as ``YYYY-MM-DD`` text, numbers): ``in_order(['2026-01-05',
    '2026-02-02'])`` is true. A list of fewer than two values is in order."""
    return all(earlier <= later for earlier, later in zip(values, values[1:]))


#: a period's ends when it has none (ISO dates compare as text)
_OPEN_START, _OPEN_END = "", "9999-12-31"


def value_on(found: list[dict[str, Any]], day: str) -> Any:
    """The value in force on ``day``: the period that holds it; before the first, the first value (the oldest
    known); in a gap between periods, the value before the gap."""
    chosen = found[0]["value"] if found else None
    for period in found:
        if (period["from"] or _OPEN_START) <= day:
            chosen = period["value"]
            if day <= (period["until"] or _OPEN_END):
                return chosen
    return chosen


def settings_on(settings: dict[str, Any], dated: dict[str, Any], day: str) -> dict[str, Any]:
    """``settings`` with each dated setting's value the one in force on ``day``; ``dated`` maps each setting that
    changed to its ``{value, from, until}`` periods, oldest first. A rule need not call it: it reads
    ``settings`` as they stood on its ``effective.date`` (else today) already."""
    if not dated or not isinstance(day, str) or not day:
        return settings
    return {**settings, **{name: value_on(found, day) for name, found in dated.items()}}


FUNCTIONS: dict[str, tuple[Callable[..., Any], str, list[str]]] = {
    # name: (implementation, return type, parameter types)
    "days_between": (days_between, "int", ["string", "string"]),
    "add_days": (add_days, "string", ["string", "int"]),
    "weekday": (weekday, "string", ["string"]),
    "school_days_between": (school_days_between, "int", ["string", "string", "list"]),
    "weekly_hours": (weekly_hours, "double", ["list"]),
    "max_concurrent": (max_concurrent, "int", ["list"]),
    "word_count": (word_count, "int", ["string"]),
    "in_force": (in_force, "dyn", ["map?", "list", "string"]),
    "current_from": (current_from, "string", ["map?", "list"]),
    "period_overlaps": (period_overlaps, "list", ["map?", "list"]),
    "covered_until": (covered_until, "string", ["list", "string", "string", "string"]),
    "max_groups_above": (max_groups_above, "int", ["list", "double"]),
    "plural": (plural, "string", ["int", "string"]),
    "settings_on": (settings_on, "map", ["map", "map", "string"]),
    "in_order": (in_order, "bool", ["list"]),
}

#: further signatures of a function in FUNCTIONS: name -> [(implementation, return type, parameter types)]
OVERLOADS: dict[str, list[tuple[Callable[..., Any], str, list[str]]]] = {
    "plural": [(plural_of, "string", ["int", "string", "string"])],
}
