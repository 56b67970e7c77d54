"""Evaluate compiled rules over an indexed register.

For each record of a kind, the engine builds one context (the record, its
relations, the single records, settings, today) and evaluates every rule of
that kind against it. Findings come back unlocated (line 0): the checker
locates only the files that have findings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from ap_lint.evaluate.expressions import EvaluationError, Template
from ap_lint.evaluate.limits import bounded_memory
from ap_lint.findings import Finding, JsonPath, format_path, parse_path
from ap_lint.load.loader import iter_text_values
from ap_lint.load.register import Record, Register
from ap_lint.evaluate.rules import Rule, RuleCompiler

RULE_ERROR = "rule-error"


@dataclass(frozen=True)
class EvaluationContext:
    """What every rule sees besides its own record."""

    today: str
    settings: dict[str, Any]
    rule_ids: list[str]


class Evaluator:
    """Runs one pack's rules over a register."""

    def __init__(self, compiler: RuleCompiler, rules: list[Rule], context: EvaluationContext) -> None:
        self.compiler = compiler
        self.pack = compiler.pack
        self.context = context
        self.rules_by_kind: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.history is None:
                self.rules_by_kind.setdefault(rule.kind, []).append(rule)
        self.screens = {kind: compiler.screen(kind, kind_rules) for kind, kind_rules in self.rules_by_kind.items()}
        self.scan_filters = scan_filters(rules)
        # `rules` in a rule's context: every rule of the pack by id, with what waivers need to know of it
        self.rule_catalogue = {
            document["id"]: {"applies_to": document["applies_to"], "waivable": document.get("waivable", True),
                             "severity": document["severity"], "clause": document["clause"]}
            for _, document in self.pack.rule_documents
        }

    def evaluate(self, register: Register, records: Iterable[Record] | None = None) -> list[Finding]:
        singles = {name: register.single(spec) for name, spec in self.pack.kinds.items() if spec.single}
        # No cascades: a single record that failed its schema is unknown to other records' rules
        for name, spec in self.pack.kinds.items():
            if spec.single and any(not r.valid for r in register.by_kind.get(name, [])[:1]):
                singles[name] = None
        findings: list[Finding] = []
        with bounded_memory():
            for record in records if records is not None else register.records:
                if record.kind not in self.rules_by_kind:
                    continue
                if record.valid:
                    findings.extend(self.evaluate_record(register, record, singles))
                else:
                    findings.extend(self.scan_record(register, record, singles))
        return findings

    def scan_record(self, register: Register, record: Record, singles: dict[str, Any]) -> list[Finding]:
        """Text scans on a record that loaded but failed its schema.

        A scan reads only the record's own text, so it is safe on any structure; and personal data must
        be caught even in a record that is malformed in other ways.
        """
        variables, _ = self.record_variables(register, record, singles)
        findings: list[Finding] = []
        if not self._scans_may_match(record):
            return findings
        for rule in self.rules_by_kind[record.kind]:
            if rule.scan is None:
                continue
            try:
                findings.extend(self._apply(rule, record, variables))
            except EvaluationError:
                continue  # its `when` could not be read on this malformed record: the schema findings say why
        return findings

    def context_key(self, register: Register, record: Record, salt: str) -> str:
        """A digest of everything a record's rules can see: its content and its related records'."""
        digest = hashlib.blake2b(salt.encode(), digest_size=16)
        digest.update(record.digest.encode())
        for relation in self.pack.relations.get(record.kind, []):
            _, members = register.related(record, relation)
            digest.update(b"|" + ",".join(member.digest for member in members).encode())
        return digest.hexdigest()

    def record_variables(self, register: Register, record: Record, singles: dict[str, Any]) -> tuple[
            dict[str, Any], bool]:
        """The rule context of one record, and whether every related record is structurally valid."""
        folder, _, name = record.file.rpartition("/")
        variables: dict[str, Any] = {
            "record": record.data,
            "file": {"path": record.file, "folder": folder.rpartition("/")[2], "stem": name.rpartition(".")[0],
                     "id": record.id},
            "settings": self.context.settings,
            "today": self.context.today,
            "rule_ids": self.context.rule_ids,
            "rules": self.rule_catalogue,
            **singles,
        }
        all_valid = True
        for relation in self.pack.relations.get(record.kind, []):
            value, members = register.related(record, relation)
            if not all(member.valid for member in members):
                all_valid = False
                # No cascades: a related record that failed its schema is left out of a group, and a lookup
                # of one gives null (rules that read it are skipped: see unknown_names).
                if relation.field is None:
                    value = None
                else:
                    value = [member.data for member in members if member.valid]
            variables[relation.name] = value
        return variables, all_valid

    def unknown_names(self, register: Register, record: Record) -> set[str]:
        """Variables of a record's context that stand for a record that failed its schema: a lookup whose
        target is invalid, or a single record that is. Rules that read one are not evaluated on this record
        (the schema finding already fails the run; the rule would only repeat it in another file)."""
        unknown = {name for name, spec in self.pack.kinds.items()
                   if spec.single and any(not r.valid for r in register.by_kind.get(name, [])[:1])}
        for relation in self.pack.relations.get(record.kind, []):
            if relation.field is None:
                _, members = register.related(record, relation)
                if any(not member.valid for member in members):
                    unknown.add(relation.name)
        return unknown

    def evaluate_record(self, register: Register, record: Record, singles: dict[str, Any]) -> list[Finding]:
        variables, related_valid = self.record_variables(register, record, singles)
        unknown = set() if related_valid and not self._invalid_singles(register) else self.unknown_names(
            register, record)
        findings: list[Finding] = []
        scans_may_match = self._scans_may_match(record)
        for rule in self.screens[record.kind].suspects(self.compiler.environment(record.kind).activation(variables)):
            if rule.scan is not None and not scans_may_match:
                continue
            if unknown and rule.scan is None and not unknown.isdisjoint(rule.reads):
                continue
            try:
                findings.extend(self._apply(rule, record, variables))
            except EvaluationError as error:
                if related_valid:
                    findings.append(self._finding(
                        rule, record, (), f"Rule '{rule.id}' could not be checked on this record ({error}). "
                                          "Check the fields it reads, or report the rule to its owners.",
                        rule_id=RULE_ERROR))
        return findings

    def _invalid_singles(self, register: Register) -> bool:
        return any(spec.single and any(not r.valid for r in register.by_kind.get(name, [])[:1])
                   for name, spec in self.pack.kinds.items())

    def _apply(self, rule: Rule, record: Record, variables: dict[str, Any]) -> Iterator[Finding]:
        environment_plain = None
        if rule.when is not None or rule.for_each is not None:
            environment_plain = self._activation(rule, variables, "plain")
        if rule.when is not None and not rule.when.holds(environment_plain):
            return
        if rule.scan is not None:
            yield from self._scan(rule, record, variables)
            return
        assert rule.assertion is not None
        if rule.for_each is None:
            activation = self._activation(rule, variables, "plain")
            if not rule.assertion.holds(activation):
                yield self._failed(rule, record, activation)
            return
        items = rule.for_each.evaluate(environment_plain)
        if not isinstance(items, list):
            raise EvaluationError(f"for_each gave {type(items).__name__}, not a list")
        for index, item in enumerate(items):
            activation = self._activation(rule, {**variables, "item": item, "index": index}, "loop")
            if not rule.assertion.holds(activation):
                yield self._failed(rule, record, activation)

    def _activation(self, rule: Rule, variables: dict[str, Any], mode: str) -> Any:
        return self.compiler.environment(rule.kind, mode).activation(variables)

    def _failed(self, rule: Rule, record: Record, activation: Any) -> Finding:
        finding = self._finding(rule, record, self._path(rule.at, activation), self._render(rule.message, activation))
        if rule.warning_when is not None and rule.severity == "error" and rule.warning_when.holds(activation):
            finding = dataclasses.replace(finding, severity="warning")
        return finding

    def _scans_may_match(self, record: Record) -> bool:
        """False when no text value of the record matches any scan of its kind: one search rules them all out.

        Loading usually answered this already (record.scan_hit), where the text was in hand.
        """
        if record.scan_hit is not None:
            return record.scan_hit
        return scans_may_match(self.scan_filters.get(record.kind), record.data)

    def _scan(self, rule: Rule, record: Record, variables: dict[str, Any]) -> Iterator[Finding]:
        scan = rule.scan
        assert scan is not None
        for path, text in iter_text_values(record.data):
            if scan.skip_paths and any(p.match(format_path(path)) for p in scan.skip_paths):
                continue
            for match in scan.pattern.finditer(text):
                found = match.group(0)
                if scan.check is not None and not scan.check.valid(found):
                    continue
                masked = found[:2] + "…" if len(found) > 4 else "…"
                activation = self._activation(rule, {**variables, "match": masked,
                                                     "path": format_path(path)}, "scan")
                yield self._finding(rule, record, path, self._render(rule.message, activation))
                break

    @staticmethod
    def _render(template: Template | None, activation: Any) -> str:
        return template.render(activation) if template is not None else ""

    @staticmethod
    def _path(template: Template | None, activation: Any) -> JsonPath:
        return parse_path(template.render(activation)) if template is not None else ()

    @staticmethod
    def _finding(rule: Rule, record: Record, path: JsonPath, message: str, rule_id: str | None = None) -> Finding:
        return Finding(file=record.file, line=0, column=0, rule=rule_id or rule.id, severity=rule.severity,
                       message=message, clause=rule.clause, path=path, record=record.id)


def scan_filters(rules: list[Rule]) -> dict[str, re.Pattern[str] | None]:
    """Per record kind, one pattern that rules out all of the kind's text scans at once (see _scan_filter)."""
    by_kind: dict[str, list[Rule]] = {}
    for rule in rules:
        by_kind.setdefault(rule.kind, []).append(rule)
    return {kind: _scan_filter(kind_rules) for kind, kind_rules in by_kind.items()}


def scans_may_match(combined: re.Pattern[str] | None, data: Any) -> bool:
    """False when ``combined`` (a kind's scan filter) finds nothing in the record's joined text values."""
    if combined is None:
        return True
    texts: list[str] = []
    _collect_texts(data, texts)
    return combined.search("\n".join(texts)) is not None


def _collect_texts(data: Any, out: list[str]) -> None:
    if isinstance(data, str):
        out.append(data)
    elif isinstance(data, dict):
        for value in data.values():
            _collect_texts(value, out)
    elif isinstance(data, list):
        for value in data:
            _collect_texts(value, out)


#: Constructs whose meaning changes when a value is searched inside other text joined by newlines:
#: anchors, and negative lookarounds over anything that can match a newline.
_JOIN_UNSAFE = re.compile(r"(?<!\\)[$^]|\\[AZ]|\(\?<?!(?:[^()\\]|\\.)*(?:\\s|\\W|\[\^|(?<![\\\[])\.)")


def _scan_filter(rules: list[Rule]) -> re.Pattern[str] | None:
    """One pattern that finds a match in a record's text values joined by newlines whenever any scan
    would find one in a single value; None where that cannot be promised (see _JOIN_UNSAFE).

    Most records contain nothing any scan looks for: one search of the joined text rules them all out.
    """
    parts = []
    for rule in rules:
        if rule.scan is None:
            continue
        source = rule.scan.pattern.pattern
        if _JOIN_UNSAFE.search(_without_classes(source)) or rule.scan.pattern.flags & (re.MULTILINE | re.DOTALL):
            return None
        parts.append(f"(?{'i' if rule.scan.pattern.flags & re.IGNORECASE else ''}:{source})")
    if not parts:
        return None
    try:
        return re.compile("|".join(parts))
    except re.error:
        return None


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
