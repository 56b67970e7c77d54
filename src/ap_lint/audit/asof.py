"""The register as it stood: ``check --as-of DATE`` and the register on each day of a period.

The register at the end of a day is the main line's commit of that day (see ``mainline``), checked with
today = that day and with the policy pack as it stood then (the register's own pack at that commit; a
register without a pack of its own is checked with the installed pack, and a note says so).
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ap_lint.audit.mainline import MainLine, MainLineCommit, Snapshot, _git
from ap_lint.checker import Checker, CheckResult
from ap_lint.errors import ApLintError, ConfigError
from ap_lint.evaluate.engine import EvaluationContext, Evaluator
from ap_lint.evaluate.locate import locate_findings, read_text
from ap_lint.evaluate.waivers import apply_waivers
from ap_lint.findings import Finding
from ap_lint.git.history import check_history
from ap_lint.git.history_cache import HistoryMemory
from ap_lint.load.register import RECORDS_DIR, Record, SourceFile, discover
from ap_lint.load.register import Register as RecordIndex
from ap_lint.pack import PACK_FILE


def parse_day(text: str, option: str) -> str:
    """A date given on the command line, exactly ``YYYY-MM-DD``; a clear error otherwise."""
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or len(text) != 10:
        raise ConfigError(f"{option} must be a date written YYYY-MM-DD, not '{text}'.")
    return day.isoformat()


def days(first: str, last: str) -> Iterator[str]:
    """Every date from ``first`` to ``last``, both included."""
    day, end = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    while day <= end:
        yield day.isoformat()
        day += datetime.timedelta(days=1)


def finding_identity(finding: Finding) -> tuple[Any, ...]:
    """What makes a finding the same breach from day to day (its message may count days, so not the message)."""
    return (finding.rule, finding.file, finding.record, finding.path, finding.severity, finding.is_waived)


class Judge:
    """One compiled pack, its rules split in two: rules that read ``today`` are evaluated on every day asked
    for; the others only when a record's context (its content and its related records') is new."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        daily = {rule.id for rule in checker.rules if rule.reads_today}
        rule_ids = [r.id for r in checker.rules]
        context = EvaluationContext(today="", settings=checker.pack.settings, rule_ids=rule_ids)
        self.steady = Evaluator(checker.compiler, [r for r in checker.rules if r.id not in daily], context)
        self.daily = Evaluator(checker.compiler, [r for r in checker.rules if r.id in daily], context)
        self.known: dict[str, list[Finding]] = {}
        self.by_day: dict[str, dict[str, list[Finding]]] = {}
        #: the history pass's folds of the main line with this pack, kept from state to state
        self.history = HistoryMemory()

    def context_keys(self, register: RecordIndex) -> dict[str, str]:
        """Each record's context key: a digest of everything its rules can see (less the date)."""
        salt = "".join(f"|{r.file}:{r.digest}" for r in register.records if self.checker.pack.kinds[r.kind].single)
        return {record.file: self.steady.context_key(register, record, salt) for record in register.records}

    def steady_findings(self, register: RecordIndex, keys: dict[str, str]) -> list[Finding]:
        found: list[Finding] = []
        for record in register.records:
            key = keys[record.file]
            if key not in self.known:
                self.known[key] = self.steady.evaluate(register, [record])
            found.extend(self.known[key])
        return found

    def daily_findings(self, register: RecordIndex, keys: dict[str, str], day: str) -> list[Finding]:
        """The findings of the rules that read today, on ``day``.

        A record whose context is unchanged keeps what it was found on other days: when the days known
        either side of ``day`` are at most ``SAMPLE_DAYS`` apart and found the same, so is ``day``;
        otherwise ``day`` is evaluated, and the day ``SAMPLE_DAYS`` later too, so that the days between
        can be answered without evaluating each.
        """
        found: list[Finding] = []
        for record in register.records:
            if record.kind not in self.daily.rules_by_kind:
                continue
            known = self.by_day.setdefault(keys[record.file], {})
            found.extend(known[day] if day in known else self._judged(register, record, known, day))
        return found

    def _judged(self, register: RecordIndex, record: Record, known: dict[str, list[Finding]],
                day: str) -> list[Finding]:
        before = max((d for d in known if d < day), default=None)
        after = min((d for d in known if d > day), default=None)
        if (before is not None and after is not None and _days_apart(before, after) <= SAMPLE_DAYS
                and _same(known[before], known[after])):
            return known[before]
        known[day] = self._evaluate(register, record, day)
        if after is None or _days_apart(day, after) > SAMPLE_DAYS:
            ahead = _shift(day, SAMPLE_DAYS)
            known[ahead] = self._evaluate(register, record, ahead)
        return known[day]

    def _evaluate(self, register: RecordIndex, record: Record, day: str) -> list[Finding]:
        self.daily.context = dataclasses.replace(self.daily.context, today=day)
        return self.daily.evaluate(register, [record])


#: days between two checks that found the same, taken to have found the same in between
SAMPLE_DAYS = 7


def _days_apart(first: str, last: str) -> int:
    return (datetime.date.fromisoformat(last) - datetime.date.fromisoformat(first)).days


def _shift(day: str, count: int) -> str:
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=count)).isoformat()


def _same(first: list[Finding], second: list[Finding]) -> bool:
    return {finding_identity(f) for f in first} == {finding_identity(f) for f in second}


@dataclass
class State:
    """The register at one commit of the main line, loaded once and checkable on any day."""

    commit: MainLineCommit
    root: Path
    judge: Judge
    records: list[Record]
    history: list[Finding]
    problems: list[Finding]
    notes: list[str] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)
    _index: RecordIndex | None = None
    _keys: dict[str, str] = field(default_factory=dict)
    _steady: list[Finding] | None = None
    #: (file, its digest, path) -> (line, column): shared by the states of one audit (see Register)
    _places: dict[tuple[str, str, Any], tuple[int, int]] = field(default_factory=dict)
    _identities: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)

    def identities(self, day: str) -> set[tuple[Any, ...]]:
        """What makes each finding of ``day`` the same breach from day to day (see ``breaches.identity``)."""
        if day not in self._identities:
            self._identities[day] = {finding_identity(f) for f in self.check(day).findings}
        return self._identities[day]

    @property
    def checker(self) -> Checker:
        return self.judge.checker

    def check(self, day: str) -> CheckResult:
        """The findings of the register at this commit on ``day``."""
        checker = self.checker
        if self._index is None:
            self._index = RecordIndex(checker.pack, self.records)
            self._index.build_indexes()
            self._keys = self.judge.context_keys(self._index)
            self._steady = self.judge.steady_findings(self._index, self._keys)
        register = self._index
        findings = list(self.problems) + list(self.history) + checker.missing_kinds(register)
        for record in self.records:
            findings.extend(dataclasses.replace(p, record=record.id) for p in record.problems)
        findings += (self._steady or []) + self.judge.daily_findings(register, self._keys, day)
        located = self._locate(findings)
        located = apply_waivers(located, register, checker.pack, checker.rules, day)
        located.sort(key=lambda f: (f.file, f.line, f.column, f.rule, f.message))
        result = CheckResult(self.root, day, located, checker.rules, checker.pack, self.records)
        result.notes.extend(self.notes)
        return result

    def _locate(self, findings: list[Finding]) -> list[Finding]:
        """Each finding with its line and column; a place found once is remembered for the other days, and for
        the other states while the file's bytes are the same (``_places`` is the audit's, keyed by digest)."""
        digests = {r.file: r.digest for r in self.records}
        known, pending = [], []
        for finding in findings:
            place = self._places.get((finding.file, digests.get(finding.file, ""), finding.path)) \
                if finding.line == 0 and digests.get(finding.file) else None
            if place is not None:
                known.append(dataclasses.replace(finding, line=place[0], column=place[1]))
            else:
                pending.append(finding)
        pack_root = self.checker.pack.root
        kinds = {r.file: r.kind for r in self.records}
        offsets = {r.file: r.line_offset for r in self.records}

        def text_of(file: str) -> str | None:
            from_pack = file in kinds and self.checker.pack.kinds[kinds[file]].from_pack
            return read_text(str((pack_root if from_pack else self.root) / file))

        unlocated = {(f.file, f.path) for f in pending if f.line == 0}
        fresh = locate_findings(pending, text_of, offsets)
        for finding in fresh:
            if (finding.file, finding.path) in unlocated and digests.get(finding.file):
                self._places[(finding.file, digests[finding.file], finding.path)] = (finding.line, finding.column)
        return known + fresh


class Register:
    """The register's past: its state at any commit of the main line, loading only what each commit changed."""

    def __init__(self, register_root: Path, time_zone: str, pack: Path | None = None) -> None:
        self.line = MainLine.read(register_root, time_zone)
        self.pack = pack
        self._snapshot: Snapshot | None = None
        self._judges: dict[str, Judge] = {}
        self._previous: State | None = None
        #: where each finding's path lies in a file, by the file's digest: most files are the same from state to state
        self._places: dict[tuple[str, str, Any], tuple[int, int]] = {}

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._snapshot is not None:
            self._snapshot.close()

    def state(self, commit: MainLineCommit) -> State | None:
        """The register at ``commit``; None when it had no records/ folder yet.

        Only the files the commit changed since the last state asked for are loaded again, and the history
        rules read only the commits since then (the history pass keeps its work by commit).
        """
        previous = self._previous
        if previous is not None and previous.commit == commit:
            return previous
        if self._snapshot is None:
            self._snapshot = Snapshot(self.line)
        root = self._snapshot.set(commit.sha)
        if not (root / RECORDS_DIR).is_dir():
            return None
        judge = self._judge(root)
        checker = judge.checker
        reuse: dict[str, Record] = {}
        follows = (previous is not None and previous.judge is judge
                   and self.line.commits.index(previous.commit) < self.line.commits.index(commit))
        if follows and previous is not None:
            diff = _git(self._snapshot.repository, "diff", "--name-status", "--no-renames", "--relative", "-z",
                        previous.commit.sha, commit.sha, "--", ".").split("\0")
            changed = dict(zip(diff[1::2], diff[0::2]))
            reuse = {r.file: r for r in previous.records if r.file not in changed}
            if all(status == "M" for status in changed.values()):
                # no file came or went: the register's files, and the problems of their names, are as they were
                sources, problems = previous.sources, previous.problems
            else:
                sources, problems = discover(root, checker.pack)
        else:
            sources, problems = discover(root, checker.pack)
        fresh = checker.load([s for s in sources if s.display not in reuse])
        by_file = {r.file: r for r in fresh}
        records = [reuse.get(s.display) or by_file[s.display] for s in sources]
        # the whole main line up to this commit, read from where the last state's left off (cached by commit)
        history = check_history(root, checker.compiler, checker.rules, records, commit.day, memory=judge.history)
        notes = list(history.notes)
        if self.pack is None and not (root / PACK_FILE).is_file():
            notes.append("The register had no policy pack of its own at this commit, so it was checked with the "
                         "installed pack.")
        state = State(commit, root, judge, records, history.findings, problems, notes, sources,
                      _places=self._places)
        self._previous = state
        return state

    def _judge(self, root: Path) -> Judge:
        own = root / PACK_FILE
        key = "installed" if self.pack is None and not own.is_file() else _pack_key(self.pack or root)
        if key not in self._judges:
            self._judges[key] = Judge(Checker.for_root(root, self.pack))
        return self._judges[key]


def _pack_key(pack_root: Path) -> str:
    """The content of a pack folder's files, as a key: a pack that did not change is not compiled again."""
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    for folder in ("rules", "schemas", "policy"):
        for path in sorted((pack_root / folder).rglob("*")) if (pack_root / folder).is_dir() else []:
            if path.is_file():
                digest.update(path.relative_to(pack_root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def check_as_of(register_root: Path, day: str, *, pack: Path | None = None, time_zone: str) -> CheckResult:
    """The register as it stood on the main line at the end of ``day``, checked with today = ``day``."""
    with Register(register_root, time_zone, pack) as past:
        commit = past.line.at_end_of(day)
        if commit is None:
            raise ApLintError(f"The register has no commit on its main line on or before {day}: there is nothing "
                              "to check as of that date.")
        state = past.state(commit)
        if state is None:
            raise ApLintError(f"On {day} the register (commit {commit.sha[:7]}) had no {RECORDS_DIR}/ folder yet.")
        result = state.check(day)
    note = (f"As of {day}: the register at commit {commit.sha[:7]} of its main line ({commit.day}, "
            f"{commit.author}: {commit.subject}), checked with today = {day}.")
    return relocated(result, state.root, register_root, [note])


def relocated(result: CheckResult, snapshot_root: Path, register_root: Path, notes: list[str]) -> CheckResult:
    """A result from a snapshot, told as the register's own (its pack too, when the pack was the register's)."""
    pack = result.pack
    if pack.root == snapshot_root:
        pack = dataclasses.replace(pack, root=register_root)
    return dataclasses.replace(result, root=register_root, pack=pack, notes=[*notes, *result.notes])
