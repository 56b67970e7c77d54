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

import datetime
import json
import re
from typing import Any, Sequence

from ap_lint.evaluate.expressions import RULE_CEL_KEYS, used_variables

#: the context variable a rule reads settings through
SETTINGS = "settings"
_READ = re.compile(r"\bsettings\b(\s*\.\s*[A-Za-z_]\w*|\s*\.\s*\?|\s*\[)?")


def _day_after(day: str) -> str:
    try:
        return (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()
    except ValueError:
        return ""


def periods(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """A setting's values, oldest first, each ``{value, from, until}`` ('' where the period is open). A value
    without ``from`` applies from the day after the one before it ends."""
    found: list[dict[str, Any]] = []
    for earlier in [*(entry.get("earlier") or []), {"value": entry.get("value"), "from": entry.get("from")}]:
        start = earlier.get("from") or (_day_after(found[-1]["until"]) if found and found[-1]["until"] else "")
        found.append({"value": earlier.get("value"), "from": start, "until": earlier.get("until") or ""})
    return found


def dated_settings(settings_docs: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The settings that changed over time (those with ``earlier`` values), each with its periods."""
    return {name: periods(entry) for name, entry in settings_docs.items() if entry.get("earlier")}


def period_problems(entry: dict[str, Any]) -> list[tuple[str, tuple[str | int, ...]]]:
    """What is wrong with a setting's periods, each with where (a path within the setting): ``from`` with no
    earlier value, a period that ends before it starts, or one that does not start the day after the one before
    it ends (an overlap, or days with no value)."""
    if "from" in entry and not entry.get("earlier"):
        return [(f"from says the value {json.dumps(entry.get('value'))} applies from {entry['from']}, but no "
                 "earlier value says what applied before: list it under earlier (value and until), or remove from",
                 ("from",))]
    problems: list[tuple[str, tuple[str | int, ...]]] = []
    written = [*(entry.get("earlier") or []), {"value": entry.get("value"), "from": entry.get("from")}]
    found = periods(entry)

    def where(index: int, key: str) -> tuple[str | int, ...]:
        return (key,) if index == len(found) - 1 else ("earlier", index, key)

    for index, period in enumerate(found):
        value = json.dumps(period["value"])
        if period["from"] and period["until"] and period["from"] > period["until"]:
            implied = "" if written[index].get("from") else " (the day after the one before it ends)"
            problems.append((f"the value {value} applies from {period['from']}{implied} until {period['until']}, "
                             "which is earlier: list the values oldest first, and correct from or until",
                             where(index, "until")))
        if index == 0 or not written[index].get("from"):
            continue
        before, expected = found[index - 1], _day_after(found[index - 1]["until"])
        if period["from"] <= before["until"]:
            problems.append((f"the value {value} applies from {period['from']}, but the one before it still "
                             f"applies until {before['until']}: make it apply from {expected}", where(index, "from")))
        elif period["from"] != expected:
            problems.append((f"the value {value} applies from {period['from']}, but the one before it ends on "
                             f"{before['until']}, so the days between have no value: make it apply from {expected} "
                             "(or leave from out: the day after the one before ends is meant)", where(index, "from")))
    return problems


def dated_read(dated: dict[str, list[dict[str, Any]]], text: str) -> list[str]:
    """The dated settings that CEL ``text`` reads (every one, where it reads ``settings`` other than by name)."""
    names: list[str] = []
    for found in _READ.finditer(text):
        step = (found.group(1) or "").replace(" ", "").lstrip(".")
        if not step or step.startswith(("?", "[")):
            return sorted(dated)
        if step in dated and step not in names:
            names.append(step)
    return names


def settings_read(dated: dict[str, list[dict[str, Any]]], document: dict[str, Any],
                  variables: Sequence[tuple[str, str]]) -> list[str]:
    """The dated settings a rule (its document and its variables, less the binding ``judged_settings`` adds)
    reads."""
    texts = [str(document.get(key, "")) for key in RULE_CEL_KEYS]
    texts += [expression for name, expression in variables if name != SETTINGS]
    return dated_read(dated, " ".join(texts))


def describe(found: list[dict[str, Any]]) -> str:
    """A setting's periods in words: ``8 until 2026-08-31, then 28``."""
    parts = [json.dumps(found[0]["value"]) + (f" until {found[0]['until']}" if len(found) > 1 else "")]
    parts += [f"{json.dumps(p['value'])} from {p['from']}" + (f" until {p['until']}" if p["until"] else "")
              for p in found[1:]]
    return ", then ".join(parts)


def judged_settings(dated: dict[str, list[dict[str, Any]]], document: dict[str, Any],
                    variables: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """A rule's variables with ``settings`` bound to the values in force on the date the rule judges by (its
    ``effective.date``, else today), placed after the variables that date uses; unchanged for a rule that reads
    no dated setting."""
    read = settings_read(dated, document, variables)
    if not read:
        return tuple(variables)
    date = str((document.get("effective") or {}).get("date") or "today")
    needed = {name for name, _ in used_variables(variables, date)}
    after = max((index + 1 for index, (name, _) in enumerate(variables) if name in needed), default=0)
    table = json.dumps({name: dated[name] for name in read}, sort_keys=True)
    binding = (SETTINGS, f"settings_on(settings, {table}, ({date}))")
    return (*variables[:after], binding, *variables[after:])
