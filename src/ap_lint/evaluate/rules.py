"""Rules: the pack's rule documents compiled into evaluable objects.

Each rule file says what must hold (a CEL assertion, a text scan, or a history
check), of which records, when, where to point, and what to tell the editor.
Compilation type-checks every expression against the variables the rule's
record kind provides; a broken rule stops the run with its file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ap_lint.errors import PolicyPackError
from ap_lint.evaluate.expressions import (Environment, EvaluationError, ExpressionError, Program, Template,
                                         bind_variables, used_variables)
from ap_lint.findings import Severity
from ap_lint.load.loader import compose_positions, locate
from ap_lint.pack import Pack

#: variables every rule context provides, besides relations and single records
BASE_VARIABLES = ("record", "file", "settings", "today", "rule_ids", "rules")
LOOP_VARIABLES = ("item", "index")
SCAN_VARIABLES = ("match", "path")


@dataclass(frozen=True)
class TextCheck:
    """A check character over a match: weighted sum of positions, modulo N, picked from an alphabet."""

    position: int
    over: tuple[int, ...]
    weights: tuple[int, ...]
    modulus: int
    alphabet: str

    def valid(self, text: str) -> bool:
        try:
            total = 0
            for index, weight in zip(self.over, self.weights):
                char = text[index]
                total += (int(char) if char.isdigit() else self.alphabet.index(char.upper())) * weight
            return text[self.position].upper() == self.alphabet[total % self.modulus]
        except (IndexError, ValueError):
            return False


@dataclass(frozen=True)
class Scan:
    """Look for a pattern in every text value of a record."""

    pattern: re.Pattern[str]
    skip_paths: tuple[re.Pattern[str], ...] = ()
    check: TextCheck | None = None


@dataclass(frozen=True)
class HistoryCheck:
    check: str
    fields: tuple[str, ...] = ()
    dated_by: str | None = None


@dataclass
class Rule:
    """One compiled rule."""

    id: str
    title: str
    clause: str | None
    category: str
    severity: Severity
    waivable: bool
    kind: str
    message_text: str
    why: str
    source: str
    document: dict[str, Any]
    when: Program | None = None
    for_each: Program | None = None
    assertion: Program | None = None
    scan: Scan | None = None
    history: HistoryCheck | None = None
    at: Template | None = None
    message: Template | None = None
    examples: list[dict[str, Any]] = field(default_factory=list)
    #: named CEL values its expressions may use: the pack's for its kind, then its own (in order)
    variables: tuple[tuple[str, str], ...] = ()

    def bind(self, source: str) -> str:
        """``source`` with the variables it uses bound around it (see ``bind_variables``)."""
        return bind_variables(self.variables, source) if self.variables else source

    @property
    def used_variables(self) -> list[tuple[str, str]]:
        """The variables (the pack's and its own) that this rule's expressions use, in order."""
        keys = ("when", "for_each", "assert", "at", "message")
        return used_variables(self.variables, " ".join(str(self.document[k]) for k in keys if k in self.document))


def _skip_pattern(text: str) -> re.Pattern[str]:
    escaped = re.escape(text).replace(r"\[\]", r"\[\d+\]")
    return re.compile(f"^{escaped}($|[.\\[])")


@dataclass(frozen=True)
class Screen:
    """All of a kind's assertions in one CEL program, evaluated once per record.

    Evaluating one program that returns a list of booleans costs about as much
    as evaluating one rule, so a record that passes everything costs one call.
    Only rules that fail the screen (or that it cannot express) are evaluated
    one by one, to find where they fail and to render their messages.
    """

    rules: list[Rule]
    screened: list[Rule]
    program: Program | None
    checks: list[Program]  # each screened rule's check alone, for records where the whole screen errs

    tally: dict[str, int] = field(default_factory=lambda: {"tries": 0, "errors": 0})

    def suspects(self, activation: Any) -> list[Rule]:
        """The rules that may fail on this record: every rule, less those the screen saw pass."""
        if self.program is None:
            return self.rules
        tally = self.tally
        verdicts: Any = None
        # A whole-kind program that keeps failing (e.g. CEL's iteration budget on records with thousands of
        # related records) is not tried again: after a few tries, mostly failed, each check runs alone.
        if tally["tries"] < 4 or tally["errors"] * 2 <= tally["tries"]:
            tally["tries"] += 1
            try:
                verdicts = self.program.evaluate(activation)
            except EvaluationError:
                tally["errors"] += 1
        if verdicts is None:
            # One rule's error makes the whole list an error: ask each check alone, still one call per rule
            # rather than one per item of a rule's for_each.
            verdicts = [_verdict(check, activation) for check in self.checks]
        passed = {id(rule) for rule, verdict in zip(self.screened, verdicts) if verdict is True}
        return [rule for rule in self.rules if id(rule) not in passed]


def _verdict(check: Program, activation: Any) -> Any:
    try:
        return check.evaluate(activation)
    except EvaluationError:
        return None


class RuleCompiler:
    """Compiles a pack's rule documents, with one CEL environment per record kind."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self._environments: dict[tuple[str, str], Environment] = {}
        self._screens: dict[tuple[str, tuple[int, ...]], Screen] = {}

    def variables_for(self, kind: str) -> list[str]:
        single = [name for name, spec in self.pack.kinds.items() if spec.single]
        relations = [relation.name for relation in self.pack.relations.get(kind, [])]
        return [*BASE_VARIABLES, *single, *relations]

    def environment(self, kind: str, mode: str = "plain") -> Environment:
        key = (kind, mode)
        if key not in self._environments:
            extra = {"plain": (), "loop": LOOP_VARIABLES, "scan": SCAN_VARIABLES}[mode]
            self._environments[key] = Environment([*self.variables_for(kind), *extra])
        return self._environments[key]

    def screen(self, kind: str, rules: list[Rule]) -> "Screen":
        """One CEL program that checks all of a kind's assertions at once (see Screen); compiled once per
        kind and set of rules, however many evaluators ask for it."""
        key = (kind, tuple(id(rule) for rule in rules))
        if key not in self._screens:
            self._screens[key] = self._compile_screen(kind, rules)
        return self._screens[key]

    def _compile_screen(self, kind: str, rules: list[Rule]) -> "Screen":
        screened: list[Rule] = []
        parts: list[str] = []
        for rule in rules:
            document = rule.document
            if rule.assertion is None or "index" in document["assert"]:
                continue
            check = f"({rule.bind(document['assert'])})"
            if "for_each" in document:
                check = f"({rule.bind(document['for_each'])}).all(item, {check})"
            if "when" in document:
                check = f"(!({rule.bind(document['when'])}) || {check})"
            parts.append(check)
            screened.append(rule)
        program = None
        checks: list[Program] = []
        if parts:
            try:
                environment = self.environment(kind)
                program = environment.compile("[" + ",\n".join(parts) + "]")
                checks = [environment.compile(part) for part in parts]
            except ExpressionError:
                program, screened, checks = None, [], []
        return Screen(rules, screened, program, checks)

    def compile_all(self) -> list[Rule]:
        rules = [self.compile(source, document) for source, document in self.pack.rule_documents]
        seen: dict[str, str] = {}
        for rule in rules:
            if rule.id in seen:
                raise PolicyPackError(f"rule id '{rule.id}' is also used by {seen[rule.id]}", file=rule.source)
            seen[rule.id] = rule.source
        return rules

    def compile(self, source: str, document: dict[str, Any]) -> Rule:
        def fail(message: str, key: tuple[str | int, ...]) -> PolicyPackError:
            text = (self.pack.root / source).read_text("utf-8")
            line, column = locate(compose_positions(text), key)
            return PolicyPackError(message, file=source, line=line, column=column)

        rule_id = document["id"]
        if Path(source).stem != rule_id:
            raise fail(f"the rule id '{rule_id}' must equal the file name '{Path(source).stem}'", ("id",))
        kind = document["applies_to"]
        if kind not in self.pack.kinds:
            raise fail(f"applies_to names '{kind}', which is not a kind in rules/pack.yaml "
                       f"({', '.join(sorted(self.pack.kinds))})", ("applies_to",))
        clause = document["clause"]
        if clause is not None and self.pack.clauses and clause not in self.pack.clauses:
            raise fail(f"clause '{clause}' is not in the policy ({', '.join(sorted(self.pack.clauses))})",
                       ("clause",))
        mode = "loop" if "for_each" in document else "plain"
        if "scan" in document:
            mode = "scan"
        environment = self.environment(kind, mode)
        plain = self.environment(kind, "plain")
        variables = tuple({**self.pack.variables.get(kind, {}), **(document.get("variables") or {})}.items())
        for number, (name, expression) in enumerate(variables):
            if name in environment.variables:
                raise fail(f"variables: '{name}' is already a name every rule sees; choose another",
                           ("variables", name) if name in (document.get("variables") or {}) else ("id",))
            try:
                environment.compile(bind_variables(variables[:number], expression))
            except ExpressionError as error:
                if name not in (document.get("variables") or {}):
                    raise PolicyPackError(f"variables.{kind}.{name}: {error}", file="rules/pack.yaml") from None
                raise fail(f"variables.{name}: {error}", ("variables", name)) from None

        def wrap(source: str) -> str:
            return bind_variables(variables, source) if variables else source

        def program(key: str, env: Environment) -> Program | None:
            if key not in document:
                return None
            try:
                return env.compile(wrap(document[key]))
            except ExpressionError as error:
                raise fail(f"{key}: {error}", (key,)) from None

        def template(key: str) -> Template | None:
            if key not in document:
                return None
            try:
                return Template.compile(document[key], environment, wrap)
            except ExpressionError as error:
                raise fail(f"{key}: {error}", (key,)) from None

        scan = None
        if "scan" in document:
            spec = document["scan"]
            try:
                flags = re.IGNORECASE if spec.get("ignore_case") else 0
                pattern = re.compile(spec["pattern"], flags)
            except re.error as error:
                raise fail(f"scan.pattern is not a valid regular expression: {error}", ("scan", "pattern")) from None
            check = None
            if "check" in spec:
                c = spec["check"]
                if len(c["over"]) != len(c["weights"]):
                    raise fail("scan.check: 'over' and 'weights' must have the same length", ("scan", "check"))
                check = TextCheck(c["position"], tuple(c["over"]), tuple(c["weights"]), c["modulus"], c["alphabet"])
            scan = Scan(pattern, tuple(_skip_pattern(p) for p in spec.get("skip_paths", [])), check)
        history = None
        if "history" in document:
            h = document["history"]
            history = HistoryCheck(h["check"], tuple(h.get("fields", [])), h.get("dated_by"))

        return Rule(
            id=rule_id, title=document["title"], clause=clause,
            category=document.get("category", "policy" if clause else "integrity"),
            severity=document["severity"], waivable=document.get("waivable", True), kind=kind,
            message_text=document["message"], why=document["why"], source=source, document=document,
            when=program("when", plain), for_each=program("for_each", plain),
            assertion=program("assert", environment), scan=scan, history=history,
            at=template("at"), message=template("message"), examples=document.get("examples", []),
            variables=variables,
        )
