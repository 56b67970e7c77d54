"""Dated settings: a setting whose value changed on a date, so each rule reads the value in force on its own date.

A setting in ``rules/settings.yaml`` holds its current ``value``; it may also say
the day that value came into force (``from``) and list the values it held
before, each with the last day it applied (``earlier``: ``{value, from?, until}``,
oldest first). A rule reads ``settings`` as they stood on the date it judges by:
its ``effective.date`` (a decision's date, say), else the day of the check. So a
re-ratified policy that tightens a threshold does not turn earlier decisions red.

The periods are checked when the pack is loaded (``period_problems``); a rule's
expressions get the dated values through ``judged_settings``, which binds
``settings`` around them as ``settings_on(settings, <the periods>, <its date>)`` (a helper in
``evaluate/functions.py``).
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ap_lint.evaluate.expressions import used_variables

def periods(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """A setting's values, oldest first, each ``{value, from, until}`` ('' where the period is open)."""
    found = [{"value": e.get("value"), "from": e.get("from", ""), "until": e.get("until", "")}
             for e in entry.get("earlier") or []]
    return [*found, {"value": entry.get("value"), "from": entry.get("from", ""), "until": ""}]


def dated_settings(settings_docs: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The settings that changed over time (those with ``from`` or ``earlier``), each with its periods."""
    return {name: periods(entry) for name, entry in settings_docs.items() if "from" in entry or entry.get("earlier")}


def period_problems(entry: dict[str, Any]) -> list[tuple[str, tuple[str | int, ...]]]:
    """What is wrong with a setting's periods, each with where (a path within the setting): a period that ends
    before it starts, or one that does not end before the next starts."""
    problems: list[tuple[str, tuple[str | int, ...]]] = []
    found = periods(entry)
    for index, (period, after) in enumerate(zip(found, found[1:])):
        at: tuple[str | int, ...] = ("earlier", index)
        if period["from"] and period["from"] > period["until"]:
            problems.append((f"the value {json.dumps(period['value'])} applies from {period['from']} until "
                             f"{period['until']}, which is earlier: correct from or until", (*at, "until")))
        start = after["from"]
        if start and start <= period["until"]:
            where = ("from",) if index + 1 == len(found) - 1 else ("earlier", index + 1, "from")
            problems.append((f"the value {json.dumps(after['value'])} applies from {start}, but the one before "
                             f"it still applies until {period['until']}: a period must end before the next starts",
                             where))
    return problems


def judged_settings(dated: dict[str, list[dict[str, Any]]], document: dict[str, Any],
                    variables: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """A rule's variables with ``settings`` bound to the values in force on the date the rule judges by (its
    ``effective.date``, else today), placed after the variables that date uses. Unchanged without dated
    settings."""
    if not dated:
        return tuple(variables)
    date = str((document.get("effective") or {}).get("date") or "today")
    needed = {name for name, _ in used_variables(variables, date)}
    after = max((index + 1 for index, (name, _) in enumerate(variables) if name in needed), default=0)
    binding = ("settings", f"settings_on(settings, {json.dumps(dated, sort_keys=True)}, ({date}))")
    return (*variables[:after], binding, *variables[after:])
