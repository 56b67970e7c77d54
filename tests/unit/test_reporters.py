"""Formatters: text and JSON (failing versus shown), GitHub workflow commands, JUnit XML.

Each formatter is a pure function of a check result; these tests give them a
result with hand-made findings over the tiny register's pack and records, so
every line can be asserted whole.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from ap_lint.checker import Checker, CheckOptions, CheckResult
from ap_lint.findings import Finding
from ap_lint.pack import load_pack
from ap_lint.output.formats import (REPORTER_BY_NAME, ReportOptions, failing_findings, format_github, format_json,
                               format_junit, format_text, github_escape_data, github_escape_property, is_failing)

TODAY = "2026-05-01"

ERROR = Finding(file="records/orders/o-1.yaml", line=4, column=8, rule="order-small", severity="error",
                message="Order o-1 has 4 items; at most 3 are allowed.", clause="orders.small", path=("items",),
                record="o-1")
WARNING = Finding(file="records/orders/o-1.yaml", line=4, column=15, rule="order-item-named", severity="warning",
                  message="Item 2 of o-1 is blank; write what was ordered.", path=("items", 1), record="o-1")
WAIVED = Finding(file="records/shops/mill.yaml", line=3, column=7, rule="order-shop-open", severity="error",
                 message="Mill Shop is closed: choose an open shop.", clause="orders.shop", path=("open",),
                 record="mill", waived_by="x-1")


def make_result(root: Path, findings: list[Finding], notes: list[str] | None = None) -> CheckResult:
    """A check result for the register at ``root`` (its real records and rules) with ``findings`` instead."""
    checker = Checker.from_pack(load_pack(root))
    checked = checker.check(CheckOptions(root=root, today=TODAY))
    return dataclasses.replace(checked, findings=findings, notes=list(notes or []))


@pytest.fixture
def result(tiny_register: Path) -> CheckResult:
    return make_result(tiny_register, [ERROR, WARNING, WAIVED])


@pytest.mark.parametrize(("finding", "fail_on", "failing"), [
    (ERROR, "error", True),
    (ERROR, "warning", True),
    (WARNING, "error", False),
    (WARNING, "warning", True),
    (WAIVED, "error", False),
    (WAIVED, "warning", False),
])
def test_which_findings_fail_the_run(finding: Finding, fail_on: str, failing: bool) -> None:
    assert is_failing(finding, fail_on) is failing


def test_every_format_is_chosen_by_name() -> None:
    assert sorted(REPORTER_BY_NAME) == ["github", "json", "junit", "sarif", "text"]


def test_text_shows_every_finding_and_counts_failing_apart_from_shown(result: CheckResult) -> None:
    assert format_text(result, ReportOptions()).splitlines() == [
        "records/orders/o-1.yaml:4:8: error [order-small] Order o-1 has 4 items; at most 3 are allowed. "
        "(orders.small)",
        "records/orders/o-1.yaml:4:15: warning [order-item-named] Item 2 of o-1 is blank; write what was ordered.",
        "records/shops/mill.yaml:3:7: waived [order-shop-open] Mill Shop is closed: choose an open shop. "
        "(orders.shop) [waiver x-1]",
        "Failed: 1 failing of 3 shown (1 error, 1 warning, 1 waived) with --fail-on error, in 3 records "
        f"(today is {TODAY}).",
    ]


def test_fail_on_warning_makes_warnings_fail(result: CheckResult) -> None:
    last = format_text(result, ReportOptions(fail_on="warning")).splitlines()[-1]
    assert last == ("Failed: 2 failing of 3 shown (1 error, 1 warning, 1 waived) with --fail-on warning, "
                    f"in 3 records (today is {TODAY}).")
    assert failing_findings(result, "warning") == [ERROR, WARNING]


def test_warnings_alone_pass_at_the_default_threshold(tiny_register: Path) -> None:
    result = make_result(tiny_register, [WARNING], notes=["2 findings on other files are not shown."])
    assert format_text(result, ReportOptions()).splitlines()[1:] == [
        "note: 2 findings on other files are not shown.",
        f"Passed: 0 failing of 1 shown (0 errors, 1 warning) with --fail-on error, in 3 records (today is {TODAY}).",
    ]


def test_json_marks_each_finding_failing_or_not_and_counts_both(result: CheckResult) -> None:
    document = json.loads(format_json(result, ReportOptions(not_shown=2)))
    assert [(f["rule"], f["failing"]) for f in document["findings"]] == [
        ("order-small", True), ("order-item-named", False), ("order-shop-open", False)]
    summary = document["summary"]
    assert {key: summary[key] for key in ("errors", "warnings", "waived", "shown", "failing", "fail_on",
                                          "not_shown", "records", "passed")} == {
        "errors": 1, "warnings": 1, "waived": 1, "shown": 3, "failing": 1, "fail_on": "error", "not_shown": 2,
        "records": 3, "passed": False}


# --- GitHub workflow commands ---------------------------------------------------------------------------------

COMMAND = re.compile(r"^::(?P<level>error|warning|notice) (?P<properties>[^:]*)::(?P<message>.*)$")


def unescape(text: str) -> str:
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Read one workflow command the way the runner does: level, properties split on ',' and '=', message."""
    match = COMMAND.match(line)
    assert match, f"not a workflow command: {line!r}"
    properties = dict(item.split("=", 1) for item in match["properties"].split(","))
    return match["level"], {k: unescape(v) for k, v in properties.items()}, unescape(match["message"])


def test_escaping_follows_the_workflow_command_rules() -> None:
    assert github_escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert github_escape_property("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext%3A a%2C b"


def test_github_writes_one_annotation_per_finding_then_the_summary(result: CheckResult) -> None:
    assert format_github(result, ReportOptions()).splitlines() == [
        "::error file=records/orders/o-1.yaml,line=4,col=8,title=ap-lint order-small (orders.small)::"
        "Order o-1 has 4 items; at most 3 are allowed. (policy clause orders.small)",
        "::warning file=records/orders/o-1.yaml,line=4,col=15,title=ap-lint order-item-named::"
        "Item 2 of o-1 is blank; write what was ordered.",
        "::notice file=records/shops/mill.yaml,line=3,col=7,title=ap-lint order-shop-open (orders.shop)::"
        "Mill Shop is closed: choose an open shop. (policy clause orders.shop) [waived by x-1]",
        "Failed: 1 failing of 3 shown (1 error, 1 warning, 1 waived) with --fail-on error, in 3 records "
        f"(today is {TODAY}).",
    ]


def test_github_escapes_what_would_break_a_command(tiny_register: Path) -> None:
    awkward = dataclasses.replace(ERROR, file="records/orders/a,b:c%.yaml", clause="x:y,z",
                                  message="100% wrong:\nfirst line\r\nsecond, third")
    lines = format_github(make_result(tiny_register, [awkward], notes=["50% of a, b: shown"]),
                          ReportOptions()).splitlines()
    assert lines[:2] == [
        "::error file=records/orders/a%2Cb%3Ac%25.yaml,line=4,col=8,title=ap-lint order-small (x%3Ay%2Cz)::"
        "100%25 wrong:\\nfirst line\\r\\nsecond, third (policy clause x:y,z)",
        "::notice title=ap-lint::50%25 of a, b: shown",
    ]
    assert parse_command(lines[0]) == (
        "error", {"file": "records/orders/a,b:c%.yaml", "line": "4", "col": "8",
                  "title": "ap-lint order-small (x:y,z)"},
        "100% wrong:\\nfirst line\\r\\nsecond, third (policy clause x:y,z)")


def test_github_never_points_at_line_0(tiny_register: Path) -> None:
    unlocated = dataclasses.replace(ERROR, line=0, column=0)
    level, properties, _ = parse_command(format_github(make_result(tiny_register, [unlocated]),
                                                       ReportOptions()).splitlines()[0])
    assert (level, properties["line"], properties["col"]) == ("error", "1", "1")


# --- JUnit XML --------------------------------------------------------------------------------------------------


def cases_of(xml: str) -> dict[str, ElementTree.Element]:
    suite = ElementTree.fromstring(xml).find("testsuite")
    assert suite is not None
    return {case.get("name", ""): case for case in suite.iter("testcase")}


def test_junit_has_one_case_per_record_and_one_failure_per_failing_finding(result: CheckResult) -> None:
    xml = format_junit(result, ReportOptions())
    top = ElementTree.fromstring(xml)
    assert top.tag == "testsuites"
    suites = top.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert {k: suite.get(k) for k in ("name", "tests", "failures", "errors", "skipped")} == {
        "name": "ap-lint", "tests": "3", "failures": "1", "errors": "0", "skipped": "0"}
    cases = cases_of(xml)
    assert sorted(cases) == ["records/orders/o-1.yaml", "records/shops/corner.yaml", "records/shops/mill.yaml"]
    order = cases["records/orders/o-1.yaml"]
    assert order.get("classname") == "order"
    failures = order.findall("failure")
    assert [(f.get("type"), f.get("message"), f.text) for f in failures] == [(
        "order-small", "Order o-1 has 4 items; at most 3 are allowed.",
        "records/orders/o-1.yaml:4:8: error [order-small] Order o-1 has 4 items; at most 3 are allowed. "
        "(orders.small)")]
    assert order.findtext("system-out") == ("records/orders/o-1.yaml:4:15: warning [order-item-named] "
                                            "Item 2 of o-1 is blank; write what was ordered.")
    assert list(cases["records/shops/corner.yaml"]) == [], "a record with no findings is a passing test case"
    assert cases["records/shops/mill.yaml"].find("failure") is None, "a waived finding does not fail"


def test_junit_counts_warnings_as_failures_with_fail_on_warning(result: CheckResult) -> None:
    cases = cases_of(format_junit(result, ReportOptions(fail_on="warning")))
    assert [f.get("type") for f in cases["records/orders/o-1.yaml"].findall("failure")] == [
        "order-small", "order-item-named"]


def test_junit_in_a_scoped_run_has_cases_for_the_scope_and_for_files_with_findings(result: CheckResult) -> None:
    cases = cases_of(format_junit(result, ReportOptions(scope=frozenset({"records/shops/corner.yaml"}))))
    assert sorted(cases) == ["records/orders/o-1.yaml", "records/shops/corner.yaml", "records/shops/mill.yaml"]
    only = dataclasses.replace(result, findings=[])
    assert sorted(cases_of(format_junit(only, ReportOptions(scope=frozenset({"records/shops/corner.yaml"}))))) \
        == ["records/shops/corner.yaml"]


def test_junit_a_file_that_is_no_record_gets_its_own_case(tiny_register: Path) -> None:
    stray = Finding(file="records/notes.txt", line=1, column=1, rule="file-misplaced", severity="error",
                    message="This file is not where any kind of record lives, so it was not checked.")
    case = cases_of(format_junit(make_result(tiny_register, [stray]), ReportOptions()))["records/notes.txt"]
    failure = case.find("failure")
    assert failure is not None and (case.get("classname"), failure.get("type")) == ("file", "file-misplaced")


def test_junit_shows_characters_xml_cannot_hold_escaped(tiny_register: Path) -> None:
    odd = dataclasses.replace(ERROR, message="bell\x07 and nul\x00 here")
    failure = cases_of(format_junit(make_result(tiny_register, [odd]), ReportOptions()))[ERROR.file].find("failure")
    assert failure is not None and failure.get("message") == "bell\\x07 and nul\\x00 here"


def test_junit_parses_with_junitparser_and_its_counts_agree(result: CheckResult, tmp_path: Path) -> None:
    junitparser = pytest.importorskip("junitparser")
    path = tmp_path / "results.xml"
    path.write_text(format_junit(result, ReportOptions(fail_on="warning")), "utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    written = (suite.tests, suite.failures, suite.errors, suite.skipped)
    suite.update_statistics()
    assert written == (suite.tests, suite.failures, suite.errors, suite.skipped) == (3, 2, 0, 0)
    outcome = {case.name: [type(r).__name__ for r in case.result] for case in suite}
    assert outcome == {"records/orders/o-1.yaml": ["Failure", "Failure"], "records/shops/corner.yaml": [],
                       "records/shops/mill.yaml": []}
