"""The generic helpers rules call for dated periods, as CEL sees them."""

from __future__ import annotations

from typing import Any

import pytest

from ap_lint.evaluate.expressions import Environment, ExpressionError, Template

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
