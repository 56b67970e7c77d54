"""Findings: JSON paths as an editor reads them, and the stable JSON shape."""

from __future__ import annotations

import dataclasses

import pytest

from ap_lint.findings import Finding, JsonPath, format_path, parse_path


@pytest.mark.parametrize(("path", "text"), [
    ((), ""),
    (("rationale",), "rationale"),
    (("decision", "date"), "decision.date"),
    (("reviews", 2, "date"), "reviews[2].date"),
    (("timetable", 0), "timetable[0]"),
    (("matrix", 1, 0, "x"), "matrix[1][0].x"),
    (("a-b", "c_d"), "a-b.c_d"),
])
def test_format_and_parse_are_inverse(path: JsonPath, text: str) -> None:
    assert format_path(path) == text
    assert parse_path(text) == path


def test_a_path_that_starts_with_an_index() -> None:
    assert format_path((3, "name")) == "[3].name"
    assert parse_path("[3].name") == (3, "name")


def test_parse_path_ignores_stray_dots() -> None:
    assert parse_path(".reviews[1].") == ("reviews", 1)


def finding(**changes: object) -> Finding:
    base = Finding(file="records/a.yaml", line=3, column=5, rule="r", severity="error", message="Fix it.",
                   clause="c", path=("reviews", 0, "date"))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_as_dict_has_the_stable_keys_in_order() -> None:
    assert finding().as_dict() == {
        "rule": "r", "clause": "c", "severity": "error", "file": "records/a.yaml", "line": 3, "column": 5,
        "path": "reviews[0].date", "message": "Fix it.",
    }
    assert list(finding().as_dict()) == ["rule", "clause", "severity", "file", "line", "column", "path", "message"]


def test_as_dict_adds_waiver_and_record_only_when_set() -> None:
    shown = finding(waived_by="w-1", record="a", clause=None).as_dict()
    assert shown["waived_by"] == "w-1"
    assert shown["record"] == "a"
    assert shown["clause"] is None


def test_waived_and_path_text() -> None:
    assert not finding().is_waived
    assert finding(waived_by="w-1").is_waived
    assert finding().path_text == "reviews[0].date"


def test_findings_are_immutable_and_sort_by_file_then_position() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding().line = 9  # type: ignore[misc]
    later = finding(line=10, column=1)
    other_file = finding(file="records/b.yaml", line=1)
    assert sorted([other_file, later, finding()]) == [finding(), later, other_file]
