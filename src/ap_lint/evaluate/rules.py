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

from ap_lint.dated import judged_settings
from ap_lint.errors import PolicyPackError
from ap_lint.evaluate.expressions import (RULE_CEL_KEYS, Environment, EvaluationError, ExpressionError, Program,
                                         Template,
                                         bind_variables, fields_read, filter_call, mentions, used_variables)
from ap_lint.findings import JsonPath, Severity
from ap_lint.load.positions import compose_positions, locate
from ap_lint.memo import PackMemo
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
class WordCheck:
    """A match counts only when one of its groups is a word of a named word list (a set lookup), and the
    match is not a phrase of the stop-list setting nor a value the register records at the allowed fields."""

    group: int | str
    words: frozenset[str]
    stop_setting: str | None = None
    allow_fields: dict[str, tuple[JsonPath, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class AgeCheck:
    """A match counts only when it reads as a full date (day, month and four-digit year) that many whole
    years before today (both ends included)."""

    years: tuple[int, int]


@dataclass(frozen=True)
class Scan:
    """Look for a pattern in every text value (and every comment) of a record."""

    pattern: re.Pattern[str]
    skip_paths: tuple[re.Pattern[str], ...] = ()
    check: TextCheck | None = None
    words: WordCheck | None = None
    age: AgeCheck | None = None
    #: a match that is the whole value is a field of its own (a date field), not text: not reported
    within_text: bool = False
    #: characters of a match shown unmasked in messages (the rest become an ellipsis)
    show: int = 2
    #: scan rules that take precedence: a value one of them reports is not reported by this one too
    defer_to: tuple[str, ...] = ()


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
    kind: str  # the first kind it applies to; `kinds` has them all
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
    warning_when: Program | None = None
    #: the names of the context's variables that the rule's expressions mention
    reads: frozenset[str] = frozenset()
    #: the CEL condition for the rule to apply: its `effective` dates and its `when`, joined
    when_source: str | None = None
    #: the names of the context's variables that the condition (with the variables it uses) may read
    when_reads: frozenset[str] = frozenset()

    kinds: tuple[str, ...] = ()
    #: named CEL values its expressions may use: the pack's for its kind, then its own (in order)
    variables: tuple[tuple[str, str], ...] = ()

    @property
    def reads_today(self) -> bool:
        """Whether the rule's verdict or message can change with the date alone: an expression names
        ``today``, or its scan judges an age as of today."""
        return "today" in self.reads or (self.scan is not None and self.scan.age is not None)

    def bind(self, source: str) -> str:
        """``source`` with the variables it uses bound around it (see ``bind_variables``)."""
        return bind_variables(self.variables, source) if self.variables else source

    @property
    def used_variables(self) -> list[tuple[str, str]]:
        """The variables (the pack's and its own) that this rule's expressions use, in order."""
        text = " ".join(str(self.document[k]) for k in RULE_CEL_KEYS if k in self.document)
        return [(name, expression) for name, expression in used_variables(self.variables, text + " " + str(
            (self.document.get("effective") or {}).get("date", ""))) if name not in BASE_VARIABLES]

    @property
    def effective_text(self) -> str | None:
        """The dates the rule applies between, in words, or None when it always applies."""
        return effective_text(self.document.get("effective"))


def effective_text(effective: dict[str, Any] | None) -> str | None:
    """``{from, until, date}`` in words: "from 2024-03-20, judged by record.decision.date"."""
    if not effective:
        return None
    parts = []
    if "from" in effective:
        parts.append(f"from {effective['from']}")
    if "until" in effective:
        parts.append(f"until {effective['until']}")
    parts.append(f"judged by {effective.get('date', 'today')}")
    return ", ".join(parts)


def when_source(document: dict[str, Any]) -> str | None:
    """The rule's `when` joined with the condition its `effective` dates make (None: always applies)."""
    parts = []
    effective = document.get("effective") or {}
    if effective:
        date = f"({effective.get('date', 'today')})"
        if "from" in effective:
            parts.append(f"{date} >= '{effective['from']}'")
        if "until" in effective:
            parts.append(f"{date} <= '{effective['until']}'")
    if "when" in document:
        parts.append(f"({document['when']})")
    return " && ".join(parts) if parts else None


_IDENTIFIER = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


def _names_in(text: str, environment: Environment) -> frozenset[str]:
    """The variables of ``environment`` that ``text`` (CEL expressions) may read: every name it mentions."""
    return frozenset(_IDENTIFIER.findall(text)) & set(environment.variables)


def _list_path(text: str) -> JsonPath:
    """``past_principals[].name`` as ``("past_principals", "[]", "name")``: ``[]`` is every list item."""
    parts: list[str] = []
    for dotted in text.split("."):
        while dotted.endswith("[]"):
            dotted = dotted[:-2]
            parts.extend([dotted, "[]"] if dotted else ["[]"])
            dotted = ""
        if dotted:
            parts.append(dotted)
    return tuple(parts)




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
    #: the fields of each variable that the program reads (``fields_read``): the rest need not be given
    reads: dict[str, frozenset[str] | None] = field(default_factory=dict)
    tally: dict[str, int] = field(default_factory=lambda: {"tries": 0, "errors": 0})
    #: the rules it does not check, in order: the suspects of a record that passes every check
    unscreened: list[Rule] = field(init=False)
    _screened_ids: frozenset[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        screened_ids = frozenset(id(rule) for rule in self.screened)
        object.__setattr__(self, "_screened_ids", screened_ids)
        object.__setattr__(self, "unscreened", [rule for rule in self.rules if id(rule) not in screened_ids])

    def checks_rule(self, rule: Rule) -> bool:
        """Whether the screen checks this rule (its condition, for_each and assertion, on what it was given)."""
        return id(rule) in self._screened_ids

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
        if len(verdicts) == len(self.screened) and all(verdict is True for verdict in verdicts):
            return self.unscreened  # the usual case: every check passed
        passed = {id(rule) for rule, verdict in zip(self.screened, verdicts) if verdict is True}
        return [rule for rule in self.rules if id(rule) not in passed]


def _verdict(check: Program, activation: Any) -> Any:
    try:
        return check.evaluate(activation)
    except EvaluationError:
        return None


def _every_item(rule: Rule, for_each: str, check: str) -> str:
    """A screen's check that ``check`` holds of every item of ``for_each``. Over ``list.filter(name, condition)``
    it is one pass of the list that checks each item meeting the condition: CEL would build the filtered list
    by copying it at every item kept (quadratic in its length). Exactly true in the same cases."""
    call = filter_call(for_each)
    if call is None or call[1] == "item" or mentions(check, call[1]):
        return f"({rule.bind(for_each)}).all(item, {check})"
    items, name, condition = call
    each = f"{items}.all({name}, ({condition}) ? [{name}].all(item, {check}) : true)"
    return bind_variables(used_variables(rule.variables, for_each), each)


class RuleCompiler:
    """Compiles a pack's rule documents, with one CEL environment per record kind."""

    def __init__(self, pack: Pack, memo: PackMemo | None = None) -> None:
        self.pack = pack
        self.memo = memo  # compiled expressions remembered by a cache folder
        self._environments: dict[tuple[str, str], Environment] = {}
        #: a rule compiled for each further kind it applies to, by (rule id, kind)
        self._variants: dict[tuple[str, str], Rule] = {}
        self._screens: dict[tuple[str, tuple[int, ...]], Screen] = {}
        #: what the engine makes from compiled rules and keeps for the compiler's life (e.g. scan filters)
        self.derived: dict[Any, Any] = {}

    def variables_for(self, kind: str) -> list[str]:
        single = [name for name, spec in self.pack.kinds.items() if spec.single]
        relations = [relation.name for relation in self.pack.relations.get(kind, [])]
        return [*BASE_VARIABLES, *single, *relations]

    def environment(self, kind: str, mode: str = "plain") -> Environment:
        key = (kind, mode)
        if key not in self._environments:
            extra = {"plain": (), "loop": LOOP_VARIABLES, "scan": SCAN_VARIABLES}[mode]
            self._environments[key] = Environment([*self.variables_for(kind), *extra], self.memo)
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
            indexed = rule.assertion is not None and "index" in document["assert"]  # only its `when` can be screened
            if rule.assertion is None or (indexed and rule.when_source is None):
                continue
            check = "false" if indexed else f"({rule.bind(document['assert'])})"
            if "for_each" in document and not indexed:
                check = _every_item(rule, document["for_each"], check)
            if rule.when_source is not None:
                check = f"(!({rule.bind(rule.when_source)}) || {check})"
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
        reads = fields_read(program.source, self.environment(kind).variables) if program is not None else {}
        return Screen(rules, screened, program, checks, reads)

    def compile_all(self) -> list[Rule]:
        rules = [self.compile(source, document) for source, document in self.pack.rule_documents]
        seen: dict[str, str] = {}
        for rule in rules:
            if rule.id in seen:
                raise PolicyPackError(f"rule id '{rule.id}' is also used by {seen[rule.id]}", file=rule.source)
            seen[rule.id] = rule.source
        scans = {rule.id for rule in rules if rule.scan is not None}
        for rule in rules:
            for other in rule.scan.defer_to if rule.scan is not None else ():
                if other not in scans:
                    raise PolicyPackError(f"scan.defer_to names '{other}', which is not a scan rule", file=rule.source)
        return rules

    def for_kind(self, rule: Rule, kind: str) -> Rule:
        """The rule as compiled for one of the kinds it applies to (its expressions type-checked there)."""
        if kind == rule.kind:
            return rule
        return self._variants[(rule.id, kind)]

    def variants(self, rule: Rule) -> list[Rule]:
        """The rule once for each kind it applies to."""
        return [self.for_kind(rule, kind) for kind in rule.kinds]

    def compile(self, source: str, document: dict[str, Any]) -> Rule:
        """Compile one rule document, for each kind it applies to (`applies_to`: a kind or a list of kinds)."""
        applies_to = document["applies_to"]
        kinds = tuple(applies_to) if isinstance(applies_to, list) else (applies_to,)
        compiled = [self._compile_for(source, document, kind, index, kinds) for index, kind in enumerate(kinds)]
        for rule in compiled[1:]:
            self._variants[(rule.id, rule.kind)] = rule
        return compiled[0]

    def _compile_for(self, source: str, document: dict[str, Any], kind: str, position: int,
                     kinds: tuple[str, ...]) -> Rule:
        def fail(message: str, key: tuple[str | int, ...]) -> PolicyPackError:
            text = (self.pack.root / source).read_text("utf-8")
            line, column = locate(compose_positions(text), key)
            return PolicyPackError(message, file=source, line=line, column=column)

        rule_id = document["id"]
        if Path(source).stem != rule_id:
            raise fail(f"the rule id '{rule_id}' must equal the file name '{Path(source).stem}'", ("id",))
        if kind not in self.pack.kinds:
            where: tuple[str | int, ...] = ("applies_to",) if isinstance(document["applies_to"], str) else (
                "applies_to", position)
            raise fail(f"applies_to names '{kind}', which is not a kind in rules/pack.yaml "
                       f"({', '.join(sorted(self.pack.kinds))})", where)
        if kinds.count(kind) > 1:
            raise fail(f"applies_to names '{kind}' twice", ("applies_to", position))
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

        variables = judged_settings(self.pack.dated_settings, document, variables)

        def wrap(source: str) -> str:
            return bind_variables(variables, source) if variables else source

        def program(key: str, env: Environment, source: str | None = None) -> Program | None:
            if source is None and key not in document:
                return None
            try:
                return env.compile(wrap(source if source is not None else document[key]))
            except ExpressionError as error:
                raise fail(f"{key}: {error}", (key,)) from None

        condition = when_source(document)

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
            words = None
            if "words" in spec:
                w = spec["words"]
                if w["list"] not in self.pack.word_lists:
                    raise fail(f"scan.words names the word list '{w['list']}', which rules/pack.yaml does not "
                               f"declare ({', '.join(sorted(self.pack.word_lists)) or 'none'})", ("scan", "words"))
                group = w.get("group", 0)
                if (isinstance(group, int) and group > pattern.groups) or (
                        isinstance(group, str) and group not in pattern.groupindex):
                    raise fail(f"scan.words.group '{group}' is not a group of scan.pattern", ("scan", "words"))
                stop = w.get("stop_setting")
                if stop is not None and stop not in self.pack.settings:
                    raise fail(f"scan.words.stop_setting names '{stop}', which is not in the settings",
                               ("scan", "words"))
                allow = {allowed_kind: tuple(_list_path(p) for p in paths)
                         for allowed_kind, paths in w.get("allow_values_of", {}).items()}
                for allowed_kind in allow:
                    if allowed_kind not in self.pack.kinds:
                        raise fail(f"scan.words.allow_values_of names '{allowed_kind}', which is not a kind",
                                   ("scan", "words"))
                words = WordCheck(group, self.pack.word_lists[w["list"]], stop, allow)
            age = None
            if "years_before_today" in spec:
                low, high = spec["years_before_today"]
                age = AgeCheck((int(low), int(high)))
            scan = Scan(pattern, tuple(_skip_pattern(p) for p in spec.get("skip_paths", [])), check, words, age,
                        bool(spec.get("within_text", False)), int(spec.get("show", 2)),
                        tuple(spec.get("defer_to", [])))
        history = None
        if "history" in document:
            h = document["history"]
            history = HistoryCheck(h["check"], tuple(h.get("fields", [])), h.get("dated_by"))

        return Rule(
            id=rule_id, title=document["title"], clause=clause,
            category=document.get("category", "policy" if clause else "integrity"),
            severity=document["severity"], waivable=document.get("waivable", True), kind=kind,
            message_text=document["message"], why=document["why"], source=source, document=document,
            when=program("effective" if "effective" in document else "when", plain, condition) if condition else None,
            for_each=program("for_each", plain),
            assertion=program("assert", environment), scan=scan, history=history,
            at=template("at"), message=template("message"), examples=document.get("examples", []),
            warning_when=program("warning_when", environment), when_source=condition,
            when_reads=_names_in(wrap(condition), plain) if condition else frozenset(),
            reads=_names_in(" ".join(
                str(document.get(key, "")) for key in RULE_CEL_KEYS
            ) + " " + str((document.get("effective") or {}).get("date", ""))
              + " " + " ".join(expression for _, expression in variables), environment),
            kinds=kinds, variables=variables,
        )
