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


#: characters that look like nothing, or like an ordinary space or quote, and what to call them
_UNSEEN = {"\u00a0": "a non-breaking space", "\u200b": "a zero-width space", "\u200c": "a zero-width non-joiner",
           "\u200d": "a zero-width joiner", "\u2060": "a word joiner", "\ufeff": "a zero-width no-break space",
           "\u202f": "a narrow non-breaking space", "\u2007": "a figure space", "\u2009": "a thin space",
           "\u00ad": "a soft hyphen"}
_CURLY = "\u2018\u2019\u201c\u201d"


def unseen(keyword: str, expected: Any, value: Any, path: JsonPath) -> Told | None:
    """What to say (and the fix) where a value breaks ``keyword`` (enum, const or pattern) only because of
    characters that cannot be seen (a non-breaking or zero-width space) or curly quotes around it, as text pasted
    from a document or an e-mail holds them. None where the value without them is wrong too."""
    if not isinstance(value, str):
        return None
    hidden = sorted({char for char in value if char in _UNSEEN})
    clean = "".join(" " if char in _UNSEEN and char not in "\u200b\u200c\u200d\u2060\ufeff\u00ad" else
                     "" if char in _UNSEEN else char for char in value).strip()
    curly = len(clean) >= 2 and clean[0] in _CURLY and clean[-1] in _CURLY
    if curly:
        clean = clean[1:-1].strip()
    if (not hidden and not curly) or not clean or not _passes(keyword, expected, clean):
        return None
    what = [f"{_UNSEEN[char]} (U+{ord(char):04X})" for char in hidden] + (["curly quotes"] if curly else [])
    listed = what[0] if len(what) == 1 else ", ".join(what[:-1]) + " and " + what[-1]
    written = _yaml_scalar(clean)
    return (f"{_name(path, 'This value')} holds {listed}, which you may not see; text copied from a document or an "
            f"e-mail often carries them. Delete it and type it again: '{clean}'."), (Fix(f"Write {written}", written),)


def _passes(keyword: str, expected: Any, value: str) -> bool:
    if keyword == "enum":
        return isinstance(expected, list) and value in expected
    if keyword == "const":
        return value == expected
    if keyword == "pattern":
        try:
            return isinstance(expected, str) and re.search(expected, value) is not None
        except re.error:
            return False
    return False
