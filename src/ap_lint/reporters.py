"""Formatters: pure functions from a check result to text, chosen by name.

Adding a format means adding one function here and one entry in
``REPORTER_BY_NAME``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from ap_lint.checker import CheckResult
from ap_lint.findings import Finding


@dataclass(frozen=True)
class ReportOptions:
    """How to render: colour (text only) and which findings count as failing."""

    color: bool = False
    fail_on: str = "error"


_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "waived": "\033[36m", "bold": "\033[1m", "dim": "\033[2m",
            "green": "\033[32m", "reset": "\033[0m"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(result: CheckResult) -> dict[str, object]:
    """Counts that every format reports the same way."""
    return {
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "waived": len(result.waived),
        "records": len(result.records),
        "records_by_kind": result.counts_by_kind(),
        "today": result.today,
        "passed": not result.errors,
    }


def finding_line(finding: Finding, color: bool = False) -> str:
    """``file:line:col: severity [rule] message (clause)``: one finding as one line."""
    label = "waived" if finding.is_waived else finding.severity
    clause = f" ({finding.clause})" if finding.clause else ""
    waiver = f" [waiver {finding.waived_by}]" if finding.waived_by else ""
    where = f"{finding.file}:{finding.line}:{finding.column}:"
    if color:
        paint = _COLOURS[label]
        return (f"{_COLOURS['bold']}{where}{_COLOURS['reset']} {paint}{label}{_COLOURS['reset']} "
                f"[{finding.rule}] {finding.message}{_COLOURS['dim']}{clause}{waiver}{_COLOURS['reset']}")
    return f"{where} {label} [{finding.rule}] {finding.message}{clause}{waiver}"


def summary_line(result: CheckResult) -> str:
    records = _plural(len(result.records), "record")
    parts = [_plural(len(result.errors), "error"), _plural(len(result.warnings), "warning")]
    if result.waived:
        parts.append(f"{len(result.waived)} waived")
    verdict = "Failed" if result.errors else "Passed"
    return f"{verdict}: {', '.join(parts)} in {records} (today is {result.today})."


def format_text(result: CheckResult, options: ReportOptions) -> str:
    lines = [finding_line(f, options.color) for f in result.findings]
    lines.extend(f"note: {note}" for note in result.notes)
    closing = summary_line(result)
    if options.color:
        closing = f"{_COLOURS['error' if result.errors else 'green']}{closing}{_COLOURS['reset']}"
    lines.append(closing)
    return "\n".join(lines) + "\n"


def format_json(result: CheckResult, options: ReportOptions) -> str:
    document = {
        "findings": [f.as_dict() for f in result.findings],
        "notes": result.notes,
        "summary": summary(result),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


Reporter = Callable[[CheckResult, ReportOptions], str]

REPORTER_BY_NAME: dict[str, Reporter] = {
    "text": format_text,
    "json": format_json,
}
