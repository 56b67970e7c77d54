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
from typing import Iterator

from ap_lint.audit.mainline import MainLine, MainLineCommit, Snapshot, _git
from ap_lint.checker import Checker, CheckResult
from ap_lint.errors import ApLintError, ConfigError
from ap_lint.evaluate.locate import read_text
from ap_lint.findings import Finding
from ap_lint.git.history import check_history
from ap_lint.load.register import RECORDS_DIR, Record, discover
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


@dataclass
class State:
    """The register at one commit of the main line, loaded once and checkable on any day."""

    commit: MainLineCommit
    root: Path
    checker: Checker
    records: list[Record]
    extra: list[Finding]
    notes: list[str] = field(default_factory=list)

    def check(self, day: str) -> CheckResult:
        """The findings of the register at this commit on ``day``."""
        paths = {r.file: str((self.checker.pack.root if self.checker.pack.kinds[r.kind].from_pack else self.root)
                             / r.file) for r in self.records}
        result = self.checker.evaluate(self.root, day, self.records, list(self.extra),
                                       lambda file: read_text(paths.get(file)))
        result.notes.extend(self.notes)
        return result


class Register:
    """The register's past: its state at any commit of the main line, loading only what each commit changed."""

    def __init__(self, register_root: Path, time_zone: str, pack: Path | None = None) -> None:
        self.line = MainLine.read(register_root, time_zone)
        self.pack = pack
        self._snapshot: Snapshot | None = None
        self._checkers: dict[str, Checker] = {}
        self._previous: State | None = None

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._snapshot is not None:
            self._snapshot.close()

    def state(self, commit: MainLineCommit) -> State | None:
        """The register at ``commit``; None when it had no records/ folder yet."""
        if self._previous is not None and self._previous.commit == commit:
            return self._previous
        if self._snapshot is None:
            self._snapshot = Snapshot(self.line)
        root = self._snapshot.set(commit.sha)
        if not (root / RECORDS_DIR).is_dir():
            return None
        checker = self._checker(root)
        sources, problems = discover(root, checker.pack)
        reuse: dict[str, Record] = {}
        previous = self._previous
        if previous is not None and previous.checker is checker:
            changed = set(_git(self._snapshot.repository, "diff", "--name-only", "--no-renames", "--relative",
                               "-z", previous.commit.sha, commit.sha, "--", ".").split("\0")) - {""}
            reuse = {r.file: r for r in previous.records if r.file not in changed}
        fresh = checker.load([s for s in sources if s.display not in reuse])
        by_file = {r.file: r for r in fresh}
        records = [reuse.get(s.display) or by_file[s.display] for s in sources]
        history = check_history(root, checker.compiler, checker.rules, records, commit.day)
        notes = list(history.notes)
        if self.pack is None and not (root / PACK_FILE).is_file():
            notes.append("The register had no policy pack of its own at this commit, so it was checked with the "
                         "installed pack.")
        state = State(commit, root, checker, records, problems + history.findings, notes)
        self._previous = state
        return state

    def _checker(self, root: Path) -> Checker:
        own = root / PACK_FILE
        key = "installed" if self.pack is None and not own.is_file() else _pack_key(self.pack or root)
        if key not in self._checkers:
            self._checkers[key] = Checker.for_root(root, self.pack)
        return self._checkers[key]


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
