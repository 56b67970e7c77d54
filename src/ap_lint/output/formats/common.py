"""What every format shares: the options, which findings fail the run, the counts, and one finding as a line."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ap_lint.checker import CheckResult
from ap_lint.findings import SEVERITY_ORDER, Finding
from ap_lint.output.escape import visible


TOOL_NAME = "ap-lint"


@dataclass(frozen=True)
class ReportOptions:
    """How to render: colour (text only), which findings fail the run, and the scope of a scoped run.

    ``scope`` is the set of files a scoped run reports on (None: the whole
    register); ``not_shown`` is how many findings the scope left out.
    """

    color: bool = False
    fail_on: str = "error"
    scope: frozenset[str] | None = None
    not_shown: int = 0


COLOURS = {"error": "\033[31m", "warning": "\033[33m", "waived": "\033[36m", "bold": "\033[1m", "dim": "\033[2m",
            "green": "\033[32m", "reset": "\033[0m"}


def visible_finding(finding: Finding) -> Finding:
    """``finding`` with every text it shows passed through ``visible``."""
    return dataclasses.replace(
        finding, file=visible(finding.file), rule=visible(finding.rule), message=visible(finding.message),
        clause=None if finding.clause is None else visible(finding.clause),
        path=tuple(visible(p) if isinstance(p, str) else p for p in finding.path),
        waived_by=None if finding.waived_by is None else visible(finding.waived_by),
        record=None if finding.record is None else visible(finding.record))


def visible_result(result: CheckResult) -> CheckResult:
    """``result`` as every format shows it: each finding and note with its control characters escaped.

    Every format starts from this, so no value can break a line, drive a terminal or forge a CI command.
    """
    return dataclasses.replace(result, findings=[visible_finding(f) for f in result.findings],
                               notes=[visible(note) for note in result.notes])


def plural_s(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def is_failing(finding: Finding, fail_on: str = "error") -> bool:
    """Whether ``finding`` fails the run at threshold ``fail_on`` (``error`` or ``warning``); waived never does."""
    return not finding.is_waived and SEVERITY_ORDER[finding.severity] >= SEVERITY_ORDER[fail_on]


def failing_findings(result: CheckResult, fail_on: str = "error") -> list[Finding]:
    """The findings that fail the run at threshold ``fail_on``."""
    return [f for f in result.findings if is_failing(f, fail_on)]


def summary(result: CheckResult, options: ReportOptions | None = None) -> dict[str, object]:
    """Counts that every format reports the same way: shown (all findings reported) and failing."""
    options = options or ReportOptions()
    failing = len(failing_findings(result, options.fail_on))
    return {
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "waived": len(result.waived),
        "shown": len(result.findings),
        "failing": failing,
        "fail_on": options.fail_on,
        "not_shown": options.not_shown,
        "records": len(result.records),
        "records_by_kind": result.counts_by_kind(),
        "today": result.today,
        "passed": not failing,
    }


def finding_line(finding: Finding, color: bool = False) -> str:
    """``file:line:col: severity [rule] message (clause)``: one finding as one line."""
    label = "waived" if finding.is_waived else finding.severity
    clause = f" ({finding.clause})" if finding.clause else ""
    waiver = f" [waiver {finding.waived_by}]" if finding.waived_by else ""
    where = f"{finding.file}:{finding.line}:{finding.column}:"
    if color:
        paint = COLOURS[label]
        return (f"{COLOURS['bold']}{where}{COLOURS['reset']} {paint}{label}{COLOURS['reset']} "
                f"[{finding.rule}] {finding.message}{COLOURS['dim']}{clause}{waiver}{COLOURS['reset']}")
    return f"{where} {label} [{finding.rule}] {finding.message}{clause}{waiver}"


def summary_line(result: CheckResult, options: ReportOptions | None = None) -> str:
    """``Failed: 2 failing of 3 shown (2 errors, 1 warning) with --fail-on error, in 19 records (today is …).``"""
    options = options or ReportOptions()
    failing = len(failing_findings(result, options.fail_on))
    parts = [plural_s(len(result.errors), "error"), plural_s(len(result.warnings), "warning")]
    if result.waived:
        parts.append(f"{len(result.waived)} waived")
    verdict = "Failed" if failing else "Passed"
    return (f"{verdict}: {failing} failing of {len(result.findings)} shown ({', '.join(parts)}) "
            f"with --fail-on {options.fail_on}, in {plural_s(len(result.records), 'record')} "
            f"(today is {result.today}).")
