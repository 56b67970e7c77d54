"""The generic helpers rules call for dated periods, as CEL sees them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ap_lint.evaluate.expressions import Environment, ExpressionError, Template
from ap_lint.evaluate.functions import in_order, school_days_between, settings_on, value_on

ENV = Environment(["holder", "past", "entries", "none"])
HOLDER = {"name": "New", "since": "2026-11-02"}
PAST = [{"name": "Old", "from": "2020-09-01", "to": "2026-10-31"}]


def evaluate(source: str, **variables: Any) -> Any:
    values = {"holder": HOLDER, "past": PAST, "entries": [], "none": None, **variables}
    return ENV.compile(source).evaluate(ENV.activation(values))


@pytest.mark.parametrize("day, expected", [
    ("2020-08-31", None),        # before anyone is recorded: no holder
    ("2020-09-01", "Old"),       # both ends of a period are included
    ("2026-10-31", "Old"),
    ("2026-11-01", None),        # a day no period covers has no holder
    ("2026-11-02", "New"),       # the current holder from `since`
    ("2030-01-01", "New"),
])
def test_in_force_gives_the_entry_of_the_day(day: str, expected: str | None) -> None:
    found = evaluate(f"in_force(holder, past, '{day}')")
    assert (found["name"] if found is not None else None) == expected


def test_without_since_the_current_entry_starts_the_day_after_the_latest_earlier_one() -> None:
    holder = {"name": "New"}
    assert evaluate("in_force(holder, past, '2026-10-31').name", holder=holder) == "Old"
    assert evaluate("in_force(holder, past, '2026-11-01').name", holder=holder) == "New"
    assert evaluate("current_from(holder, past)", holder=holder) == "2026-11-01"
    assert evaluate("in_force(holder, [], '1999-01-01').name", holder=holder) == "New"  # always, with no history
    assert evaluate("in_force(none, past, '2027-01-01')") is None


def test_period_overlaps_names_each_problem() -> None:
    assert evaluate("period_overlaps(holder, past)") == []
    assert evaluate("period_overlaps({'since': '2026-10-01'}, past)") == [
        "the current one, since 2026-10-01, overlaps the period from 2020-09-01 to 2026-10-31"]
    assert evaluate("period_overlaps(none, [{'from': '2021-01-01', 'to': '2020-01-01'}])") == [
        "the period from 2021-01-01 to 2020-01-01 ends before it starts"]
    assert evaluate("period_overlaps(none, [{'from': '2020-01-01', 'to': '2020-06-30'},"
                    " {'from': '2020-06-30', 'to': '2020-12-31'}])") == [
        "the period from 2020-01-01 to 2020-06-30 overlaps the period from 2020-06-30 to 2020-12-31"]


@pytest.mark.parametrize("entries, day, expected", [
    ([], "2026-01-01", ""),
    ([{"on": "2025-01-01", "off": "2025-12-31"}, {"on": "2026-01-01", "off": "2026-06-30"}], "2025-03-01",
     "2026-06-30"),                                                            # renewed the next day: one run
    ([{"on": "2025-01-01", "off": "2025-12-31"}, {"on": "2026-01-05", "off": "2026-06-30"}], "2025-03-01",
     "2025-12-31"),                                                            # a gap ends the run
    ([{"on": "2025-01-01", "off": "2025-12-31"}], "2024-12-31", ""),           # not yet in force
    ([None, {"on": "2025-01-01"}], "2030-01-01", "9999-12-31"),                # no end: open-ended
])
def test_covered_until(entries: list[Any], day: str, expected: str) -> None:
    assert evaluate(f"covered_until(entries, 'on', 'off', '{day}')", entries=entries) == expected


def test_max_groups_above_sums_each_groups_concurrent_weights() -> None:
    def span(start: str, end: str, group: str, weight: float) -> dict[str, Any]:
        return {"start": start, "end": end, "group": group, "weight": weight}
    two_part_time = [span("2026-09-01", "2026-12-18", "a", 12.0), span("2026-10-01", "2027-02-12", "a", 12.0)]
    assert evaluate("max_groups_above(entries, 18.0)", entries=two_part_time) == 1
    apart = [span("2026-09-01", "2026-09-30", "a", 12.0), span("2026-10-01", "2027-02-12", "a", 12.0)]
    assert evaluate("max_groups_above(entries, 18.0)", entries=apart) == 0
    two_pupils = [span("2026-09-01", "2026-12-18", "a", 12.0), span("2026-10-01", "2027-02-12", "b", 12.0)]
    assert evaluate("max_groups_above(entries, 18.0)", entries=two_pupils) == 0
    assert evaluate("max_groups_above(entries, 10.0)", entries=two_pupils) == 2


def test_a_message_placeholder_may_hold_a_map_literal() -> None:
    template = Template.compile("{{literal}} {covered_until([{'on': '2025-01-01', 'off': '2025-12-31'}], 'on', "
                                "'off', '2025-06-01')} and {'}'}", ENV)
    assert template.render(ENV.activation({"holder": None, "past": [], "entries": [], "none": None})) == (
        "{literal} 2025-12-31 and }")
    with pytest.raises(ExpressionError):
        Template.compile("{never closed", ENV)


def school_days_one_by_one(start: str, end: str, holidays: list[Any]) -> int:
    """The definition, day by day: Monday to Friday, outside every holiday (inclusive), end not counted."""
    first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    ranges = [(datetime.date.fromisoformat(h["from"]), datetime.date.fromisoformat(h["to"])) for h in holidays]
    count = 0
    day = first
    while day < last:
        if day.weekday() < 5 and not any(low <= day <= high for low, high in ranges):
            count += 1
        day += datetime.timedelta(days=1)
    return sign * count


days = st.dates(min_value=datetime.date(2024, 1, 1), max_value=datetime.date(2028, 12, 31))
holiday = st.tuples(days, st.integers(min_value=-3, max_value=40)).map(
    lambda pair: {"from": pair[0].isoformat(), "to": (pair[0] + datetime.timedelta(days=pair[1])).isoformat()})


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(start=days, end=days, holidays=st.lists(holiday, max_size=8))
def test_school_days_between_counts_as_the_definition_does(start: datetime.date, end: datetime.date,
                                                           holidays: list[dict[str, str]]) -> None:
    """Overlapping, nested, back-to-front (to before from) and out-of-range holidays included."""
    assert school_days_between(start.isoformat(), end.isoformat(), holidays) == school_days_one_by_one(
        start.isoformat(), end.isoformat(), holidays)


@pytest.mark.parametrize(("start", "end", "holidays", "expected"), [
    ("2026-11-30", "2026-12-02", [], 2),  # Monday to Wednesday: Monday and Tuesday
    ("2026-12-02", "2026-11-30", [], -2),
    ("2026-11-28", "2026-11-30", [], 0),  # a weekend
    ("2026-11-30", "2026-12-07", [{"from": "2026-12-01", "to": "2026-12-02"}], 3),
    ("2026-11-30", "2026-12-07",
     [{"from": "2026-12-01", "to": "2026-12-02"}, {"from": "2026-12-02", "to": "2026-12-03"}], 2),
    ("2026-12-21", "2027-01-04", [{"from": "2026-12-19", "to": "2027-01-03"}], 0),  # the Christmas holiday
])
def test_school_days_between_examples(start: str, end: str, holidays: list[dict[str, str]], expected: int) -> None:
    assert school_days_between(start, end, holidays) == expected


PERIODS = [{"value": 8, "from": "", "until": "2026-03-31"}, {"value": 10, "from": "2026-05-01", "until": "2026-08-31"},
           {"value": 28, "from": "2026-09-01", "until": ""}]


@pytest.mark.parametrize(("day", "value"), [
    ("2020-01-01", 8), ("2026-03-31", 8),  # the oldest period, open at its start
    ("2026-04-15", 8),  # a gap between periods: the value before it still holds
    ("2026-05-01", 10), ("2026-08-31", 10), ("2026-09-01", 28), ("2099-01-01", 28),
])
def test_a_dated_setting_s_value_on_a_day(day: str, value: int) -> None:
    assert value_on(PERIODS, day) == value
    assert settings_on({"n": 1, "other": "x"}, {"n": PERIODS}, day) == {"n": value, "other": "x"}


def test_settings_without_dated_values_or_a_day_are_left_as_they_are() -> None:
    assert settings_on({"n": 1}, {}, "2026-01-01") == {"n": 1}
    assert settings_on({"n": 1}, {"n": PERIODS}, "") == {"n": 1}


@pytest.mark.parametrize(("values", "expected"), [
    ([], True), (["2026-01-05"], True), (["2026-01-05", "2026-01-05", "2026-02-01"], True),
    (["2026-02-01", "2026-01-05"], False), ([1, 3, 2], False),
])
def test_in_order_says_whether_each_value_is_on_or_before_the_next(values: list[Any], expected: bool) -> None:
    assert in_order(values) is expected
