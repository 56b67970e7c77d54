"""Building the report: the compiled declaration evaluated over a checked register and its findings.

It evaluates the pack's expressions with the record context the rules see. It knows nothing about any
particular register: only records of kinds, expressions over them, and the check's findings.
"""

from __future__ import annotations

import datetime
from typing import Any

from ap_lint.checker import CheckResult
from ap_lint.evaluate.engine import EvaluationContext, Evaluator
from ap_lint.evaluate.expressions import EvaluationError, Program, Template
from ap_lint.evaluate.rules import Rule, RuleCompiler
from ap_lint.findings import Finding
from ap_lint.load.register import Record, Register
from ap_lint.output.report.model import (
    Bar, Block, Breakdown, Card, Cell, ClauseResult, DueItem, DueList, FindingRow, FindingsByClause, ListTable,
    Report, Section,
)
from ap_lint.output.report.spec import (
    BLOCK_DUE, BLOCK_FINDINGS, NOT_RECORDED, TONES, BreakdownSpec, FigureSpec, ListSpec, ReportSpec, Selection,
)

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
