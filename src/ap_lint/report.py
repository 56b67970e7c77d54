"""The report: figures, breakdowns, due dates, lists and findings by policy clause.

What the report shows is declared by the policy pack in ``rules/report.yaml``
(validated against the engine schema ``pack_schemas/report.schema.json``). This
module compiles that declaration's CEL, evaluates it over a checked register
with the record context the rules see, and renders the resulting ``Report``
value with the templates in ``templates/`` (HTML or Markdown). It knows nothing
about any particular register: only records of kinds, expressions over them,
and the check's findings.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Union

import jinja2

from ap_lint import __version__
from ap_lint.checker import CheckResult
from ap_lint.engine import EvaluationContext, Evaluator
from ap_lint.errors import PolicyPackError
from ap_lint.expressions import Environment, EvaluationError, ExpressionError, Program, Template
from ap_lint.findings import Finding
from ap_lint.loader import compose_positions, locate
from ap_lint.pack import Pack, load_pack_yaml
from ap_lint.register import Record, Register
from ap_lint.rules import Rule, RuleCompiler

REPORT_FILE = Path("rules") / "report.yaml"
#: figures every report has, besides those the pack declares
BUILTIN_FIGURES = ("errors", "warnings", "waived", "due", "overdue", "records", "within_days")
BLOCK_DUE, BLOCK_FINDINGS = "due", "findings"
TONES = ("ok", "warning", "error", "neutral")
NOT_RECORDED = "(not recorded)"

#: the report of a pack that declares none: its findings by clause
DEFAULT_REPORT: dict[str, Any] = {
    "title": "Policy compliance report",
    "headline": "{errors} {errors == 1 ? 'error needs' : 'errors need'} action; "
                "{warnings} {warnings == 1 ? 'warning' : 'warnings'} to note.",
    "cards": [{"figure": "errors", "label": "errors need action", "attention": True},
              {"figure": "warnings", "label": "warnings to note"},
              {"figure": "records", "label": "records checked"}],
    "sections": [{"id": "compliance", "title": "Is the policy being followed?", "show": [BLOCK_FINDINGS]}],
}


# ---------------------------------------------------------------- the declaration, compiled

@dataclass(frozen=True)
class Selection:
    """The records an element reads: one kind, optionally filtered by a CEL condition."""

    kind: str
    when: Program | None


@dataclass(frozen=True)
class FigureSpec:
    name: str
    selection: Selection
    distinct: Program | None


@dataclass(frozen=True)
class CardSpec:
    figure: str
    label: Template
    attention: bool


@dataclass(frozen=True)
class SectionSpec:
    id: str
    title: Template
    intro: Template | None
    show: tuple[str, ...]


@dataclass(frozen=True)
class BreakdownSpec:
    id: str
    title: str
    description: str
    selection: Selection
    group_by: Program
    label: Template | None
    labels: dict[str, str]
    order: tuple[str, ...]
    tones: dict[str, str]
    group_title: str
    unit: str
    empty: str


@dataclass(frozen=True)
class DueSpec:
    id: str
    title: str
    selection: Selection
    date: Program
    label: Template


@dataclass(frozen=True)
class ColumnSpec:
    title: str
    value: Program
    tone: Program | None


@dataclass(frozen=True)
class ListSpec:
    id: str
    title: str
    description: str
    selection: Selection
    sort: Program | None
    columns: tuple[ColumnSpec, ...]
    empty: str


@dataclass(frozen=True)
class ReportSpec:
    """A pack's report declaration with every expression compiled."""

    title: Template
    subtitle: Template | None
    headline: Template | None
    figures: tuple[FigureSpec, ...]
    cards: tuple[CardSpec, ...]
    sections: tuple[SectionSpec, ...]
    breakdowns: dict[str, BreakdownSpec]
    lists: dict[str, ListSpec]
    due: tuple[DueSpec, ...]
    within_days: int
    show_next: int
    due_title: str
    due_empty: str
    findings_title: str
    other_title: str
    source: str
    environments: "ReportEnvironments"


class ReportEnvironments:
    """CEL environments for report expressions: one per record kind, and one for the page's own texts."""

    RECORD_EXTRA = ("findings",)

    def __init__(self, pack: Pack, compiler: RuleCompiler, figure_names: list[str]) -> None:
        self.compiler = compiler
        self.singles = [name for name, spec in pack.kinds.items() if spec.single]
        self.summary = Environment([*self.singles, "settings", "today", *BUILTIN_FIGURES, *figure_names])
        self._by_kind: dict[str, Environment] = {}

    def for_kind(self, kind: str) -> Environment:
        if kind not in self._by_kind:
            self._by_kind[kind] = Environment([*self.compiler.variables_for(kind), *self.RECORD_EXTRA])
        return self._by_kind[kind]


class _SpecCompiler:
    """Compiles a report declaration, pointing at its file and line when something is wrong."""

    def __init__(self, pack: Pack, compiler: RuleCompiler, document: dict[str, Any], text: str | None) -> None:
        self.pack = pack
        self.document = document
        self.source = REPORT_FILE.as_posix() if text is not None else "(built-in report)"
        self.positions = compose_positions(text) if text is not None else None
        names = list(document.get("figures") or {})
        self.environments = ReportEnvironments(pack, compiler, names)

    def fail(self, message: str, path: tuple[str | int, ...]) -> PolicyPackError:
        line, column = locate(self.positions, path) if self.positions is not None else (0, 0)
        return PolicyPackError(message, file=self.source, line=line or None, column=column or None)

    def program(self, source: str, environment: Environment, path: tuple[str | int, ...]) -> Program:
        try:
            return environment.compile(source)
        except ExpressionError as error:
            raise self.fail(f"{_dotted(path)}: {error}", path) from None

    def template(self, text: str, environment: Environment, path: tuple[str | int, ...]) -> Template:
        try:
            return Template.compile(text, environment)
        except ExpressionError as error:
            raise self.fail(f"{_dotted(path)}: {error}", path) from None

    def selection(self, spec: dict[str, Any], path: tuple[str | int, ...]) -> tuple[Selection, Environment]:
        kind = spec["kind"]
        if kind not in self.pack.kinds:
            raise self.fail(f"{_dotted((*path, 'kind'))}: '{kind}' is not a kind in rules/pack.yaml "
                            f"({', '.join(sorted(self.pack.kinds))})", (*path, "kind"))
        environment = self.environments.for_kind(kind)
        when = self.program(spec["when"], environment, (*path, "when")) if "when" in spec else None
        return Selection(kind, when), environment

    def compile(self) -> ReportSpec:
        doc = self.document
        summary = self.environments.summary
        figures = []
        reserved = {*BUILTIN_FIGURES, *self.environments.singles, "settings", "today"}
        for name, spec in (doc.get("figures") or {}).items():
            path: tuple[str | int, ...] = ("figures", name)
            if name in reserved:
                raise self.fail(f"figures: '{name}' is a built-in name; choose another", path)
            selection, environment = self.selection(spec, path)
            distinct = self.program(spec["distinct"], environment, (*path, "distinct")) if "distinct" in spec else None
            figures.append(FigureSpec(name, selection, distinct))
        known_figures = {*BUILTIN_FIGURES, *(f.name for f in figures)}
        cards = []
        for index, card in enumerate(doc.get("cards") or []):
            if card["figure"] not in known_figures:
                raise self.fail(f"cards[{index}].figure: there is no figure '{card['figure']}' "
                                f"({', '.join(sorted(known_figures))})", ("cards", index, "figure"))
            label = self.template(card["label"], summary, ("cards", index, "label"))
            cards.append(CardSpec(card["figure"], label, card.get("attention", False)))

        breakdowns = {bid: self.breakdown(bid, spec) for bid, spec in (doc.get("breakdowns") or {}).items()}
        lists = {lid: self.list(lid, spec) for lid, spec in (doc.get("lists") or {}).items()}
        for lid in lists:
            if lid in breakdowns or lid in (BLOCK_DUE, BLOCK_FINDINGS):
                raise self.fail(f"lists.{lid}: the id '{lid}' is also used by a breakdown or is reserved", ("lists", lid))
        for bid in breakdowns:
            if bid in (BLOCK_DUE, BLOCK_FINDINGS):
                raise self.fail(f"breakdowns.{bid}: the id '{bid}' is reserved", ("breakdowns", bid))
        due_doc = doc.get("due") or {}
        due = tuple(self.due_item(index, spec) for index, spec in enumerate(due_doc.get("items", [])))

        sections = []
        available = {*breakdowns, *lists, BLOCK_FINDINGS, *([BLOCK_DUE] if due else [])}
        for index, section in enumerate(doc["sections"]):
            path = ("sections", index)
            for position, block in enumerate(section["show"]):
                if block not in available:
                    raise self.fail(f"sections[{index}].show: there is no breakdown or list '{block}' "
                                    f"({', '.join(sorted(available))})", (*path, "show", position))
            sections.append(SectionSpec(
                section["id"], self.template(section["title"], summary, (*path, "title")),
                self.template(section["intro"], summary, (*path, "intro")) if "intro" in section else None,
                tuple(section["show"])))
        findings = doc.get("findings") or {}
        return ReportSpec(
            title=self.template(doc["title"], summary, ("title",)),
            subtitle=self.template(doc["subtitle"], summary, ("subtitle",)) if "subtitle" in doc else None,
            headline=self.template(doc["headline"], summary, ("headline",)) if "headline" in doc else None,
            figures=tuple(figures), cards=tuple(cards), sections=tuple(sections),
            breakdowns=breakdowns, lists=lists, due=due,
            within_days=due_doc.get("within_days", 30), show_next=due_doc.get("show_next", 0),
            due_title=due_doc.get("title", "Dates falling due"),
            due_empty=due_doc.get("empty", "Nothing falls due."),
            findings_title=findings.get("title", "Findings by policy clause"),
            other_title=findings.get("other_title", "Not tied to one clause"),
            source=self.source, environments=self.environments,
        )

    def breakdown(self, bid: str, spec: dict[str, Any]) -> BreakdownSpec:
        path: tuple[str | int, ...] = ("breakdowns", bid)
        selection, environment = self.selection(spec, path)
        return BreakdownSpec(
            id=bid, title=spec["title"], description=spec.get("description", ""), selection=selection,
            group_by=self.program(spec["group_by"], environment, (*path, "group_by")),
            label=self.template(spec["label"], environment, (*path, "label")) if "label" in spec else None,
            labels=dict(spec.get("labels") or {}), order=tuple(spec.get("order") or ()),
            tones=dict(spec.get("tones") or {}), group_title=spec.get("group_title", "Group"),
            unit=spec.get("unit", "records"),
            empty=spec.get("empty", "Nothing to show."),
        )

    def list(self, lid: str, spec: dict[str, Any]) -> ListSpec:
        path: tuple[str | int, ...] = ("lists", lid)
        selection, environment = self.selection(spec, path)
        columns = []
        for index, column in enumerate(spec["columns"]):
            where = (*path, "columns", index)
            columns.append(ColumnSpec(
                column["title"], self.program(column["value"], environment, (*where, "value")),
                self.program(column["tone"], environment, (*where, "tone")) if "tone" in column else None))
        return ListSpec(
            id=lid, title=spec["title"], description=spec.get("description", ""), selection=selection,
            sort=self.program(spec["sort"], environment, (*path, "sort")) if "sort" in spec else None,
            columns=tuple(columns), empty=spec.get("empty", "Nothing to show."),
        )

    def due_item(self, index: int, spec: dict[str, Any]) -> DueSpec:
        path: tuple[str | int, ...] = ("due", "items", index)
        selection, environment = self.selection(spec, path)
        return DueSpec(
            id=spec["id"], title=spec["title"], selection=selection,
            date=self.program(spec["date"], environment, (*path, "date")),
            label=self.template(spec["label"], environment, (*path, "label")),
        )


def _dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def load_report_spec(pack: Pack, compiler: RuleCompiler) -> ReportSpec:
    """Read, validate and compile the pack's ``rules/report.yaml`` (or the built-in report when it has none)."""
    path = pack.root / REPORT_FILE
    if not path.is_file():
        return _SpecCompiler(pack, compiler, DEFAULT_REPORT, None).compile()
    document = load_pack_yaml(pack.root, REPORT_FILE, "report", hashlib.blake2b(digest_size=16), [])
    return _SpecCompiler(pack, compiler, document, path.read_text("utf-8")).compile()


# ---------------------------------------------------------------- the report, as values for templates

@dataclass(frozen=True)
class Bar:
    """One group of a breakdown."""

    key: str
    label: str
    count: int
    tone: str = "neutral"


@dataclass(frozen=True)
class Breakdown:
    """Records counted by group: a bar chart and a table."""

    block: ClassVar[str] = "breakdown"
    id: str
    title: str
    description: str
    group_title: str
    unit: str
    empty: str
    bars: tuple[Bar, ...]

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)

    @property
    def largest(self) -> int:
        return max((bar.count for bar in self.bars), default=0)


@dataclass(frozen=True)
class DueItem:
    """A date that falls due, and what falls due on it."""

    date: str
    days: int
    what: str
    label: str
    record: str
    file: str

    @property
    def overdue(self) -> bool:
        return self.days < 0


@dataclass(frozen=True)
class DueList:
    """Dates due within the window (overdue ones included), and the next few after it."""

    block: ClassVar[str] = "due"
    id: str
    title: str
    within_days: int
    empty: str
    items: tuple[DueItem, ...]
    later: tuple[DueItem, ...]

    @property
    def overdue(self) -> list[DueItem]:
        return [item for item in self.items if item.overdue]

    @property
    def upcoming(self) -> list[DueItem]:
        return [item for item in self.items if not item.overdue]


@dataclass(frozen=True)
class Cell:
    """One cell of a list: one line, or several (a list value), and an optional tone."""

    lines: tuple[str, ...]
    tone: str = ""


@dataclass(frozen=True)
class ListTable:
    """One row per matching record."""

    block: ClassVar[str] = "list"
    id: str
    title: str
    description: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    empty: str


@dataclass(frozen=True)
class FindingRow:
    """One finding as the report shows it."""

    result: str
    tone: str
    record: str
    where: str
    rule: str
    message: str
    waiver: str | None


@dataclass(frozen=True)
class ClauseResult:
    """What the check found for one policy clause."""

    id: str | None
    title: str
    text: str
    not_checkable: str | None
    rules: tuple[str, ...]
    errors: tuple[FindingRow, ...]
    warnings: tuple[FindingRow, ...]
    waived: tuple[FindingRow, ...]

    @property
    def findings(self) -> tuple[FindingRow, ...]:
        return self.errors + self.warnings + self.waived

    @property
    def tone(self) -> str:
        if self.errors:
            return "error"
        if self.warnings:
            return "warning"
        return "ok" if self.rules else "neutral"

    @property
    def verdict(self) -> str:
        if self.errors:
            return _plural(len(self.errors), "error needs", "errors need") + " action"
        if self.warnings:
            return _plural(len(self.warnings), "warning", "warnings") + " to note"
        waived = f" ({len(self.waived)} waived)" if self.waived else ""
        if self.rules:
            return "Followed" + waived
        if self.not_checkable:
            return "Not machine-checkable" + waived
        return "No rule checks this yet" + waived


@dataclass(frozen=True)
class FindingsByClause:
    """The check's findings under the policy clause each enforces."""

    block: ClassVar[str] = "findings"
    id: str
    title: str
    clauses: tuple[ClauseResult, ...]

    @property
    def with_findings(self) -> list[ClauseResult]:
        return [clause for clause in self.clauses if clause.findings]


Block = Union[Breakdown, DueList, ListTable, FindingsByClause]


@dataclass(frozen=True)
class Section:
    """A part of the page (h2) and the blocks it shows."""

    id: str
    title: str
    intro: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Card:
    """A big number under the headline; an attention card says whether action is needed."""

    label: str
    value: int
    attention: bool

    @property
    def tone(self) -> str:
        if not self.attention:
            return "neutral"
        return "error" if self.value else "ok"


@dataclass(frozen=True)
class Report:
    """Everything the page shows, worked out; templates only lay it out."""

    title: str
    subtitle: str
    headline: str
    today: str
    cards: tuple[Card, ...]
    sections: tuple[Section, ...]
    figures: dict[str, int]
    records_by_kind: dict[str, int]
    rules: int
    pack_name: str
    version: str = __version__
    notes: tuple[str, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------- building the report

class ReportBuilder:
    """Evaluates a compiled report declaration over a checked register."""

    def __init__(self, spec: ReportSpec, result: CheckResult, compiler: RuleCompiler) -> None:
        self.spec = spec
        self.result = result
        self.register = Register(result.pack, result.records)
        self.evaluator = Evaluator(compiler, result.rules, EvaluationContext(
            today=result.today, settings=result.pack.settings, rule_ids=[r.id for r in result.rules]))
        self.singles = {name: self.register.single(kind) for name, kind in result.pack.kinds.items() if kind.single}
        self.findings_by_file: dict[str, list[dict[str, Any]]] = {}
        for finding in result.findings:
            self.findings_by_file.setdefault(finding.file, []).append({
                "rule": finding.rule, "severity": finding.severity, "clause": finding.clause,
                "message": finding.message, "waived": finding.is_waived, "path": finding.path_text,
            })
        self._activations: dict[str, Any] = {}
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def activation(self, record: Record) -> Any:
        if record.file not in self._activations:
            variables, _ = self.evaluator.record_variables(self.register, record, self.singles)
            variables["findings"] = self.findings_by_file.get(record.file, [])
            environment = self.spec.environments.for_kind(record.kind)
            self._activations[record.file] = environment.activation(variables)
        return self._activations[record.file]

    def evaluate(self, program: Program, record: Record, activation: Any, what: str) -> tuple[bool, Any]:
        """(True, value), or (False, None) with a note saying which record the expression failed on."""
        try:
            return True, program.evaluate(activation)
        except EvaluationError as error:
            self.note(f"{what}: could not be worked out for {record.file} ({error}).")
            return False, None

    def select(self, selection: Selection, what: str) -> list[tuple[Record, Any]]:
        chosen = []
        for record in self.register.by_kind.get(selection.kind, []):
            if not isinstance(record.data, dict):
                continue
            activation = self.activation(record)
            if selection.when is not None:
                ok, holds = self.evaluate(selection.when, record, activation, what)
                if not ok:
                    continue
                if not isinstance(holds, bool):
                    self.note(f"{what}: 'when' gave {holds!r}, not true or false, for {record.file}.")
                    continue
                if not holds:
                    continue
            chosen.append((record, activation))
        return chosen

    def figure(self, spec: FigureSpec) -> int:
        chosen = self.select(spec.selection, f"Figure '{spec.name}'")
        if spec.distinct is None:
            return len(chosen)
        values = set()
        for record, activation in chosen:
            ok, value = self.evaluate(spec.distinct, record, activation, f"Figure '{spec.name}'")
            if ok:
                values.add(cell_text(value))
        return len(values)

    def breakdown(self, spec: BreakdownSpec) -> Breakdown:
        what = f"Breakdown '{spec.title}'"
        groups: dict[str, list[Any]] = {key: [] for key in spec.order}
        for record, activation in self.select(spec.selection, what):
            ok, value = self.evaluate(spec.group_by, record, activation, what)
            groups.setdefault(cell_text(value) if ok else NOT_RECORDED, []).append(activation)
        ordered = list(spec.order) + sorted((k for k in groups if k not in spec.order),
                                            key=lambda k: (-len(groups[k]), k))
        bars = tuple(Bar(key, self._group_label(spec, key, groups[key]), len(groups[key]),
                         spec.tones.get(key, "neutral")) for key in ordered)
        return Breakdown(spec.id, spec.title, spec.description, spec.group_title, spec.unit, spec.empty,
                         bars if any(bar.count for bar in bars) else ())

    @staticmethod
    def _group_label(spec: BreakdownSpec, key: str, members: list[Any]) -> str:
        if key in spec.labels:
            return spec.labels[key]
        if spec.label is not None and members:
            try:
                return render_strict(spec.label, members[0]) or key
            except EvaluationError:
                return key
        return key

    def due_items(self) -> list[DueItem]:
        today = datetime.date.fromisoformat(self.result.today)
        items = []
        for spec in self.spec.due:
            what = f"Due date '{spec.title}'"
            for record, activation in self.select(spec.selection, what):
                ok, value = self.evaluate(spec.date, record, activation, what)
                if not ok:
                    continue
                try:
                    date = datetime.date.fromisoformat(value)
                except (TypeError, ValueError):
                    self.note(f"{what}: gave {value!r}, not a date written YYYY-MM-DD, for {record.file}.")
                    continue
                items.append(DueItem(date.isoformat(), (date - today).days, spec.title,
                                     spec.label.render(activation), record.id, record.file))
        return sorted(items, key=lambda i: (i.date, i.what, i.label))

    def table(self, spec: ListSpec) -> ListTable:
        what = f"List '{spec.title}'"
        rows = []
        for record, activation in self.select(spec.selection, what):
            sort_key = record.file
            if spec.sort is not None:
                ok, value = self.evaluate(spec.sort, record, activation, what)
                sort_key = cell_text(value) if ok else ""
            cells = []
            for column in spec.columns:
                column_what = f"{what}, column '{column.title}'"
                ok, value = self.evaluate(column.value, record, activation, column_what)
                lines = tuple(cell_text(v) for v in value) if ok and isinstance(value, list) else (
                    cell_text(value) if ok else NOT_RECORDED,)
                tone = ""
                if column.tone is not None:
                    ok, tone_value = self.evaluate(column.tone, record, activation, column_what)
                    tone = tone_value if ok and tone_value in TONES else "neutral"
                    if ok and tone_value not in TONES:
                        self.note(f"{column_what}: tone gave {tone_value!r}, not one of {', '.join(TONES)}.")
                cells.append(Cell(lines, tone))
            rows.append((sort_key, record.file, tuple(cells)))
        rows.sort(key=lambda row: (row[0], row[1]))
        return ListTable(spec.id, spec.title, spec.description, tuple(c.title for c in spec.columns),
                         tuple(row[2] for row in rows), spec.empty)

    def findings_by_clause(self, rules: list[Rule]) -> FindingsByClause:
        pack = self.result.pack
        by_clause: dict[str | None, list[Finding]] = {}
        for finding in self.result.findings:
            by_clause.setdefault(finding.clause or None, []).append(finding)
        rules_by_clause: dict[str | None, list[str]] = {}
        for rule in rules:
            rules_by_clause.setdefault(rule.clause, []).append(rule.id)
        order: list[str | None] = list(pack.clauses)
        order += sorted(c for c in by_clause if c is not None and c not in pack.clauses)
        if None in by_clause or None in rules_by_clause:
            order.append(None)
        results = []
        for clause_id in order:
            found = by_clause.get(clause_id, [])
            clause = pack.clauses.get(clause_id) if clause_id is not None else None
            title = clause_id if clause_id is not None else self.spec.other_title
            text = clause.text if clause else ("" if clause_id is None else "(not in the policy document)")
            results.append(ClauseResult(
                id=clause_id, title=title, text=text, not_checkable=clause.not_checkable if clause else None,
                rules=tuple(sorted(rules_by_clause.get(clause_id, []))),
                errors=tuple(_row(f) for f in found if not f.is_waived and f.severity == "error"),
                warnings=tuple(_row(f) for f in found if not f.is_waived and f.severity == "warning"),
                waived=tuple(_row(f) for f in found if f.is_waived),
            ))
        return FindingsByClause(BLOCK_FINDINGS, self.spec.findings_title, tuple(results))

    def build(self) -> Report:
        spec, result = self.spec, self.result
        figures = {figure.name: self.figure(figure) for figure in spec.figures}
        all_due = self.due_items() if spec.due else []
        in_window = [item for item in all_due if item.days <= spec.within_days]
        later = [item for item in all_due if item.days > spec.within_days][:spec.show_next]
        figures.update(
            errors=len(result.errors), warnings=len(result.warnings), waived=len(result.waived),
            due=sum(1 for item in in_window if not item.overdue), overdue=sum(1 for i in in_window if i.overdue),
            records=len(result.records), within_days=spec.within_days,
        )
        summary = spec.environments.summary.activation(
            {**self.singles, "settings": result.pack.settings, "today": result.today, **figures})
        blocks: dict[str, Block] = {BLOCK_FINDINGS: self.findings_by_clause(result.rules)}
        if spec.due:
            blocks[BLOCK_DUE] = DueList(BLOCK_DUE, spec.due_title, spec.within_days, spec.due_empty,
                                        tuple(in_window), tuple(later))
        sections = []
        for section in spec.sections:
            shown: list[Block] = []
            for block_id in section.show:
                if block_id not in blocks:
                    if block_id in spec.breakdowns:
                        blocks[block_id] = self.breakdown(spec.breakdowns[block_id])
                    else:
                        blocks[block_id] = self.table(spec.lists[block_id])
                shown.append(blocks[block_id])
            sections.append(Section(section.id, section.title.render(summary),
                                    section.intro.render(summary) if section.intro else "", tuple(shown)))
        return Report(
            title=spec.title.render(summary),
            subtitle=spec.subtitle.render(summary) if spec.subtitle else "",
            headline=spec.headline.render(summary) if spec.headline else "",
            today=result.today,
            cards=tuple(Card(card.label.render(summary), figures[card.figure], card.attention) for card in spec.cards),
            sections=tuple(sections), figures=figures,
            records_by_kind={(result.pack.kinds[k].title if k in result.pack.kinds else k): n
                             for k, n in result.counts_by_kind().items()},
            rules=len(result.rules), pack_name=result.pack.name, notes=tuple([*result.notes, *self.notes]),
        )


def build_report(spec: ReportSpec, result: CheckResult, compiler: RuleCompiler) -> Report:
    """Work out everything the report shows, from a check result and the pack's declaration."""
    return ReportBuilder(spec, result, compiler).build()


def _row(finding: Finding) -> FindingRow:
    if finding.is_waived:
        result, tone = "Waived", "neutral"
    else:
        result, tone = ("Error", "error") if finding.severity == "error" else ("Warning", "warning")
    return FindingRow(result, tone, finding.record or finding.file, f"{finding.file}:{finding.line}:{finding.column}",
                      finding.rule, finding.message, finding.waived_by)


def render_strict(template: Template, activation: Any) -> str:
    """Render a template, raising ``EvaluationError`` instead of writing '(not recorded)'."""
    out = []
    for part in template.parts:
        out.append(part if isinstance(part, str) else cell_text(part.evaluate(activation)))
    return "".join(out)


def cell_text(value: Any) -> str:
    """A value as the report writes it."""
    if value is None:
        return NOT_RECORDED
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(cell_text(v) for v in value)
    return str(value)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


# ---------------------------------------------------------------- rendering

def long_date(iso: str) -> str:
    """``2027-01-11`` as ``Mon 11 Jan 2027``."""
    try:
        day = datetime.date.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    return f"{day:%a} {day.day} {day:%b %Y}"


def due_when(days: int) -> str:
    """How far off a due date is, in words."""
    if days < 0:
        return f"Overdue by {_plural(-days, 'day', 'days')}"
    if days == 0:
        return "Today"
    if days == 1:
        return "Tomorrow"
    return f"In {days} days"


def markdown_cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


_SYMBOLS = {"ok": "✔", "warning": "⚠", "error": "✖", "neutral": "•", "": ""}


def _environment(autoescape: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("ap_lint", "templates"), autoescape=autoescape,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters.update(long_date=long_date, due_when=due_when, md=markdown_cell,
                               symbol=lambda tone: _SYMBOLS.get(tone, ""))
    environment.globals.update(plural=_plural)
    return environment


def render_html(report: Report) -> str:
    """The report as one self-contained web page: inline CSS and SVG, no scripts, no network."""
    return _environment(autoescape=True).get_template("report.html.j2").render(report=report)


def render_markdown(report: Report) -> str:
    """The report as Markdown, for a pull-request comment."""
    return _environment(autoescape=False).get_template("report.md.j2").render(report=report)


Renderer = Callable[[Report], str]

RENDERER_BY_SUFFIX: dict[str, Renderer] = {
    ".html": render_html,
    ".htm": render_html,
    ".md": render_markdown,
}
