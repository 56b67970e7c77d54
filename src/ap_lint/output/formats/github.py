"""GitHub Actions workflow commands: annotations on the pull request's diff."""

from __future__ import annotations

from ap_lint.checker import CheckResult
from ap_lint.findings import Finding
from ap_lint.output.formats.common import TOOL_NAME, ReportOptions, summary_line, visible_result


def github_escape_data(text: str) -> str:
    """Escape a workflow command's message: ``%``, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_escape_property(text: str) -> str:
    """Escape a workflow command's property value: as data, plus ``:`` and ``,``."""
    return github_escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning"}


def github_annotation(finding: Finding) -> str:
    """``::error file=…,line=…,col=…,title=…::message``: one finding as one annotation."""
    level = "notice" if finding.is_waived else _GITHUB_LEVEL[finding.severity]
    title = f"{TOOL_NAME} {finding.rule}" + (f" ({finding.clause})" if finding.clause else "")
    message = finding.message + (f" (policy clause {finding.clause})" if finding.clause else "")
    if finding.waived_by:
        message += f" [waived by {finding.waived_by}]"
    properties = {"file": finding.file, "line": str(max(1, finding.line)), "col": str(max(1, finding.column)),
                  "title": title}
    rendered = ",".join(f"{name}={github_escape_property(value)}" for name, value in properties.items())
    return f"::{level} {rendered}::{github_escape_data(message)}"


def format_github(result: CheckResult, options: ReportOptions) -> str:
    """One workflow command per finding, the notes as notices, then the summary line as plain log text."""
    result = visible_result(result)
    lines = [github_annotation(f) for f in result.findings]
    lines.extend(f"::notice title={github_escape_property(TOOL_NAME)}::{github_escape_data(note)}"
                 for note in result.notes)
    lines.append(summary_line(result, options))
    return "\n".join(lines) + "\n"
