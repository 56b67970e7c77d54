"""The audit of a period as text, JSON or Markdown: pure functions from an ``Audit`` to text."""

from __future__ import annotations

import json
from typing import Callable

from ap_lint.audit.breaches import Audit, Breach
from ap_lint.output.report.render import markdown_cell


def _days(count: object) -> str:
    return "-" if count is None else f"{count} day{'' if count == 1 else 's'}"


def _line(breach: Breach, end: str) -> str:
    f = breach.finding
    label = "waived" if f.is_waived else f.severity
    clause = f" ({f.clause})" if f.clause else ""
    closed = (f"closed {breach.closed} ({breach.closed_by.describe()})" if breach.closed and breach.closed_by
              else "still open")
    return (f"{f.file}: {label} [{f.rule}]{clause} opened {breach.opened} ({breach.opened_by.describe()}), "
            f"{closed}: {_days(breach.days_open(end))}. {f.message}")


def format_audit_text(audit: Audit) -> str:
    lines = [f"Breaches open at any time from {audit.start} to {audit.end}: {len(audit.breaches)}."]
    lines += [_line(b, audit.end) for b in audit.breaches]
    if audit.breaches:
        lines.append("By policy clause:")
        for clause, row in audit.summary().items():
            lines.append(f"  {clause}: {row['breaches']} breach{'' if row['breaches'] == 1 else 'es'}, "
                         f"{row['still_open']} still open; days to close: median "
                         f"{_days(row['median_days_to_close'])}, longest {_days(row['longest_days_to_close'])}.")
    lines += [f"note: {note}" for note in audit.notes]
    return "\n".join(lines) + "\n"


def format_audit_json(audit: Audit) -> str:
    return json.dumps(audit.as_dict(), indent=2, ensure_ascii=False) + "\n"


def format_audit_markdown(audit: Audit) -> str:
    lines = [f"## Breaches from {audit.start} to {audit.end}", "",
             f"{len(audit.breaches)} breach{'' if len(audit.breaches) == 1 else 'es'} open at any time in the period.",
             ""]
    if audit.breaches:
        lines += ["| rule | clause | severity | file | opened | by | closed | by | days open |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for b in audit.breaches:
            f = b.finding
            cells = [f.rule, f.clause or "", "waived" if f.is_waived else f.severity, f.file, b.opened,
                     b.opened_by.describe(), b.closed or "open", b.closed_by.describe() if b.closed_by else "",
                     str(b.days_open(audit.end))]
            lines.append("| " + " | ".join(markdown_cell(c) for c in cells) + " |")
        lines += ["", "| clause | breaches | still open | median days to close | longest |", "|---|---|---|---|---|"]
        for clause, row in audit.summary().items():
            cells = [clause, str(row["breaches"]), str(row["still_open"]), _days(row["median_days_to_close"]),
                     _days(row["longest_days_to_close"])]
            lines.append("| " + " | ".join(markdown_cell(c) for c in cells) + " |")
    lines += ["", *[f"_Note: {markdown_cell(n)}_" for n in audit.notes]]
    return "\n".join(lines).rstrip() + "\n"


AUDIT_FORMAT_BY_NAME: dict[str, Callable[[Audit], str]] = {
    "text": format_audit_text,
    "json": format_audit_json,
    "md": format_audit_markdown,
}
