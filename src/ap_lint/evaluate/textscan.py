"""Text scans: find a rule's pattern in text as it is really written, and mask what is found.

Text is read as a person reads it: Unicode-normalised (NFKC, so full-width digits are digits), with
invisible format characters removed and every run of white space (no-break spaces, line breaks of
a block scalar) read as one space. A scan's match may then have to pass further checks the rule
declares: a check character, a word list (with a stop-list and values the register records for good
reason), or an age (a full date a given number of years before today).

The same scans mask every value a finding quotes (``Masker``): one masking path for every message,
so that what a privacy rule refuses is never printed in full by another rule, a log, or a report.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from ap_lint.evaluate.rules import Rule, Scan
from ap_lint.findings import Finding, JsonPath
from ap_lint.pack import Pack

_SPACE = re.compile(r"\s+")
#: the ellipsis that ends a masked value
MASK = "…"


def normalise(text: str) -> str:
    """The text as read: NFKC, no invisible format characters, each run of white space one space."""
    if text.isascii() and "\n" not in text and "\t" not in text and "  " not in text and "\r" not in text:
        return text
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return _SPACE.sub(" ", text)


def masked(found: str, show: int = 2) -> str:
    """What a message shows of a match: its first ``show`` characters, then an ellipsis."""
    return found[:show] + MASK if len(found) > show + 2 else MASK


_MONTHS = {name: index + 1 for index, names in enumerate((
    "jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july", "aug august",
    "sep sept september", "oct october", "nov november", "dec december")) for name in names.split()}
_NUMERIC = re.compile(r"(\d{1,2})\s?[/.-]\s?(\d{1,2})\s?[/.-]\s?(\d{4})(?!\d)")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+([a-z]+)\.?,?\s+(\d{4})(?!\d)", re.IGNORECASE)
_MONTH_DAY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)", re.IGNORECASE)


def parse_full_date(text: str) -> datetime.date | None:
    """The first full date (day, month and four-digit year) written in ``text``, in the usual British
    forms (12/03/2012, 12.03.2012, 2012-03-12, 12 March 2012, 12th of Mar 2012, March 12, 2012)."""
    candidates: list[tuple[int, int, int, int]] = []  # (start, year, month, day)
    for match in _NUMERIC.finditer(text):
        candidates.append((match.start(), int(match[3]), int(match[2]), int(match[1])))
    for match in _ISO.finditer(text):
        candidates.append((match.start(), int(match[1]), int(match[2]), int(match[3])))
    for match in _DAY_MONTH.finditer(text):
        month = _MONTHS.get(match[2].lower())
        if month:
            candidates.append((match.start(), int(match[3]), month, int(match[1])))
    for match in _MONTH_DAY.finditer(text):
        month = _MONTHS.get(match[1].lower())
        if month:
            candidates.append((match.start(), int(match[3]), month, int(match[2])))
    for _, year, month, day in sorted(candidates):
        try:
            return datetime.date(year, month, day)
        except ValueError:
            continue
    return None


def whole_years(born: datetime.date, today: datetime.date) -> int:
    """Whole years from ``born`` to ``today`` (an age)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass
class ScanContext:
    """What scans need beyond the text: today, the settings, and the register's allowed values."""

    today: str
    settings: dict[str, Any]
    #: per (kind, field path) the texts the register records there, joined and lower-cased
    allowed: dict[str, str]

    def allowed_text(self, scan: Scan) -> str:
        if scan.words is None or not scan.words.allow_fields:
            return ""
        return self.allowed.get(_allow_key(scan), "")


def _allow_key(scan: Scan) -> str:
    assert scan.words is not None
    return repr(sorted((kind, paths) for kind, paths in scan.words.allow_fields.items()))


def allowed_values(scans: Iterable[Scan], records: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """For every scan with allowed fields, the normalised, lower-cased values the register records there."""
    wanted = {_allow_key(scan): scan.words.allow_fields for scan in scans if scan.words and scan.words.allow_fields}
    if not wanted:
        return {}
    records = list(records)
    out: dict[str, str] = {}
    for key, fields in wanted.items():
        texts: list[str] = []
        for kind, data in records:
            for path in fields.get(kind, ()):
                texts.extend(normalise(value).lower() for value in _values_at(data, path) if isinstance(value, str))
        out[key] = "\n".join(texts)
    return out


def _values_at(data: Any, path: JsonPath) -> list[Any]:
    """The values at ``path``, in document order; a ``[]`` step (an empty-string part from parse_path) means
    every list item. One step at a time over all the values so far (each keeps its place)."""
    values = [data]
    for head in path:
        if not values:
            break
        if isinstance(head, int):
            values = [value[head] for value in values if isinstance(value, list) and 0 <= head < len(value)]
        elif head == "[]" or head == "":
            values = [item for value in values if isinstance(value, list) for item in value]
        else:
            values = [value[head] for value in values if isinstance(value, dict) and head in value]
    return values


def find(scan: Scan, text: str, context: ScanContext) -> Iterator[str]:
    """Every match of ``scan`` in ``text`` (already normalised) that passes the scan's checks."""
    stops: list[tuple[int, int]] | None = None
    for match in scan.pattern.finditer(text):
        found = match.group(0)
        if scan.within_text and found.strip() == text.strip():
            continue
        if scan.check is not None and not scan.check.valid(found):
            continue
        if scan.words is not None:
            word = match.group(scan.words.group)
            if word is None or word not in scan.words.words:
                continue
            if stops is None:
                stops = _stop_spans(text, context.settings.get(scan.words.stop_setting or "", None))
            if any(start < match.end() and match.start() < end for start, end in stops):
                continue
            allowed = context.allowed_text(scan)
            if allowed and found.lower() in allowed:
                continue
        if scan.age is not None:
            born = parse_full_date(found)
            if born is None:
                continue
            try:
                today = datetime.date.fromisoformat(context.today)
            except ValueError:
                continue
            low, high = scan.age.years
            if not (born <= today and low <= whole_years(born, today) <= high):
                continue
        yield found


def _stop_spans(text: str, phrases: Any) -> list[tuple[int, int]]:
    if not isinstance(phrases, list):
        return []
    lower = text.lower()
    spans = []
    for phrase in phrases:
        if not isinstance(phrase, str) or not phrase.strip():
            continue
        needle = normalise(phrase).lower()
        start = lower.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = lower.find(needle, start + 1)
    return spans


class Masker:
    """Masks every match of the pack's text scans in a text: the one path every quoted value takes."""

    def __init__(self, rules: Iterable[Rule], context: ScanContext, heuristics: bool = True) -> None:
        """``heuristics=False`` leaves out scans that judge by context (a date by its age, a name by a word
        list): in a whole message, a date is mostly a record's own date field and a name a person named by
        design (a commit's author), while a value quoted from a record is masked by every scan."""
        seen: dict[str, Scan] = {}
        for rule in rules:
            if rule.scan is not None and rule.history is None and (
                    heuristics or (rule.scan.age is None and rule.scan.words is None)):
                seen.setdefault(rule.id, rule.scan)
        self.scans = list(seen.values())
        self.context = context
        self._cache: dict[str, str] = {}

    def mask(self, text: str) -> str:
        """``text`` with everything a scan would report replaced by its masked form (see ``masked``).

        The text is normalised first only where a scan finds something, so ordinary text comes back as is.
        """
        if not self.scans or not text:
            return text
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        result = text
        normal = normalise(text)
        hits: list[tuple[str, Scan]] = []
        for scan in self.scans:
            hits.extend((found, scan) for found in find(scan, normal, self.context))
        if hits:
            result = normal
            for found, scan in sorted(hits, key=lambda hit: -len(hit[0])):
                result = result.replace(found, masked(found, scan.show))
        if len(self._cache) < 4096:
            self._cache[text] = result
        return result

    def mask_path(self, path: JsonPath) -> JsonPath:
        """A field path whose field names (which a person may have typed anything into) are masked."""
        return tuple(self.mask(part) if isinstance(part, str) else part for part in path)


def context_for(rules: Iterable[Rule], records: Iterable[tuple[str, Any]], today: str,
                settings: dict[str, Any]) -> ScanContext:
    """The scan context of one run: today, the settings, and the values the register allows."""
    scans = [rule.scan for rule in rules if rule.scan is not None]
    return ScanContext(today, settings, allowed_values(scans, records))


def mask_findings(findings: list[Finding], masker: Masker) -> list[Finding]:
    """Every finding with its message and path masked (the last step before any output sees them)."""
    out = []
    for finding in findings:
        message = masker.mask(finding.message)
        path = masker.mask_path(finding.path)
        out.append(finding if message == finding.message and path == finding.path
                   else dataclasses.replace(finding, message=message, path=path))
    return out


def masker_for_register(root: Path, pack: Pack, today: str) -> Masker:
    """The masker of a register on disk, for output that quotes values outside a check (a record's history).

    Only the pack's scan rules are compiled; the register is read for the values its scans allow.
    """
    from ap_lint.evaluate.rules import RuleCompiler
    from ap_lint.load.register import discover, read_source
    from ap_lint.load.loader import MAX_FILE_BYTES

    compiler = RuleCompiler(pack)
    rules = [compiler.compile(source, document) for source, document in pack.rule_documents if "scan" in document]
    sources, _ = discover(root, pack)
    records = [read_source(source, MAX_FILE_BYTES) for source in sources]
    context = context_for(rules, ((r.kind, r.data) for r in records if r.data is not None), today, pack.settings)
    return Masker(rules, context)
