"""The governors' report as the pack declares it (``rules/report.yaml``), compiled.

The declaration is validated against the engine schema ``pack_schemas/report.schema.json`` and its CEL
compiled once; ``load_report_spec`` returns the compiled ``ReportSpec``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ap_lint.errors import PolicyPackError
from ap_lint.evaluate.expressions import Environment, ExpressionError, Program, Template
from ap_lint.evaluate.rules import RuleCompiler
from ap_lint.load.positions import compose_positions, locate
from ap_lint.pack import Pack, load_pack_yaml

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
