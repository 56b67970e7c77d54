"""JUnit XML, for CI test reports: a test case per record checked, a failure per failing finding."""

from __future__ import annotations

import functools
import re
from xml.etree import ElementTree

from ap_lint.checker import CheckResult
from ap_lint.findings import Finding
from ap_lint.output.escape import visible
from ap_lint.output.formats.common import (
    TOOL_NAME, ReportOptions, failing_findings, finding_line, is_failing, visible_result,
)


@functools.cache
def _not_xml() -> re.Pattern[str]:
    """Characters XML 1.0 cannot hold (compiled when first needed: its ranges are slow to compile)."""
    return re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold replaced by U+FFFD."""
    return _not_xml().sub("\ufffd", text)


def _junit_cases(result: CheckResult, options: ReportOptions) -> list[tuple[str, str]]:
    """(file, classname) of every test case: each record checked (in scope), and each other file with findings."""
    cases = {visible(r.file): r.kind for r in result.records if options.scope is None or r.file in options.scope}
    for finding in result.findings:
        cases.setdefault(finding.file, "file")
    return sorted((file, kind) for file, kind in cases.items())


def format_junit(result: CheckResult, options: ReportOptions) -> str:
    """JUnit XML: one test case per record checked, one ``<failure>`` per failing finding.

    Findings that do not fail the run (warnings below ``--fail-on``, waived
    ones) are listed in the test case's ``<system-out>``.
    """
    result = visible_result(result)
    by_file: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_file.setdefault(finding.file, []).append(finding)
    cases = _junit_cases(result, options)
    failures = len(failing_findings(result, options.fail_on))
    top = ElementTree.Element("testsuites", name=TOOL_NAME, tests=str(len(cases)), failures=str(failures),
                              errors="0", skipped="0", time="0")
    suite = ElementTree.SubElement(top, "testsuite", name=TOOL_NAME, tests=str(len(cases)),
                                   failures=str(failures), errors="0", skipped="0", time="0")
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in (("today", result.today), ("fail_on", options.fail_on),
                        ("not_shown", str(options.not_shown))):
        ElementTree.SubElement(properties, "property", name=name, value=value)
    for file, kind in cases:
        case = ElementTree.SubElement(suite, "testcase", classname=kind, name=_xml(file), file=_xml(file), time="0")
        passing: list[str] = []
        for finding in by_file.get(file, []):
            if is_failing(finding, options.fail_on):
                failure = ElementTree.SubElement(case, "failure", type=finding.rule, message=_xml(finding.message))
                failure.text = _xml(finding_line(finding))
            else:
                passing.append(_xml(finding_line(finding)))
        if passing:
            ElementTree.SubElement(case, "system-out").text = "\n".join(passing)
    if result.notes:
        ElementTree.SubElement(suite, "system-out").text = _xml("\n".join(result.notes))
    ElementTree.indent(top)
    return ElementTree.tostring(top, encoding="unicode", xml_declaration=True) + "\n"
