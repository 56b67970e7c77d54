"""The report as values for the templates: everything the page shows, worked out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Union

from ap_lint import __version__


if TYPE_CHECKING:
    from ap_lint.output.report.period import PeriodReport

def plural(count: int, one: str, many: str) -> str:
    """``1 day``, ``2 days``: a count with the word that agrees with it."""
    return f"{count} {one if count == 1 else many}"

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
            return plural(len(self.errors), "error needs", "errors need") + " action"
        if self.warnings:
            return plural(len(self.warnings), "warning", "warnings") + " to note"
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
    #: the section over a period (ap-lint report --from), when asked for
    period: PeriodReport | None = None
