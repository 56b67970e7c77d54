"""Locating findings: a line and column for every finding that has only a path, read from the file's text.

Only files that have findings are read again.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable, Sequence

from ap_lint.findings import Finding
from ap_lint.load.positions import compose_positions, locate


def read_text(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError):
        return None


_KEY_BEFORE_VALUE = re.compile(r"[^\s,\[\]{}#'\"]+[ \t]*:[ \t]*$")


def _already_reported(columns: Sequence[int], line_text: list[str], column: int) -> bool:
    """Whether the loader reported this value (2026-02-30), or its key on the same line (`on:`, read as true).

    Records with loader problems are never evaluated by rules, so such a finding is a structural one (the
    schema's, or a rule the schema names) about a value the user must rewrite anyway.
    """
    text = line_text[0] if line_text else ""
    return any(c == column or (c < column and _KEY_BEFORE_VALUE.match(text, c - 1, column - 1))
               for c in columns)


def locate_findings(findings: list[Finding], text_of: Callable[[str], str | None],
                    offsets: dict[str, int]) -> list[Finding]:
    """Give every unlocated finding its line and column, reading only the files that have findings."""
    by_file: dict[str, list[Finding]] = {}
    located: list[Finding] = []
    for finding in findings:
        (by_file.setdefault(finding.file, []) if finding.line == 0 else located).append(finding)
    taken: dict[tuple[str, int], list[int]] = {}
    for f in located:
        taken.setdefault((f.file, f.line), []).append(f.column)
    for file, pending in by_file.items():
        text = text_of(file)
        offset = offsets.get(file, 0)
        if text is not None and offset:
            text = text.split("\n---", 1)[0].partition("\n")[2]
        root = compose_positions(text) if text is not None else None
        lines = text.split("\n") if text is not None else []
        for finding in pending:
            line, column = locate(root, finding.path, key=finding.at_key)
            line += offset
            if _already_reported(taken.get((file, line), ()), lines[line - offset - 1:line - offset], column):
                continue
            located.append(dataclasses.replace(finding, line=line, column=column))
    return sorted(located, key=lambda f: (f.file, f.line, f.column, f.rule, f.message))
