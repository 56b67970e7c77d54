"""Evaluate compiled rules over an indexed register.

For each record of a kind, the engine builds one context (the record, its
relations, the single records, settings, today) and evaluates every rule of
that kind against it. Findings come back unlocated (line 0): the checker
locates only the files that have findings.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any, Collection, Iterable, Iterator

from ap_lint.evaluate.expressions import EvaluationError, Template, narrowed
from ap_lint.evaluate.limits import bounded_memory
from ap_lint.evaluate.textscan import Masker, ScanContext, context_for, find, masked, normalise
from ap_lint.findings import Finding, JsonPath, format_path, parse_path
from ap_lint.load.loader import iter_text_values
from ap_lint.load.register import Record, Register, value_at
from ap_lint.evaluate.rules import Rule, RuleCompiler
# the scan filter, where the loader and the editor's server have always found it
from ap_lint.evaluate.scanfilter import (ScanFilter, compiler_scan_filters, scan_filters,  # noqa: F401
                                        scans_may_match)

RULE_ERROR = "rule-error"


def rule_error_message(rule_id: str, error: object) -> str:
    """What a rule-error says: the rule it is about first, then why it could not be evaluated."""
    return (f"Rule '{rule_id}' could not be checked on this record ({error}). "
            "Check the fields it reads, or report the rule to its owners.")


def is_rule_error_of(finding: Finding, rule_id: str) -> bool:
    """Whether ``finding`` is a rule-error about the rule ``rule_id`` (see ``rule_error_message``)."""
    return finding.rule == RULE_ERROR and finding.message.startswith(f"Rule '{rule_id}' ")


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
        self.rules = rules
        self.scans_by_id = {rule.id: rule.scan for rule in rules if rule.scan is not None}
        self.categories = {rule.id: rule.category for rule in rules}
        self.rules_by_kind: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.history is None:
                for variant in compiler.variants(rule):
                    self.rules_by_kind.setdefault(variant.kind, []).append(variant)
        self.screens = {kind: compiler.screen(kind, kind_rules) for kind, kind_rules in self.rules_by_kind.items()}
        self.scan_filters = compiler_scan_filters(compiler, rules)
        # `rules` in a rule's context: every rule of the pack by id, with what waivers need to know of it
        self.rule_catalogue = {
            document["id"]: {"applies_to": document["applies_to"], "waivable": document.get("waivable", True),
                             "severity": document["severity"], "clause": document["clause"],
                             "kinds": document["applies_to"] if isinstance(document["applies_to"], list)
                             else [document["applies_to"]]}
            for _, document in self.pack.rule_documents
        }
        self._scan_context: tuple[int, ScanContext] | None = None
        self._texts: tuple[Record, list[tuple[JsonPath, str]]] | None = None
        self._masker: Masker | None = None

    def scan_context(self, register: Register) -> ScanContext:
        """Today, the settings and the values the register records where scans allow them (once per register)."""
        if self._scan_context is None or self._scan_context[0] != id(register):
            context = context_for(self.rules, ((r.kind, r.data) for r in register.records), self.context.today,
                                  self.context.settings)
            self._scan_context = (id(register), context)
            self._masker = Masker(self.rules, context)
        return self._scan_context[1]

    def masker(self, register: Register) -> Masker:
        """The masker of this register: every value a message quotes goes through it."""
        self.scan_context(register)
        assert self._masker is not None
        return self._masker

    def evaluate(self, register: Register, records: Iterable[Record] | None = None) -> list[Finding]:
        singles = {name: register.single(spec) for name, spec in self.pack.kinds.items() if spec.single}
        # No cascades: a single record that failed its schema is unknown to other records' rules
        for name, spec in self.pack.kinds.items():
            if spec.single and any(not r.valid for r in register.by_kind.get(name, [])[:1]):
                singles[name] = None
        self.scan_context(register)
        invalid_singles = self._invalid_singles(register)
        findings: list[Finding] = []
        with bounded_memory():
            for record in records if records is not None else register.records:
                if record.kind not in self.rules_by_kind:
                    continue
                if record.valid:
                    findings.extend(self.evaluate_record(register, record, singles, invalid_singles))
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
        parts = [salt, record.digest, "+" if record.newer else ""]
        data = record.data
        for relation in self.pack.relations.get(record.kind, ()):
            value = value_at(data, relation.by)
            if relation.field is None:  # a lookup: the one record it names, if any
                target = register.looked_up(relation, value)
                parts.append(target.digest if target is not None else "")
                continue
            # a group: every member, whatever its order (a superset of the earlier ones an `earlier` relation
            # lists, and of the group less the record itself): the key changes whenever what it sees may
            parts.append(register.group_digest(relation, value) if isinstance(value, (str, int, float, bool)) else "")
        return hashlib.blake2b("|".join(parts).encode(), digest_size=16).hexdigest()

    def record_variables(self, register: Register, record: Record, singles: dict[str, Any],
                         names: Collection[str] | None = None) -> tuple[dict[str, Any], bool]:
        """The rule context of one record, and whether every related record is structurally valid.

        With ``names``, only the related records of those names are looked up (an expression that reads
        no other names needs no more: see ``Rule.when_reads``)."""
        folder, _, name = record.file.rpartition("/")
        variables: dict[str, Any] = {
            "record": record.data,
            "file": {"path": record.file, "folder": folder.rpartition("/")[2], "stem": name.rpartition(".")[0],
                     "id": record.id, "kind": record.kind},
            "settings": self.context.settings,
            "today": self.context.today,
            "rule_ids": self.context.rule_ids,
            "rules": self.rule_catalogue,
            **singles,
        }
        all_valid = True
        for relation in self.pack.relations.get(record.kind, []):
            if names is not None and relation.name not in names:
                continue
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

    def evaluate_record(self, register: Register, record: Record, singles: dict[str, Any],
                        invalid_singles: bool | None = None) -> list[Finding]:
        """``invalid_singles``: whether a single record failed its schema (asked of the register if None)."""
        variables, related_valid = self.record_variables(register, record, singles)
        if invalid_singles is None:
            invalid_singles = self._invalid_singles(register)
        unknown = set() if related_valid and not invalid_singles else self.unknown_names(register, record)
        findings: list[Finding] = []
        scans_may_match = self._scans_may_match(record)
        screen = self.screens[record.kind]
        # CEL converts the whole of a variable when first read: the screen gets only the fields it reads
        activation = self.compiler.environment(record.kind).activation(narrowed(variables, screen.reads))
        for rule in screen.suspects(activation):
            if rule.scan is not None and not scans_may_match:
                continue
            if unknown and rule.scan is None and not unknown.isdisjoint(rule.reads):
                continue
            try:
                findings.extend(self._apply(rule, record, variables,
                                            activation if screen.checks_rule(rule) else None))
            except EvaluationError as error:
                if related_valid:
                    findings.append(self._finding(rule, record, (), rule_error_message(rule.id, error),
                                                  rule_id=RULE_ERROR))
        return findings

    def _invalid_singles(self, register: Register) -> bool:
        return any(spec.single and any(not r.valid for r in register.by_kind.get(name, [])[:1])
                   for name, spec in self.pack.kinds.items())

    def _apply(self, rule: Rule, record: Record, variables: dict[str, Any],
               screened: Any = None) -> Iterator[Finding]:
        """The rule's findings on the record. ``screened``: the activation the kind's screen was given, when
        the rule is one the screen checks (its condition, for_each and assertion read no field it lacks)."""
        environment_plain = screened
        if environment_plain is None and (rule.when is not None or rule.for_each is not None):
            environment_plain = self._activation(rule, variables, "plain")
        if rule.when is not None and not rule.when.holds(environment_plain):
            return
        if rule.scan is not None:
            yield from self._scan(rule, record, variables)
            return
        assert rule.assertion is not None
        if rule.for_each is None:
            activation = environment_plain if environment_plain is not None else self._activation(
                rule, variables, "plain")
            if not rule.assertion.holds(activation):
                # its message, place and warning_when may read fields the screen was not given
                yield self._failed(rule, record, activation if screened is None else self._activation(
                    rule, variables, "plain"))
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

    def _render(self, template: Template | None, activation: Any) -> str:
        """A message with every value it quotes masked (the pack's text scans: see textscan.Masker)."""
        masker = self._masker
        return template.render(activation, masker.mask if masker is not None else None) if template is not None \
            else ""

    def _scans_may_match(self, record: Record) -> bool:
        """False when no text value of the record matches any scan of its kind: one search rules them all out.

        Loading usually answered this already (record.scan_hit), where the text was in hand.
        """
        if record.scan_hit is not None:
            return record.scan_hit
        return scans_may_match(self.scan_filters.get(record.kind), record.data, (c[2] for c in record.comments))

    def _scan(self, rule: Rule, record: Record, variables: dict[str, Any]) -> Iterator[Finding]:
        """The rule's matches in every text value of the record (one finding per value), then in every
        comment of its file that holds a match not already found in a value."""
        scan = rule.scan
        assert scan is not None and self._scan_context is not None
        context = self._scan_context[1]
        seen: set[str] = set()
        deferred = [self.scans_by_id[other] for other in scan.defer_to if other in self.scans_by_id]
        # a field the schema already refused under a rule of this rule's category (an unknown field that may
        # hold personal data) is not reported again for its value
        refused = [p.path for p in record.problems if self.categories.get(p.rule) == rule.category and p.path]
        for path, normal in self._normalised_texts(record):
            if scan.skip_paths and any(p.match(format_path(path)) for p in scan.skip_paths):
                continue
            if refused and any(path[:len(r)] == r for r in refused):
                continue
            if any(next(find(other, normal, context), None) is not None for other in deferred):
                continue
            for found in find(scan, normal, context):
                seen.add(found)
                activation = self._activation(rule, {**variables, "match": masked(found, scan.show),
                                                     "path": format_path(path)}, "scan")
                yield self._finding(rule, record, path, self._render(rule.message, activation))
                break
        for line, column, text in record.comments:
            normal = normalise(text)
            if any(next(find(other, normal, context), None) is not None for other in deferred):
                continue
            for found in find(scan, normal, context):
                if found in seen:
                    continue
                activation = self._activation(rule, {**variables, "match": masked(found, scan.show),
                                                     "path": f"The comment on line {line}"}, "scan")
                finding = self._finding(rule, record, (), self._render(rule.message, activation))
                yield dataclasses.replace(finding, line=line, column=column)
                break

    def _normalised_texts(self, record: Record) -> list[tuple[JsonPath, str]]:
        """The record's text values, normalised once for all of its scans."""
        if self._texts is None or self._texts[0] is not record:
            self._texts = (record, [(path, normalise(text)) for path, text in iter_text_values(record.data)])
        return self._texts[1]

    @staticmethod
    def _path(template: Template | None, activation: Any) -> JsonPath:
        return parse_path(template.render(activation)) if template is not None else ()

    @staticmethod
    def _finding(rule: Rule, record: Record, path: JsonPath, message: str, rule_id: str | None = None) -> Finding:
        return Finding(file=record.file, line=0, column=0, rule=rule_id or rule.id, severity=rule.severity,
                       message=message, clause=rule.clause, path=path, record=record.id)
