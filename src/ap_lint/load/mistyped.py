"""What to say about a value of the wrong kind that is the right value written the wrong way.

A number or true/false in quotes, a list holding the one value a field takes, text holding ': ' that YAML read
as a field and its value: each is told how to write it, with the value so written as a fix. Nothing here knows
any record's fields; the field's name comes from the path.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import yaml

from ap_lint.findings import Fix, JsonPath

Told = tuple[str, tuple[Fix, ...]]


def mistyped(expected: Any, value: Any, path: JsonPath) -> Told | None:
    """The message and fixes for a ``type`` error (the schema ``expected`` that type, ``value`` is not of it) that
    is one of these mistakes; None otherwise (the field's own message, or the built one, then says it)."""
    wanted = {expected} if isinstance(expected, str) else set(expected) if isinstance(expected, list) else set()
    quoted = _quoted_scalar(wanted, value)
    if quoted is not None:
        title = f"Write {quoted}" if quoted in ("true", "false") else f"Write the number {quoted}"
        return (f"{_name(path, 'This value')} is written in quotes, so it is read as text: write {quoted} "
                "without quotes."), (Fix(title, quoted),)
    return _colon_text(wanted, value, path) or _list_for_one(wanted, value, path)


def _name(path: JsonPath, otherwise: str) -> str:
    return f"'{path[-1]}'" if path and isinstance(path[-1], str) else otherwise


_INTEGER_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_NUMBER_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def _quoted_scalar(wanted: set[str], value: Any) -> str | None:
    """How to write ``value``, text, as the number or true/false ``wanted``, where the text reads as
    one just as it is (88, 92.5, true): then it can only be text because it was written in quotes. None otherwise
    (a leading zero, 07, is text to YAML without quotes too)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if "integer" in wanted and _INTEGER_TEXT.fullmatch(text):
        return text
    if "number" in wanted and _NUMBER_TEXT.fullmatch(text):
        return text
    if "boolean" in wanted and text.lower() in ("true", "false"):
        return text.lower()
    return None


_SCALAR_TYPES = {"string", "integer", "number", "boolean"}


def _list_for_one(wanted: set[str], value: Any, path: JsonPath) -> Told | None:
    """What to say (and the fix) where one value is expected and a list of values was written: one, to be written
    alone, or several, of which one is meant. None where it is not a list of plain values."""
    if not wanted or not wanted <= _SCALAR_TYPES or not isinstance(value, list) or not value:
        return None
    if not all(isinstance(item, (str, int, float)) for item in value):  # bool is an int
        return None
    name = _name(path, "This value")
    if len(value) > 1:
        return (f"{name} holds a list of {len(value)} values, but it takes a single value: keep the one that is "
                "meant and write it on its own, without square brackets or dashes."), ()
    written = _yaml_scalar(value[0])
    return (f"{name} holds a list, but it takes a single value: write {written} on its own, without square brackets "
            f"or a dash."), (Fix(f"Write {written}", written),)


def _colon_text(wanted: set[str], value: Any, path: JsonPath) -> Told | None:
    """What to say (and the fix) where text is expected and YAML read a field and its value, because the text
    holds ': ' (- Note: see the plan). None where the value is no such one-field group."""
    if "string" not in wanted or not isinstance(value, dict) or len(value) != 1:
        return None
    [(key, rest)] = value.items()
    if not isinstance(key, str) or not isinstance(rest, (str, int, float)):
        return None
    text = f"{key}: {_yaml_scalar(rest) if isinstance(rest, bool) else rest}"
    quoted = json.dumps(text, ensure_ascii=False)
    shown = quoted if len(text) <= 80 else json.dumps(text[:79] + "…", ensure_ascii=False)
    name = _name(path, "This text")
    return (f"{name} contains ': ' (after '{key}'), so YAML reads it as a field and its value, not as text. "
            f"Put the whole text in quotes: {shown}."), (Fix(f"Put it in quotes: {shown}", quoted),)


def _yaml_scalar(value: Any) -> str:
    """``value`` (text, a number or true/false) as it is written in YAML to be read back as it is: plain where it
    can be, otherwise in double quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return str(value)
    try:
        read: Any = yaml.safe_load(value) if value and "\n" not in value else None
    except yaml.YAMLError:
        read = None
    if isinstance(read, datetime.date) and not isinstance(read, datetime.datetime):
        read = read.isoformat()  # the loader reads a date as its YYYY-MM-DD text
    return value if read == value else json.dumps(value, ensure_ascii=False)
