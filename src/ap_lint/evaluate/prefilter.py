"""What every match of a regular expression must contain: cheap tests that rule a pattern out.

Python's regular expressions try a pattern at every position of the text; a pattern that opens with a
look-behind (as the privacy scans do) cannot skip ahead, so each search of a long text costs tens of
microseconds even when nothing is there. But most patterns cannot match without some character: an
e-mail address needs an ``@``, a pupil number eleven digits in a row. Searching for one character
class runs in C at memory speed; when the text has none, the pattern cannot match and is not tried.

``requirements(pattern)`` reads the pattern's parsed form and returns such tests (small patterns),
most selective first. Each is a necessary condition: a text in which one of them finds nothing holds
no match of the pattern. Anything the analysis does not understand adds no test, so a pattern it
cannot read is simply always tried.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

try:  # the parser of the standard library's regular expressions (``sre_parse`` before Python 3.11)
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

#: a test that matches more of the printable ASCII characters than this rules almost nothing out
_MAX_COVER = 40
#: at most this many tests per pattern (each is a search of the whole text)
_MAX_TESTS = 3
_PRINTABLE = [chr(code) for code in range(32, 127)]

_CATEGORIES = {
    _sre.CATEGORY_DIGIT: r"\d", _sre.CATEGORY_NOT_DIGIT: r"\D",
    _sre.CATEGORY_SPACE: r"\s", _sre.CATEGORY_NOT_SPACE: r"\S",
    _sre.CATEGORY_WORD: r"\w", _sre.CATEGORY_NOT_WORD: r"\W",
}
_CLASSES = {_sre.LITERAL, _sre.NOT_LITERAL, _sre.IN}
_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT)}


class _Unknown(Exception):
    """A construct the analysis does not read: it requires nothing."""


# A requirement: (negated, items, run): at least ``run`` characters in a row, each matched by the class of
# ``items`` (regular-expression class items: an escaped character, a range, \d), negated when ``negated``.
_Requirement = tuple[bool, frozenset[str], int]


def requirements(pattern: re.Pattern[str]) -> list[re.Pattern[str]]:
    """Patterns each of which finds something in any text that holds a match of ``pattern``."""
    flags = pattern.flags & (re.IGNORECASE | re.ASCII)
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags & ~re.DEBUG)
        found = _sequence(list(parsed), flags)
    except Exception:  # noqa: BLE001 - a pattern the analysis cannot read is always tried
        return []
    tests: dict[str, tuple[int, int, re.Pattern[str]]] = {}
    for requirement in found:
        cover = _weight(requirement, flags)
        compiled = _compile(requirement, flags)
        if compiled is not None and cover <= _MAX_COVER:
            # the fewest characters matched first; of equal classes, the longest run
            tests.setdefault(compiled.pattern, (cover, -requirement[2], compiled))
    return [item[2] for item in sorted(tests.values(), key=lambda item: item[:2])][:_MAX_TESTS]


def _compile(requirement: _Requirement, flags: int, run: bool = True) -> re.Pattern[str] | None:
    negated, items, length = requirement
    source = "[" + ("^" if negated else "") + "".join(sorted(items)) + "]"
    if run and length > 1:
        source += f"{{{length}}}"
    try:
        return re.compile(source, flags)
    except re.error:
        return None


def _weight(requirement: _Requirement, flags: int) -> int:
    """How many printable ASCII characters the requirement's class matches (fewer: more selective)."""
    single = _compile(requirement, flags, run=False)
    if single is None:
        return len(_PRINTABLE) + 1
    return sum(1 for char in _PRINTABLE if single.fullmatch(char))


def _sequence(items: Sequence[tuple[Any, Any]], flags: int) -> list[_Requirement]:
    """What a sequence of parsed items requires: what each item that must consume text requires."""
    found: list[_Requirement] = []
    for op, value in items:
        try:
            found.extend(_item(op, value, flags))
        except _Unknown:
            continue
    return found


def _item(op: Any, value: Any, flags: int) -> list[_Requirement]:
    if op is _sre.LITERAL:
        return [(False, frozenset({re.escape(chr(value))}), 1)]
    if op is _sre.NOT_LITERAL:
        return [(True, frozenset({re.escape(chr(value))}), 1)]
    if op is _sre.IN:
        return [_class(value)]
    if op is _sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = value
        if add_flags or del_flags:
            raise _Unknown  # flags of its own change what it matches
        return _sequence(list(sub), flags)
    if getattr(_sre, "ATOMIC_GROUP", None) is op:
        return _sequence(list(value), flags)
    if op in _REPEATS:
        low, _high, sub = value
        if low < 1:
            return []
        inner = _sequence(list(sub), flags)
        if low > 1 and len(sub) == 1 and sub[0][0] in _CLASSES and len(inner) == 1:
            # one character class repeated: that many characters of it in a row
            negated, items, run = inner[0]
            return [(negated, items, run * low)]
        return inner
    if op is _sre.BRANCH:
        _, branches = value
        chosen = []
        for branch in branches:
            options = [r for r in _sequence(list(branch), flags) if not r[0]]
            if not options:
                raise _Unknown  # a branch that requires nothing (or only a negated class) requires nothing
            chosen.append(min(options, key=lambda r: _weight(r, flags)))
        return [(False, frozenset().union(*(r[1] for r in chosen)), 1)]
    raise _Unknown  # look-arounds, anchors, back references, any character: nothing to require


def _class(items: Sequence[tuple[Any, Any]]) -> _Requirement:
    negated = False
    parts: set[str] = set()
    for op, value in items:
        if op is _sre.NEGATE:
            negated = True
        elif op is _sre.LITERAL:
            parts.add(re.escape(chr(value)))
        elif op is _sre.RANGE:
            low, high = value
            parts.add(f"{re.escape(chr(low))}-{re.escape(chr(high))}")
        elif op is _sre.CATEGORY and value in _CATEGORIES:
            parts.add(_CATEGORIES[value])
        else:
            raise _Unknown
    return (negated, frozenset(parts), 1)
