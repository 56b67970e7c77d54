"""What changed between two versions of a record, field by field, in words a person reads."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from ap_lint.findings import JsonPath, format_path

#: the longest a value is shown in a message
_TEXT_LIMIT = 60


@dataclass(frozen=True)
class FieldChange:
    """One field-level difference between two versions of a record."""

    path: JsonPath
    kind: str  # "changed", "added" or "removed"
    before: Any = None
    after: Any = None

    @property
    def text(self) -> str:
        """``status: active → completed``, ``reviews[2] added``, ``ended.date added: 2026-12-18``."""
        where = format_path(self.path) or "(the record)"
        if self.kind == "changed":
            return f"{where}: {show(self.before)} → {show(self.after)}"
        value = self.after if self.kind == "added" else self.before
        if isinstance(value, (dict, list)) or (self.path and isinstance(self.path[-1], int)):
            return f"{where} {self.kind}"
        return f"{where} added: {show(value)}" if self.kind == "added" else f"{where} removed (was {show(value)})"

    def as_dict(self) -> dict[str, Any]:
        return {"path": format_path(self.path), "change": self.kind, "before": self.before, "after": self.after,
                "text": self.text}


def show(value: Any) -> str:
    """A value as a short piece of text for a message."""
    if value is None:
        text = "(none)"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = " ".join(value.split())
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT - 1] + "…"


def diff_values(before: Any, after: Any, path: JsonPath = ()) -> list[FieldChange]:
    """The field-level changes from ``before`` to ``after``; list items are matched, not compared by position."""
    if before == after:
        return []
    if after is None:
        return [FieldChange(path, "removed", before=before)]
    if before is None:
        if not isinstance(after, dict):
            return [FieldChange(path, "added", after=after)]
        before = {}
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[FieldChange] = []
        for key, value in after.items():
            changes.extend(diff_values(before.get(key, {} if isinstance(value, dict) else None), value,
                                       path + (key,)))
        changes.extend(FieldChange(path + (key,), "removed", before=value) for key, value in before.items()
                       if key not in after)
        return changes
    if isinstance(before, list) and isinstance(after, list):
        return _diff_lists(before, after, path)
    return [FieldChange(path, "changed", before, after)]


def _diff_lists(before: list[Any], after: list[Any], path: JsonPath) -> list[FieldChange]:
    def key(item: Any) -> str:
        return json.dumps(item, sort_keys=True, ensure_ascii=False)

    changes: list[FieldChange] = []
    matcher = difflib.SequenceMatcher(a=[key(i) for i in before], b=[key(i) for i in after], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for offset in range(paired):
            changes.extend(diff_values(before[i1 + offset], after[j1 + offset], path + (j1 + offset,)))
        changes.extend(FieldChange(path + (i,), "removed", before=before[i]) for i in range(i1 + paired, i2))
        changes.extend(FieldChange(path + (j,), "added", after=after[j]) for j in range(j1 + paired, j2))
    return changes
