"""The scan filter only ever rules out records in which no text scan finds anything.

Loading asks the filter of each record's kind (``scans_may_match``) whether any of the pack's text
scans could match; a record it rules out is never scanned. So the filter may say yes too often, never
no too often: whatever ``find`` reports in any single value, the filter must let through, whether the
value is judged on its own (short values, whose verdicts are remembered) or joined with others.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ap_lint.checker import Checker
from ap_lint.evaluate.scanfilter import scan_filters, scans_may_match
from ap_lint.evaluate.textscan import ScanContext, find, normalise
from tests.conftest import REPO_ROOT, checker_for

TODAY = "2026-11-28"

#: fragments of text, some of them what the privacy scans look for (all fictional), joined at random
FRAGMENTS = ["the pupil ", "attends ", "Oakfield ", "Academy", " on ", "Wednesday", "09:00", "2026-09-07",
             "born ", "DOB: ", "date of birth ", "12/03/2012", "3 March 2013", "March 3, 2013", "2013-03-12",
             "a.pupil@example.invalid", " @ ", "01632 960123", "+44 1632 960 123", "AB 12 34 56 C", "QQ123456C",
             "A123456789012", "H801200001001", "Jamie Testperson", "Olivia", "Smith", "Mr J. Doe", "\n", "  ",
             ",", ".", "-", "/", "é", "\u00a0", "\uff11\uff12", "O'Neil", "Anne-Marie Example", "CRST-P-100047"]

values = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8).map("".join)
records = st.lists(values, min_size=1, max_size=6)


@pytest.fixture(scope="module")
def checker() -> Checker:
    return checker_for(REPO_ROOT)


def found_anywhere(checker: Checker, kind: str, texts: list[str]) -> list[tuple[str, str]]:
    context = ScanContext(TODAY, checker.pack.settings, {})
    return [(rule.id, text) for rule in checker.rules if rule.scan is not None and kind in (rule.kinds or (rule.kind,))
            for text in texts if next(find(rule.scan, normalise(text), context), None) is not None]


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=records)
def test_the_filter_lets_through_every_record_a_scan_finds_something_in(checker: Checker, texts: list[str]) -> None:
    data: dict[str, Any] = {f"field_{index}": text for index, text in enumerate(texts)}
    found = found_anywhere(checker, "placement", texts)
    fresh = scan_filters(checker.rules)["placement"]
    first = scans_may_match(fresh, data)
    again = scans_may_match(fresh, data)  # short values judged from what the filter remembered
    assert first == again
    if found:
        assert first, found



#: one filter for many records, as a run uses it: what it remembered of earlier records judges later ones
SHARED: dict[str, Any] = {}


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=records)
def test_a_filter_that_remembers_earlier_records_still_lets_through_every_record_with_a_finding(
        checker: Checker, texts: list[str]) -> None:
    shared = SHARED.setdefault("placement", scan_filters(checker.rules)["placement"])
    data: dict[str, Any] = {f"field_{index}": text for index, text in enumerate(texts)}
    found = found_anywhere(checker, "placement", texts)
    verdict = scans_may_match(shared, data)
    if found:
        assert verdict, found
    assert scans_may_match(shared, data) == verdict

def test_the_filter_rules_out_a_record_with_nothing_to_find(checker: Checker) -> None:
    fresh = scan_filters(checker.rules)["placement"]
    data = {"day": "wednesday", "start": "09:00", "note": "The pupil attends the centre on Wednesday mornings."}
    assert found_anywhere(checker, "placement", list(data.values())) == []
    assert scans_may_match(fresh, data) is False
    assert scans_may_match(fresh, data) is False


@pytest.mark.parametrize("value", ["a.pupil@example.invalid", "DOB: 12/03/2012", "QQ123456C", "Jamie Testperson"])
def test_a_short_value_with_something_to_find_is_let_through_every_time(checker: Checker, value: str) -> None:
    fresh = scan_filters(checker.rules)["placement"]
    assert found_anywhere(checker, "placement", [value])
    for _ in range(3):
        assert scans_may_match(fresh, {"day": "wednesday", "note": value}) is True


def test_a_name_right_after_another_value_is_not_hidden_by_the_join(checker: Checker) -> None:
    # Joined by a newline, the last word of one value and the first word of the next read as a name
    # ("Oakfield\nJamie"); that match is no first name, and the search must not resume after it, past
    # the real one.
    fresh = scan_filters(checker.rules)["placement"]
    data = {"site": "The pupil is taught in the workshop at Oakfield",
            "note": "Jamie Testperson visits the workshop every week with the pupil"}
    assert found_anywhere(checker, "placement", list(data.values()))
    assert scans_may_match(fresh, data) is True


def test_a_checked_scan_whose_pattern_cannot_be_joined_makes_the_filter_let_everything_through(
        checker: Checker) -> None:
    # A word-list scan anchored at the end of the value: joined with a later value, `$` would never match.
    names = next(rule for rule in checker.rules if rule.id == "privacy-personal-name")
    assert names.scan is not None
    anchored = dataclasses.replace(names, scan=dataclasses.replace(
        names.scan, pattern=re.compile(r"(?<![\w'’-])(?P<first>[A-Z][a-z'’]+)$")))
    fresh = scan_filters([anchored])["placement"]
    data = {"a": "The pupil was collected after the session by Jamie",
            "b": "The session ran from nine until twelve at the centre"}
    assert next(find(anchored.scan, normalise(data["a"]), ScanContext(TODAY, checker.pack.settings, {})), None)
    assert scans_may_match(fresh, data) is True
