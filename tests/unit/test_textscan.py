"""Text scans read text as written: normalisation, dates, comments, word lists from a package's data."""

from __future__ import annotations

import datetime
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ap_lint.evaluate.rules import Scan, WordCheck
from ap_lint.evaluate.textscan import ScanContext, allowed_values, find, masked, normalise, parse_full_date, whole_years
from ap_lint.load.register import yaml_comments
from ap_lint.wordlists import _assigned_strings


def test_normalise_reads_every_space_and_full_width_digit_as_written() -> None:
    assert normalise("07700\u00a0900\u202f123") == "07700 900 123"
    assert normalise("\uff10\uff17\uff17") == "077"
    assert normalise("07700\n  900123\n") == "07700 900123 "
    assert normalise("QQ\u200b12") == "QQ12"  # an invisible format character is dropped
    plain = "Ordinary text stays as it is."
    assert normalise(plain) is plain


def test_a_mask_shows_two_characters_then_an_ellipsis() -> None:
    assert masked("07700 900123") == "07…"
    assert masked("abcd") == "…"


def test_full_dates_are_read_in_the_usual_british_forms() -> None:
    expected = datetime.date(2012, 3, 12)
    for text in ("12/03/2012", "12.03.2012", "2012-03-12", "12 March 2012", "12th of Mar 2012", "March 12, 2012"):
        assert parse_full_date(text) == expected, text
    assert parse_full_date("31/02/2012") is None
    assert parse_full_date("March 2012") is None
    assert whole_years(expected, datetime.date(2026, 3, 11)) == 13
    assert whole_years(expected, datetime.date(2026, 3, 12)) == 14


def test_a_word_list_match_respects_the_stop_list_and_the_allowed_values() -> None:
    scan = Scan(re.compile(r"(?P<first>[A-Z][a-z]+)\s+[A-Z][a-z]+"),
                words=WordCheck("first", frozenset({"Sam", "Summer", "Robin"}), "stop",
                                {"school": (("principal", "name"),)}))
    context = ScanContext("2026-11-28", {"stop": ["Summer Term"]},
                          allowed_values([scan], [("school", {"principal": {"name": "Ms Robin Testwood"}})]))
    text = "Sam Example joined in the Summer Term with Robin Testwood and Kim Other."
    assert list(find(scan, text, context)) == ["Sam Example"]


def test_comments_are_found_with_their_line_and_column() -> None:
    text = "# header\nid: a # note 07700 900123\nreason: 'not # a comment'\n  # indented\n"
    # a '#' inside a quoted value is listed too: its text is a value as well, and the scans do not report it twice
    assert yaml_comments(text) == ((1, 1, "header"), (2, 7, "note 07700 900123"), (3, 14, "a comment'"),
                                   (4, 3, "indented"))


def test_a_word_list_is_read_from_the_literals_of_a_file_as_text() -> None:
    source = ("class Provider:\n    first_names_male = (\n        \"Sam\",\n        'Robin',  # a comment\n    )\n"
              "    weighted = OrderedDict(\n        (\n            (\"Alex\", 0.1),\n        )\n    )\n")
    assert _assigned_strings(source, "first_names_male") == ["Sam", "Robin"]
    assert _assigned_strings(source, "weighted") == ["Alex"]
    assert _assigned_strings(source, "missing") == []


def _values_by_definition(data: Any, path: tuple[Any, ...]) -> list[Any]:
    """The values at a path, read depth first: the definition the scans' allowed values follow."""
    if not path:
        return [data]
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        return _values_by_definition(data[head], rest) if isinstance(data, list) and 0 <= head < len(data) else []
    if head in ("[]", ""):
        return [v for item in data for v in _values_by_definition(item, rest)] if isinstance(data, list) else []
    return _values_by_definition(data[head], rest) if isinstance(data, dict) and head in data else []


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["a", "b", "Ann"]),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b"]), inner,
                                                                                 max_size=2), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_JSON, st.lists(st.sampled_from(["a", "b", "[]", "", 0, 1, -1]), max_size=4))
def test_values_at_a_path_are_those_of_its_depth_first_definition(data: Any, path: list[Any]) -> None:
    from ap_lint.evaluate.textscan import _values_at

    assert _values_at(data, tuple(path)) == _values_by_definition(data, tuple(path))
