"""Findings: small immutable values that every stage produces and reporters read."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal, Union

Severity = Literal["error", "warning"]
PathPart = Union[str, int]
JsonPath = tuple[PathPart, ...]

SEVERITY_ORDER = {"warning": 1, "error": 2}


def format_path(path: JsonPath) -> str:
    """Render a JSON path the way an editor of the YAML reads it: ``reviews[2].date``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@functools.lru_cache(maxsize=4096)
def parse_path(text: str) -> JsonPath:
    """Parse ``reviews[2].date`` back into ``("reviews", 2, "date")`` (remembered: rules name the same paths
    for every record)."""
    parts: list[PathPart] = []
    for dotted in text.replace("]", "").split("."):
        if not dotted:
            continue
        name, *indexes = dotted.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indexes if i != "")
    return tuple(parts)


@dataclass(frozen=True, order=True)
class Fix:
    """A mechanical fix a finding carries: replace the value it points at (or its key) with ``text``.

    Editors offer it as a quick fix; ``title`` says what it does in plain English.
    """

    title: str
    text: str
    target: Literal["value", "key"] = "value"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem on one record: what, where, which rule, how bad.

    ``line`` and ``column`` are 1-based; 0 means "not yet located" (the engine
    locates findings on demand, reading positions only for files with findings).
    ``waived_by`` names the waiver that turns an error into a reported note.
    ``fixes`` are mechanical fixes an editor can offer (not part of the finding's identity).
    """

    file: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str
    clause: str | None = None
    path: JsonPath = field(default=())
    waived_by: str | None = None
    record: str | None = None
    #: locate the finding at its field's name rather than its value (a field that should not be there)
    at_key: bool = field(default=False, compare=False)
    fixes: tuple[Fix, ...] = field(default=(), compare=False)

    @property
    def path_text(self) -> str:
        return format_path(self.path)

    @property
    def is_waived(self) -> bool:
        return self.waived_by is not None

    def as_dict(self) -> dict[str, object]:
        """The stable JSON shape of a finding."""
        result: dict[str, object] = {
            "rule": self.rule,
            "clause": self.clause,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path_text,
            "message": self.message,
        }
        if self.waived_by is not None:
            result["waived_by"] = self.waived_by
        if self.record is not None:
            result["record"] = self.record
        return result
