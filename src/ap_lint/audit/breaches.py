"""Breaches over a period: every finding open at any time, when it opened and closed, and what did it.

A breach opens on the first day its finding appears (at the end of the day, on the register as the main
line held it, judged with today = that day) and closes on the first day it is gone, whether a commit or the
calendar made it so. Days between commits are judged too: within a run of days on which the register did not
change, the check is made at both ends and at most every ``SAMPLE_DAYS`` days between, and wherever two
checks differ the days between are halved until the day of each change is found.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Iterable

from ap_lint.audit.asof import SAMPLE_DAYS, Register, State, days, finding_identity
from ap_lint.audit.mainline import MainLineCommit
from ap_lint.findings import Finding


Identity = tuple[Any, ...]


identity = finding_identity


@dataclass(frozen=True)
class Cause:
    """What opened or closed a breach: a commit of the main line (with its author), or time passing."""

    commit: str | None = None
    author: str | None = None
    subject: str | None = None
    #: "commit", "time passed", or "before the period" (a breach already open when the period begins)
    cause: str = "time passed"

    def as_dict(self) -> dict[str, object]:
        return {"cause": self.cause, "commit": self.commit, "author": self.author, "subject": self.subject}

    def describe(self) -> str:
        return f"commit {self.commit[:7]} by {self.author}" if self.commit is not None else self.cause


BEFORE_THE_PERIOD = Cause(cause="before the period")


@dataclass
class Breach:
    """One finding's open period, with the finding as it was on the day it opened."""

    finding: Finding
    opened: str
    opened_by: Cause
    closed: str | None = None
    closed_by: Cause | None = None

    def days_open(self, period_end: str) -> int:
        import datetime

        end = self.closed or _next_day(period_end)
        return (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(self.opened)).days

    def as_dict(self, period_end: str) -> dict[str, object]:
        f = self.finding
        return {
            "rule": f.rule, "clause": f.clause, "severity": f.severity, "record": f.record, "file": f.file,
            "opened": self.opened, "closed": self.closed,
            "opened_by": self.opened_by.as_dict(),
            "closed_by": self.closed_by.as_dict() if self.closed_by is not None else None,
            "days_open": self.days_open(period_end), "waived": f.is_waived, "message": f.message,
        }


@dataclass
class Audit:
    """Every breach open at any time from ``start`` to ``end``, and a summary per clause."""

    start: str
    end: str
    breaches: list[Breach] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, dict[str, object]]:
        """Per clause (``(no clause)`` for integrity and privacy rules): breaches, still open, days to close."""
        by_clause: dict[str, list[Breach]] = {}
        for breach in self.breaches:
            by_clause.setdefault(breach.finding.clause or "(no clause)", []).append(breach)
        summary: dict[str, dict[str, object]] = {}
        for clause in sorted(by_clause):
            group = by_clause[clause]
            closed = [b.days_open(self.end) for b in group if b.closed is not None]
            summary[clause] = {
                "breaches": len(group),
                "still_open": sum(1 for b in group if b.closed is None),
                "median_days_to_close": statistics.median(closed) if closed else None,
                "longest_days_to_close": max(closed) if closed else None,
            }
        return summary

    def as_dict(self) -> dict[str, object]:
        return {"from": self.start, "to": self.end,
                "breaches": [b.as_dict(self.end) for b in self.breaches],
                "summary": self.summary(), "notes": self.notes}


def _next_day(day: str) -> str:
    import datetime

    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()


class _Days:
    """The findings of each day of the period, checked as few times as the rule of the module allows."""

    def __init__(self, past: Register) -> None:
        self.past = past
        self.found: dict[str, dict[Identity, Finding]] = {}

    def fill(self, state: State | None, run: list[str]) -> None:
        if state is None:
            for day in run:
                self.found[day] = {}
            return
        self._check(state, run[0])
        self._check(state, run[-1])
        self._between(state, run, 0, len(run) - 1)

    def _check(self, state: State, day: str) -> dict[Identity, Finding]:
        if day not in self.found:
            self.found[day] = {identity(f): f for f in state.check(day).findings}
        return self.found[day]

    def _between(self, state: State, run: list[str], low: int, high: int) -> None:
        while high - low > 1:
            same = self.found[run[low]].keys() == self.found[run[high]].keys()
            if same and high - low <= SAMPLE_DAYS:
                for day in run[low + 1:high]:
                    self.found[day] = self.found[run[low]]
                return
            middle = (low + high) // 2
            self._check(state, run[middle])
            self._between(state, run, low, middle)
            low = middle


def audit(past: Register, start: str, end: str) -> Audit:
    """Every breach open at any time from ``start`` to ``end`` (both included)."""
    result = Audit(start, end)
    runs: list[tuple[MainLineCommit | None, list[str]]] = []
    for day in days(start, end):
        commit = past.line.at_end_of(day)
        if runs and runs[-1][0] == commit:
            runs[-1][1].append(day)
        else:
            runs.append((commit, [day]))
    checked = _Days(past)
    open_now: dict[Identity, Breach] = {}
    previous_commit = past.line.at_end_of(_previous_day(start))
    previous_state: State | None = None
    for commit, run in runs:
        state = past.state(commit) if commit is not None else None
        checked.fill(state, run)
        for note in state.notes if state is not None else []:
            if note not in result.notes:
                result.notes.append(note)
        commits = past.line.between(previous_commit, commit) if commit not in (None, previous_commit) else []
        for index, day in enumerate(run):
            found = checked.found[day]
            made_by = commits if index == 0 else []
            for key, finding in found.items():
                if key not in open_now:
                    cause = BEFORE_THE_PERIOD if day == start else _cause(made_by, previous_state, key, day, True)
                    open_now[key] = Breach(finding, day, cause)
                    result.breaches.append(open_now[key])
            for key in [k for k in open_now if k not in found]:
                breach = open_now.pop(key)
                breach.closed, breach.closed_by = day, _cause(made_by, previous_state, key, day, False)
        previous_commit, previous_state = commit, state
    result.breaches.sort(key=lambda b: (b.opened, b.finding.file, b.finding.rule))
    return result


def _previous_day(day: str) -> str:
    import datetime

    return (datetime.date.fromisoformat(day) - datetime.timedelta(days=1)).isoformat()


def _cause(changed_by: list[MainLineCommit], previous: State | None, key: Identity, day: str,
           opening: bool) -> Cause:
    """A commit when the register changed that day and the change (not the date) made the difference."""
    if not changed_by:
        return Cause()
    if previous is not None:
        # on the register as it was before the day's commits, with today = this day: the calendar alone
        if (key in previous.identities(day)) == opening:
            return Cause()
    newest = changed_by[-1]
    return Cause(newest.sha, newest.author, newest.subject, "commit")


def breaches_of(findings: Iterable[Finding]) -> set[Identity]:
    """The identities of a day's findings (for tests and callers comparing days)."""
    return {identity(f) for f in findings}
