"""Formatters: pure functions from a check result to text, chosen by name.

Adding a format means adding one module here and one entry in ``REPORTER_BY_NAME``. Every format shows the
same findings; which of them *fail* the run depends on ``ReportOptions.fail_on`` (``is_failing``), and the
CLI's exit code is decided from the same function.
"""

from __future__ import annotations

from typing import Callable

from ap_lint.checker import CheckResult
from ap_lint.output.formats.common import (
    ReportOptions, failing_findings, finding_line, is_failing, summary, summary_line,
)
from ap_lint.output.formats.github import format_github, github_annotation, github_escape_data, github_escape_property
from ap_lint.output.formats.json import format_json
from ap_lint.output.formats.junit import format_junit
from ap_lint.output.formats.sarif import format_sarif
from ap_lint.output.formats.text import format_text


Reporter = Callable[[CheckResult, ReportOptions], str]

REPORTER_BY_NAME: dict[str, Reporter] = {
    "text": format_text,
    "json": format_json,
    "sarif": format_sarif,
    "github": format_github,
    "junit": format_junit,
}


__all__ = ["REPORTER_BY_NAME", "ReportOptions", "Reporter", "failing_findings", "finding_line", "format_github",
           "format_json", "format_junit", "format_sarif", "format_text", "github_annotation", "github_escape_data",
           "github_escape_property", "is_failing", "summary", "summary_line"]
