"""CEL's compile errors in words a rule's author can act on, without the parser's vocabulary.

CEL says ``at 1:24: Syntax error: extraneous input ')' expecting <EOF>``; a policy owner needs "there is a ')'
that no '(' opened". ``plain_error`` turns the common mistakes (a misspelt name or function, ``and`` for
``&&``, ``=`` for ``==``, a bracket or quote left open) into that, with the text near the mistake, and keeps
CEL's own words for the rest.
"""

from __future__ import annotations

import difflib
import re
from typing import Iterable

_AT = re.compile(r"^at (\d+):(\d+): ")
_UNDECLARED = re.compile(r"undeclared reference to '([^']*)'")
_UNEXPECTED = re.compile(r"(?:extraneous|mismatched) input '((?:[^'\\]|\\.)*)'")
_TOKEN = re.compile(r"token recognition error at: '(.*)'$")
#: functions CEL itself has, besides the ones a pack's engine declares
_BUILTINS = ("size", "has", "matches", "contains", "startsWith", "endsWith", "int", "uint", "double", "string",
             "bool", "type", "duration", "timestamp", "exists", "all", "exists_one", "map", "filter", "orValue",
             "hasValue", "lowerAscii", "upperAscii", "replace", "split", "join", "trim", "indexOf", "substring")
_WORDS = {"and": "&&", "or": "||", "not": "!", "AND": "&&", "OR": "||", "NOT": "!"}


def plain_error(message: str, source: str, names: Iterable[str], functions: Iterable[str]) -> str:
    """``message`` (CEL's first line, ``at L:C: ...``) about ``source``, in plain words with the text near it."""
    found = _AT.match(message)
    detail = message[found.end():] if found else message
    near = _near(source, int(found.group(1)), int(found.group(2))) if found else ""
    undeclared = _UNDECLARED.search(detail)
    if undeclared:
        return _unknown_name(undeclared.group(1), source, list(names), [*functions, *_BUILTINS])
    unexpected = _UNEXPECTED.search(detail)
    token = _TOKEN.search(detail)
    if "missing ')'" in detail:
        said = "a '(' is not closed: add the ')' that closes it"
    elif unexpected and unexpected.group(1) in _WORDS:
        word = unexpected.group(1)
        said = f"'{word}' is not a word CEL knows: write && for and, || for or, and ! for not"
    elif unexpected and unexpected.group(1) == "<EOF>":
        said = "the expression stops before it is complete: something is missing after its last operator or comma"
    elif unexpected and unexpected.group(1) in (")", "]", "}"):
        closing = unexpected.group(1)
        said = f"there is a '{closing}' that nothing opened: remove it, or add the bracket it closes"
    elif token and token.group(1).startswith("="):
        said = "a single '=' does not compare: write == (or != for not equal)"
    elif token and token.group(1)[:1] in ("'", '"'):
        said = "a quote is not closed: end the text with the quote it starts with"
    else:
        said = f"CEL cannot read it ({detail.removeprefix('Syntax error: ')})"
    return said + (f", near {near}" if near else "")


def _unknown_name(reference: str, source: str, names: list[str], functions: list[str]) -> str:
    first = reference.split(".")[0]
    called = re.search(rf"(?<![\w.]){re.escape(first)}\s*\(", source) is not None
    known = functions if called else names
    close = difflib.get_close_matches(first, known, n=1, cutoff=0.6)
    meant = f" Did you mean '{close[0]}'?" if close else ""
    if called:
        return f"'{first}' is not a function rules can call.{meant} docs/rules.md lists the helper functions"
    return (f"'{first}' is not a name this rule can read.{meant} The names it can read are: "
            f"{', '.join(sorted(names))}")


def _near(source: str, line: int, column: int) -> str:
    """A few characters of ``source`` around line ``line``, column ``column`` (1-based), quoted."""
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1]
    at = min(max(column - 1, 0), len(text))
    piece = " ".join(text[max(0, at - 12):at + 8].split())
    return f"'{piece}'" if piece else ""
