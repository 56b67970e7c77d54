"""Clause ids, checked where they are written: each once in the policy, and each one a schema cites in the policy.

A clause id marked twice in the policy document would quote one of the two sentences for both; a schema's
``x-clause`` (or ``x-unknown-field``'s ``clause``) the policy does not have would cite a clause nobody can
read. Either stops the run at its line, as a rule's unknown ``clause:`` does.
"""

from __future__ import annotations

from typing import Any, Iterator

from ap_lint.errors import PolicyPackError
from ap_lint.findings import JsonPath
from ap_lint.load.positions import compose_positions, locate
from ap_lint.load.syntax import position_of_offset


def refuse_repeated_clause_ids(text: str, file: str, pattern: Any) -> None:
    """Stop at the second marker of a clause id the policy document ``text`` (``file``) marks twice."""
    first: dict[str, int] = {}
    for match in pattern.finditer(text):
        clause_id = match.group(1)
        line, column = position_of_offset(text, match.start())
        if clause_id in first:
            raise PolicyPackError(f"clause id '{clause_id}' appears twice in the policy (lines {first[clause_id]} and "
                                  f"{line}): each clause needs its own id.", file=file, line=line, column=column)
        first[clause_id] = line


def _cited(node: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, str, Any]]:
    """Each clause a schema cites: where its value is, how to call it, the id."""
    if isinstance(node, dict):
        if "x-clause" in node:
            yield path + ("x-clause",), "x-clause", node["x-clause"]
        unknown = node.get("x-unknown-field")
        if isinstance(unknown, dict) and "clause" in unknown:
            yield path + ("x-unknown-field", "clause"), "x-unknown-field.clause", unknown["clause"]
        for key, value in node.items():
            yield from _cited(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _cited(value, path + (index,))


def refuse_unknown_schema_clauses(schema: Any, raw: bytes, file: str, clauses: set[str]) -> None:
    """Stop at the first clause the schema ``file`` cites that the policy does not have."""
    for at, name, clause_id in _cited(schema):
        if clause_id is None or clause_id in clauses:
            continue
        line, column = locate(compose_positions(raw.decode("utf-8", errors="replace")), at)
        raise PolicyPackError(f"{name} '{clause_id}' is not in the policy ({', '.join(sorted(clauses))}): use one "
                              f"of these, or mark the clause in the policy with {{#{clause_id}}}.",
                              file=file, line=line, column=column)
