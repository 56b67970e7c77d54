"""The JSON format: every finding (with whether it fails the run), the notes and the summary."""

from __future__ import annotations

import json

from ap_lint.checker import CheckResult
from ap_lint.output.formats.common import ReportOptions, is_failing, summary, visible_result


def format_json(result: CheckResult, options: ReportOptions) -> str:
    result = visible_result(result)
    document = {
        "findings": [{**f.as_dict(), "failing": is_failing(f, options.fail_on)} for f in result.findings],
        "notes": result.notes,
        "summary": summary(result, options),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
