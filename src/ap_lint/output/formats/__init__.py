"""Formatters: pure functions from a check result to text, chosen by name.

Adding a format means adding one module here and one entry in ``REPORTER_BY_NAME``. Every format shows the
same findings; which of them *fail* the run depends on ``ReportOptions.fail_on`` (``is_failing``), and the
CLI's exit code is decided from the same function.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Callable

from ap_lint.output.formats.common import (
    ReportOptions, failing_findings, finding_line, is_failing, summary, summary_line,
)

if TYPE_CHECKING:
    from ap_lint.checker import CheckResult
    from ap_lint.output.formats.github import (format_github, github_annotation, github_escape_data,
                                               github_escape_property)
    from ap_lint.output.formats.json import format_json
    from ap_lint.output.formats.junit import format_junit
    from ap_lint.output.formats.sarif import format_sarif
    from ap_lint.output.formats.text import format_text


Reporter = Callable[["CheckResult", ReportOptions], str]

#: each public name with the module that defines it: a format's module (and what it imports, such as an XML
#: library) is imported only when that format is used, so a check that prints text never pays for the others
_DEFINED_IN = {
    "format_text": "text", "format_json": "json", "format_sarif": "sarif", "format_github": "github",
    "format_junit": "junit", "github_annotation": "github", "github_escape_data": "github",
    "github_escape_property": "github",
}


def __getattr__(name: str) -> Any:
    if name not in _DEFINED_IN:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_DEFINED_IN[name]}"), name)


def _reporter(name: str) -> Reporter:
    def report(result: "CheckResult", options: ReportOptions) -> str:
        return __getattr__(f"format_{name}")(result, options)

    report.__name__ = report.__qualname__ = f"format_{name}"
    return report


REPORTER_BY_NAME: dict[str, Reporter] = {name: _reporter(name) for name in ("text", "json", "sarif", "github", "junit")}


__all__ = ["REPORTER_BY_NAME", "ReportOptions", "Reporter", "failing_findings", "finding_line", "format_github",
           "format_json", "format_junit", "format_sarif", "format_text", "github_annotation", "github_escape_data",
           "github_escape_property", "is_failing", "summary", "summary_line"]
