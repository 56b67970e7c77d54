"""The scan filter: whether any of a kind's text scans could find something in a record, at once.

Most records contain nothing any scan looks for. Loading asks each record's kind's filter while the
text is in hand (``scans_may_match``); a record it rules out is never scanned. The filter may say yes
too often, never no too often.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ap_lint.evaluate.rules import Rule, RuleCompiler
from ap_lint.evaluate.textscan import normalise


@dataclass(frozen=True)
class ScanFilter:
    """Rules out all of a kind's text scans at once: each scan's pattern over the joined text (see
    _scan_filter), and for scans with checks of their own (a word list, a match that must lie within
    text), each match over the joined text with those checks (a set lookup; a match that is a whole value
    is not text).

    Values recur from record to record (dates, codes, names of options, stock phrases): each value's
    verdict is remembered. The values not judged before are joined and searched together; when nothing
    is found there, each of them is remembered as holding nothing, and when something is, each is judged
    alone.
    """

    patterns: tuple[re.Pattern[str], ...]
    always: bool  # a scan these patterns cannot stand for
    checked_scans: tuple[Rule, ...]
    verdicts: dict[str, bool] = field(default_factory=dict, compare=False, hash=False)

    def may_match(self, texts: Iterable[str]) -> bool:
        if self.always:
            return True
        verdicts = self.verdicts
        unknown = []
        for text in texts:
            verdict = verdicts.get(text)
            if verdict is None:
                unknown.append(text)
            elif verdict:
                return True
        if not unknown:
            return False
        room = _TEXTS_REMEMBERED - len(verdicts)
        if len(unknown) > 1 and not self._found_in("\n".join(normalise(text) for text in unknown)):
            verdicts.update(dict.fromkeys(unknown[:max(room, 0)], False))
            return False
        for text in unknown:
            verdict = self._found_in(normalise(text))
            if room > 0:
                verdicts[text] = verdict
                room -= 1
            if verdict:
                return True
        return False

    def _found_in(self, joined: str) -> bool:
        for pattern in self.patterns:
            if pattern.search(joined) is not None:
                return True
        capitalised: set[str] | None = None
        for rule in self.checked_scans:
            scan = rule.scan
            assert scan is not None
            if scan.words is not None:
                # most texts hold no word of the list at all: one pass over the words rules them out
                if capitalised is None:
                    capitalised = set(_WORD.findall(joined))
                if capitalised.isdisjoint(scan.words.words):
                    continue
            if _checked_match(scan, joined):
                return True
        return False


def _accepted(scan: Any, match: re.Match[str], joined: str) -> bool:
    """Whether a match passes the checks the filter can make: a word of the list; not a whole value."""
    if scan.words is not None and match.group(scan.words.group) not in scan.words.words:
        return False
    return not (scan.within_text and (match.start() == 0 or joined[match.start() - 1] == "\n")
                and (match.end() == len(joined) or joined[match.end()] == "\n"))


def _checked_match(scan: Any, joined: str) -> bool:
    """Whether a match of a checked scan in some value of ``joined`` (values joined by newlines) passes.

    A search of the whole text goes from match to match as a search of each value would, until a match
    the checks refuse reaches the end of its value: it may run into the next value (its last word and
    the next value's first) and hide a match that a search of that value alone would find. Then each
    value is searched alone.
    """
    for match in scan.pattern.finditer(joined):
        if _accepted(scan, match, joined):
            return True
        if "\n" in joined[match.start():match.end() + 1]:
            break
    else:
        return False
    start = 0
    while start <= len(joined):
        end = joined.find("\n", start)
        end = len(joined) if end < 0 else end
        if any(_accepted(scan, match, joined) for match in scan.pattern.finditer(joined, start, end)):
            return True
        start = end + 1
    return False


#: how many values' verdicts a filter remembers
_TEXTS_REMEMBERED = 50_000


_WORD = re.compile(r"[^\W\d_][^\W_]*")


def compiler_scan_filters(compiler: RuleCompiler, rules: list[Rule]) -> dict[str, ScanFilter | None]:
    """``scan_filters(rules)``, made once per compiler and set of rules (the patterns are slow to compile)."""
    key = ("scan filters", tuple(id(rule) for rule in rules))
    if key not in compiler.derived:
        compiler.derived[key] = scan_filters(rules)
    found: dict[str, ScanFilter | None] = compiler.derived[key]
    return found


def scan_filters(rules: list[Rule]) -> dict[str, ScanFilter | None]:
    """Per record kind, what rules out all of the kind's text scans at once (see ScanFilter)."""
    by_kind: dict[str, list[Rule]] = {}
    for rule in rules:
        for kind in rule.kinds or (rule.kind,):
            by_kind.setdefault(kind, []).append(rule)
    return {kind: _scan_filter(kind_rules) for kind, kind_rules in by_kind.items()}


def scans_may_match(scan_filter: ScanFilter | None, data: Any, comments: Iterable[str] = ()) -> bool:
    """False when ``scan_filter`` (a kind's) finds nothing in the record's text values and comments."""
    if scan_filter is None:
        return True
    texts: list[str] = list(comments)
    _collect_texts(data, texts)
    return scan_filter.may_match(texts)


def _collect_texts(data: Any, out: list[str]) -> None:
    """Every text value in ``data``, in order, onto ``out`` (a call for each mapping and list, not each value)."""
    if isinstance(data, str):
        out.append(data)
        return
    values = data.values() if isinstance(data, dict) else data if isinstance(data, list) else ()
    for value in values:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (dict, list)):
            _collect_texts(value, out)


#: Constructs whose meaning changes when a value is searched inside other text joined by newlines:
#: anchors, and negative lookarounds over anything that can match a newline.
_JOIN_UNSAFE = re.compile(r"(?<!\\)[$^]|\\[AZ]|\(\?<?!(?:[^()\\]|\\.)*(?:\\s|\\W|\[\^|(?<![\\\[])\.)")


def _scan_filter(rules: list[Rule]) -> ScanFilter | None:
    """What finds a match in a record's normalised text values joined by newlines whenever any scan
    would find one in a single value; None when the kind has no scans. A scan whose pattern cannot be
    joined safely (see _JOIN_UNSAFE) makes the filter always answer yes.

    Most records contain nothing any scan looks for: a search of the joined text for each pattern
    rules them all out.
    """
    parts = []
    words: list[Rule] = []
    always = False
    for rule in rules:
        if rule.scan is None:
            continue
        source = rule.scan.pattern.pattern
        if _JOIN_UNSAFE.search(_without_classes(source)) or rule.scan.pattern.flags & (re.MULTILINE | re.DOTALL):
            always = True
            continue
        if rule.scan.words is not None or rule.scan.within_text:
            words.append(rule)
            continue
        parts.append(rule.scan.pattern)
    if not parts and not words and not always:
        return None
    # each pattern searched alone: Python's engine tries an alternation's every branch at every position,
    # which costs more than the patterns' searches one after the other
    return ScanFilter(tuple(parts), always, tuple(words))


def _without_classes(source: str) -> str:
    """The pattern with each character class replaced by `\\s` if it can match a newline, else by `x`."""
    out: list[str] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            out.append(source[index:index + 2])
            index += 2
            continue
        if char == "[":
            end = index + 1
            negated = end < len(source) and source[end] == "^"
            end += 1 if negated else 0
            end += 1 if end < len(source) and source[end] == "]" else 0
            start = end
            while end < len(source) and source[end] != "]":
                end += 2 if source[end] == "\\" else 1
            content = source[start:end]
            matches_newline = negated or any(c in content for c in ("\\s", "\\W", "\\D", "\\n", "\n"))
            out.append("\\s" if matches_newline else "x")
            index = end + 1
            continue
        out.append(char)
        index += 1
    return "".join(out)
