"""The report over a period: errors open over time, breaches opened and closed, the slowest to close, and the
past breaches a waiver without an expiry date acknowledges. Built from an ``Audit`` of the period."""

from __future__ import annotations

from dataclasses import dataclass

from ap_lint.audit.asof import days
from ap_lint.audit.breaches import Audit, Breach
from ap_lint.checker import CheckResult
from ap_lint.findings import parse_path
from ap_lint.load.register import value_at

#: how many of the slowest breaches the report lists
SLOWEST = 5


@dataclass(frozen=True)
class PeriodBreach:
    """One breach as a row of the report."""

    rule: str
    clause: str
    severity: str
    file: str
    opened: str
    opened_by: str
    closed: str
    closed_by: str
    days_open: int
    message: str


@dataclass(frozen=True)
class DayCount:
    """Errors open at the end of one day, with the bar's place in the chart."""

    day: str
    count: int
    x: float
    height: float


@dataclass(frozen=True)
class Acknowledgement:
    """A waiver without an expiry date: a past breach the trust has acknowledged."""

    waiver: str
    rule: str
    record: str
    approved_on: str
    file: str


@dataclass(frozen=True)
class PeriodReport:
    """What the period section shows."""

    start: str
    end: str
    chart_days: tuple[DayCount, ...]
    most_open: int
    opened: tuple[PeriodBreach, ...]
    closed: tuple[PeriodBreach, ...]
    still_open: int
    slowest: tuple[PeriodBreach, ...]
    acknowledged: tuple[Acknowledgement, ...]
    median_days_to_close: float | None

    #: the chart's drawing area, in SVG units
    chart_width: int = 540
    chart_height: int = 120


def _row(breach: Breach, end: str) -> PeriodBreach:
    f = breach.finding
    return PeriodBreach(f.rule, f.clause or "", "waived" if f.is_waived else f.severity, f.file, breach.opened,
                        breach.opened_by.describe(), breach.closed or "", breach.closed_by.describe()
                        if breach.closed_by else "", breach.days_open(end), f.message)


def build_period(audit: Audit, result: CheckResult) -> PeriodReport:
    """The period section from the audit of the period and the check of its last day (for the waivers)."""
    period = list(days(audit.start, audit.end))
    errors = [b for b in audit.breaches if b.finding.severity == "error" and not b.finding.is_waived]
    counts = [sum(1 for b in errors if b.opened <= day and (b.closed is None or day < b.closed)) for day in period]
    most = max(counts, default=0)
    width, height = PeriodReport.chart_width, PeriodReport.chart_height
    step = width / max(len(period), 1)
    chart = tuple(DayCount(day, count, round(index * step, 2), round(height * count / most, 2) if most else 0.0)
                  for index, (day, count) in enumerate(zip(period, counts)))
    rows = [_row(b, audit.end) for b in audit.breaches]
    closed = [r for r, b in zip(rows, audit.breaches) if b.closed is not None]
    days_to_close = sorted(r.days_open for r in closed)
    median = None
    if days_to_close:
        middle = len(days_to_close) // 2
        median = float(days_to_close[middle]) if len(days_to_close) % 2 else (
            days_to_close[middle - 1] + days_to_close[middle]) / 2
    return PeriodReport(
        start=audit.start, end=audit.end, chart_days=chart, most_open=most,
        opened=tuple(r for r in rows if r.opened >= audit.start and r.opened_by != "before the period"),
        closed=tuple(closed), still_open=sum(1 for b in audit.breaches if b.closed is None),
        slowest=tuple(sorted(rows, key=lambda r: (-r.days_open, r.opened, r.file))[:SLOWEST]),
        acknowledged=_acknowledged(result), median_days_to_close=median)


def _acknowledged(result: CheckResult) -> tuple[Acknowledgement, ...]:
    spec = result.pack.waivers
    if spec is None:
        return ()
    found = []
    for record in result.records:
        if record.kind != spec.kind or not record.valid or record.data is None:
            continue
        if value_at(record.data, parse_path(spec.expires_on)) is None:
            found.append(Acknowledgement(record.id or "", str(value_at(record.data, parse_path(spec.rule))),
                                         str(value_at(record.data, parse_path(spec.record))),
                                         str(value_at(record.data, parse_path(spec.approved_on)) or ""), record.file))
    return tuple(sorted(found, key=lambda a: (a.approved_on, a.waiver)))
