"""The text format: one line per finding, notes, and a closing verdict (colour on a terminal)."""

from __future__ import annotations

from ap_lint.checker import CheckResult
from ap_lint.output.formats.common import (
    COLOURS, ReportOptions, failing_findings, finding_line, summary_line, visible_result,
)


def format_text(result: CheckResult, options: ReportOptions) -> str:
    result = visible_result(result)
    lines = [finding_line(f, options.color) for f in result.findings]
    lines.extend(f"note: {note}" for note in result.notes)
    closing = summary_line(result, options)
    if options.color:
        closing = f"{COLOURS['error' if failing_findings(result, options.fail_on) else 'green']}{closing}" \
                  f"{COLOURS['reset']}"
    lines.append(closing)
    return "\n".join(lines) + "\n"
