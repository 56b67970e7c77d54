"""The audit trail: checks on the register's git history, and what changed in each commit.

A rule with a ``history:`` block is checked against the versions of its
records that git holds, not only against the current one:

- ``never-deleted``: a record's file is never removed (a record that moved to
  another file and kept its id was not deleted);
- ``first-version-has``: the first committed version already had ``fields``;
- ``append-only``: list items at ``fields`` dated (by ``dated_by``) before the
  change are never altered or removed;
- ``fixed-once-set``: once committed, the values at ``fields`` never change.

The history read is ``SINCE..HEAD`` when a base revision is given, else the
whole history from the root commit, plus the uncommitted changes (the working
tree against HEAD: the pre-commit case). One ``git log`` lists the commits and
the blob ids of every version they touched, one ``git cat-file --batch`` reads
the versions needed, one ``git diff`` and one ``git ls-files`` find what is not
committed yet. Outside git the checks are skipped with a note.

The module knows no record kinds or fields: rules name them.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Iterator

from ap_lint.evaluate.engine import EvaluationContext, Evaluator
from ap_lint.errors import GitError
from ap_lint.evaluate.expressions import EvaluationError
from ap_lint.findings import Finding, JsonPath, format_path, parse_path
from ap_lint.git.scope import resolve_revision
from ap_lint.load.loader import load_record
from ap_lint.pack import Pack
from ap_lint.load.register import RECORDS_DIR, Record, Register, value_at
from ap_lint.evaluate.rules import Rule, RuleCompiler

#: blob id git writes for "no version" (an added file's before, a deleted file's after)
_NO_BLOB = "0" * 40
#: stands for "the file as it is on disk now" where a blob id would be
WORKING_TREE = "working-tree"
#: options that keep a user's git configuration from changing what git prints
_GIT_OPTIONS = ("-c", "color.ui=never", "-c", "log.showSignature=false", "-c", "core.quotePath=false")
_LOG_FORMAT = "--format=%x1e%H%x1f%P%x1f%an%x1f%aI%x1f%s"
_TEXT_LIMIT = 60


class NotARepository(GitError):
    """The register is not inside a git work tree (or git cannot be run)."""


# --- git --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commit:
    """A commit, or the uncommitted changes (``sha`` empty, dated today)."""

    sha: str
    parents: tuple[str, ...]
    author: str
    timestamp: str
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def date(self) -> str:
        """The author date, YYYY-MM-DD in the author's time zone."""
        return self.timestamp[:10]

    @property
    def committed(self) -> bool:
        return bool(self.sha)

    def describe(self) -> str:
        """``commit 1a2b3c4 by Ann Example on 2026-11-02 ("Subject")``, or ``changes not committed yet``."""
        if not self.committed:
            return "changes not committed yet"
        return f'commit {self.short} by {self.author} on {self.date} ("{self.subject}")'


def uncommitted(today: str) -> Commit:
    """The working tree's changes, as if committed today."""
    return Commit("", (), "", today, "")


@dataclass(frozen=True)
class FileChange:
    """One file touched by one commit: its path (relative to the register) and blob ids before and after.

    ``status`` is git's letter: A added, M modified, D deleted, R renamed (only
    when following one file). ``old``/``new`` are None where there is no
    version, and ``new`` is ``WORKING_TREE`` for a file changed on disk.
    """

    commit: Commit
    status: str
    path: str
    old: str | None
    new: str | None
    old_path: str | None = None


class Git:
    """The git repository that holds a register, asked through git's command line."""

    def __init__(self, root: Path, prefix: str, head: str | None, boundary: frozenset[str]) -> None:
        self.root = root
        self.prefix = prefix
        self.head = head
        self.boundary = boundary

    @staticmethod
    def _run(root: Path, args: Iterable[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
        try:
            return subprocess.run(["git", *_GIT_OPTIONS, *args], cwd=root, input=stdin, capture_output=True,
                                  env=environment, check=False)
        except OSError as error:
            raise NotARepository(f"git cannot be run ({error.strerror or error})") from None

    def run(self, *args: str, stdin: bytes | None = None) -> bytes:
        """Run git in the register's folder; a failure is a GitError naming the command."""
        done = self._run(self.root, args, stdin)
        if done.returncode != 0:
            raise GitError(f"git {args[0]} failed: {_first_line(done.stderr)}")
        return done.stdout

    @classmethod
    def open(cls, root: Path) -> "Git":
        """The repository holding ``root``; NotARepository when there is none."""
        # exit status 1 with the first three answers: a repository with no commit yet
        done = cls._run(root, ["rev-parse", "--show-prefix", "--is-shallow-repository", "--git-path", "shallow",
                               "-q", "--verify", "HEAD^{commit}"])
        if done.returncode not in (0, 1):
            message = _first_line(done.stderr)
            if "not a git repository" in message:
                raise NotARepository("not a git repository")
            raise NotARepository(f"git cannot read the repository ({message})")
        prefix, shallow, shallow_file, head_line = (done.stdout.decode("utf-8", "replace").split("\n") + [""] * 4)[:4]
        head = head_line.strip() if done.returncode == 0 else None
        boundary: frozenset[str] = frozenset()
        if shallow == "true":
            try:
                boundary = frozenset((root / shallow_file).read_text("ascii").split())
            except OSError:
                boundary = frozenset()
        return cls(root, prefix, head, boundary)

    def _relative(self, path: bytes) -> str | None:
        text = path.decode("utf-8", "replace")
        if not text.startswith(self.prefix):
            return None
        return text[len(self.prefix):]

    def log(self, revisions: list[str], paths: list[str], follow: bool = False,
            only_added: bool = False) -> list[FileChange]:
        """Every file change in ``revisions`` under ``paths``, oldest first (merges add none of their own)."""
        args = ["log", "-z", "--raw", "--no-abbrev", "--no-color", _LOG_FORMAT]
        args += ["--follow"] if follow else ["--no-renames", "--topo-order"]
        args += ["--diff-filter=A"] if only_added else []
        changes: list[FileChange] = []
        for entry in self.run(*args, *revisions, "--", *paths).split(b"\x1e")[1:]:
            header, _, raw = entry.partition(b"\0")
            sha, parents, author, timestamp, subject = (header.decode("utf-8", "replace").split("\x1f") + [""] * 5)[:5]
            commit = Commit(sha, tuple(parents.split()), author, timestamp, subject)
            changes[:0] = self._raw_entries(commit, raw)
        return changes

    def _raw_entries(self, commit: Commit, raw: bytes) -> list[FileChange]:
        tokens = raw.lstrip(b"\n").split(b"\0")
        found: list[FileChange] = []
        position = 0
        while position < len(tokens) and tokens[position].startswith(b":"):
            meta = tokens[position].decode("ascii", "replace").split()
            old, new, status = meta[2], meta[3], meta[4][:1]
            paths = tokens[position + 1:position + (3 if status in "RC" else 2)]
            position += 1 + len(paths)
            path = self._relative(paths[-1])
            if path is None:
                continue
            found.append(FileChange(commit, status, path, None if old == _NO_BLOB else old,
                                    None if new == _NO_BLOB else new,
                                    self._relative(paths[0]) if len(paths) == 2 else None))
        return found

    def uncommitted(self, paths: list[str], today: str) -> list[FileChange]:
        """The changes on disk (staged or not) against HEAD, and new files git does not track yet."""
        commit = uncommitted(today)
        changes: list[FileChange] = []
        untracked = ["--others", "--exclude-standard"]
        if self.head is not None:
            raw = self.run("diff", "HEAD", "-z", "--raw", "--no-abbrev", "--no-renames", "--no-color", "--", *paths)
            for change in self._raw_entries(commit, raw):
                new = None if change.status == "D" else WORKING_TREE
                changes.append(FileChange(commit, change.status, change.path, change.old, new))
        else:
            untracked.append("--cached")
        for path in self.run("ls-files", "-z", *untracked, "--", *paths).split(b"\0"):
            relative = self._relative(self.prefix.encode() + path) if path else None
            if relative is not None:
                changes.append(FileChange(commit, "A", relative, None, WORKING_TREE))
        return changes

    def paths_in_history(self, paths: list[str]) -> set[str]:
        """Every file under ``paths`` that any commit touched, including files deleted since."""
        if self.head is None:
            return set()
        out = self.run("log", "-z", "--format=", "--name-only", "--no-renames", "HEAD", "--", *paths)
        return {path for path in (self._relative(name) for name in out.split(b"\0") if name) if path}

    def read_blobs(self, ids: Iterable[str]) -> dict[str, bytes]:
        """The contents of many blobs, read by one ``git cat-file --batch``."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        out = self.run("cat-file", "--batch", stdin="\n".join(wanted).encode() + b"\n")
        blobs: dict[str, bytes] = {}
        position = 0
        while position < len(out):
            end = out.index(b"\n", position)
            header = out[position:end].decode("ascii", "replace").split()
            position = end + 1
            if len(header) == 3:
                size = int(header[2])
                blobs[header[0]] = out[position:position + size]
                position += size + 1
        return blobs


def _first_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    text = lines[0] if lines else "no message"
    return text.removeprefix("fatal: ").removeprefix("error: ")


def commit_snapshot(root: Path, message: str, date: str, author: str = "Example Editor") -> None:
    """Commit everything in ``root`` as one commit dated ``date`` (creating the repository if needed).

    For rule examples and tests: git runs without the user's or the system's
    configuration, with a fixed author and date, so the history is reproducible.
    """
    stamp = f"{date}T12:00:00+00:00"
    email = author.lower().replace(" ", ".") + "@example.invalid"
    environment = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
                   "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": stamp,
                   "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": stamp}
    steps = [["add", "-A", "."], ["commit", "-q", "--allow-empty", "--no-verify", "-m", message]]
    if not (root / ".git").exists():
        steps.insert(0, ["init", "-q", "-b", "main"])
    for step in steps:
        done = subprocess.run(["git", *step], cwd=root, capture_output=True, env=environment, check=False)
        if done.returncode != 0:
            raise GitError(f"git {step[0]} failed: {_first_line(done.stderr)}")


# --- what changed, in words ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One field-level difference between two versions of a record."""

    path: JsonPath
    kind: str  # "changed", "added" or "removed"
    before: Any = None
    after: Any = None

    @property
    def text(self) -> str:
        """``status: active → completed``, ``reviews[2] added``, ``ended.date added: 2026-12-18``."""
        where = format_path(self.path) or "(the record)"
        if self.kind == "changed":
            return f"{where}: {show(self.before)} → {show(self.after)}"
        value = self.after if self.kind == "added" else self.before
        if isinstance(value, (dict, list)) or (self.path and isinstance(self.path[-1], int)):
            return f"{where} {self.kind}"
        return f"{where} added: {show(value)}" if self.kind == "added" else f"{where} removed (was {show(value)})"

    def as_dict(self) -> dict[str, Any]:
        return {"path": format_path(self.path), "change": self.kind, "before": self.before, "after": self.after,
                "text": self.text}


def show(value: Any) -> str:
    """A value as a short piece of text for a message."""
    if value is None:
        text = "(none)"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = " ".join(value.split())
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT - 1] + "…"


def diff_values(before: Any, after: Any, path: JsonPath = ()) -> list[Change]:
    """The field-level changes from ``before`` to ``after``; list items are matched, not compared by position."""
    if before == after:
        return []
    if after is None:
        return [Change(path, "removed", before=before)]
    if before is None:
        if not isinstance(after, dict):
            return [Change(path, "added", after=after)]
        before = {}
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[Change] = []
        for key, value in after.items():
            changes.extend(diff_values(before.get(key, {} if isinstance(value, dict) else None), value,
                                       path + (key,)))
        changes.extend(Change(path + (key,), "removed", before=value) for key, value in before.items()
                       if key not in after)
        return changes
    if isinstance(before, list) and isinstance(after, list):
        return _diff_lists(before, after, path)
    return [Change(path, "changed", before, after)]


def _diff_lists(before: list[Any], after: list[Any], path: JsonPath) -> list[Change]:
    def key(item: Any) -> str:
        return json.dumps(item, sort_keys=True, ensure_ascii=False)

    changes: list[Change] = []
    matcher = difflib.SequenceMatcher(a=[key(i) for i in before], b=[key(i) for i in after], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for offset in range(paired):
            changes.extend(diff_values(before[i1 + offset], after[j1 + offset], path + (j1 + offset,)))
        changes.extend(Change(path + (i,), "removed", before=before[i]) for i in range(i1 + paired, i2))
        changes.extend(Change(path + (j,), "added", after=after[j]) for j in range(j1 + paired, j2))
    return changes


# --- a record's timeline -----------------------------------------------------------------------------------------

_EVENTS = {"A": "created", "C": "created", "M": "changed", "T": "changed", "D": "deleted", "R": "moved"}


@dataclass(frozen=True)
class TimelineEntry:
    """One commit (or the uncommitted changes) that touched a record's file, and what it changed."""

    commit: Commit
    path: str
    event: str  # created, changed, moved, deleted
    changes: tuple[Change, ...]
    moved_from: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON shape of one entry."""
        committed = self.commit.committed
        return {"commit": self.commit.sha or None, "short": self.commit.short or None,
                "author": self.commit.author if committed else None,
                "date": self.commit.timestamp if committed else None,
                "subject": self.commit.subject if committed else None,
                "file": self.path, "event": self.event, "moved_from": self.moved_from,
                "changes": [change.as_dict() for change in self.changes]}


def timeline(git: Git, path: str, today: str, mask: Callable[[str], str] | None = None) -> list[TimelineEntry]:
    """Every commit that touched the file at ``path`` (following it through moves), oldest first,
    then its uncommitted changes, each with the field-level changes it made (every text in them, field
    names too, passed through ``mask``: see ``ap_lint.evaluate.textscan.masker_for_register``)."""
    changes = git.log(["HEAD"], [path], follow=True) if git.head is not None else []
    changes += git.uncommitted([path], today)
    blobs = git.read_blobs(blob for change in changes for blob in (change.old, change.new)
                           if blob is not None and blob != WORKING_TREE)

    def data(blob: str | None, at: str) -> Any:
        if blob is None:
            return None
        raw = blobs.get(blob, b"")
        if blob == WORKING_TREE:
            try:
                raw = (git.root / at).read_bytes()
            except OSError:
                return None
        return load_record(raw, at).data

    entries = []
    for change in changes:
        event = _EVENTS.get(change.status, "changed")
        found: list[Change] = []
        if event in ("changed", "moved"):
            found = diff_values(data(change.old, change.old_path or change.path), data(change.new, change.path))
            if mask is not None:
                found = [Change(_masked(c.path, mask), c.kind, _masked(c.before, mask), _masked(c.after, mask))
                         for c in found]
        entries.append(TimelineEntry(change.commit, change.path, event, tuple(found), change.old_path))
    return entries


def _masked(value: Any, mask: Callable[[str], str]) -> Any:
    """``value`` with every text in it (keys too) passed through ``mask``."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, tuple):
        return tuple(_masked(v, mask) for v in value)
    if isinstance(value, list):
        return [_masked(v, mask) for v in value]
    if isinstance(value, dict):
        return {mask(k) if isinstance(k, str) else k: _masked(v, mask) for k, v in value.items()}
    return value


# --- the history checks -------------------------------------------------------------------------------------------


@dataclass
class HistoryResult:
    """Findings of the history rules, and notes on what could not be checked."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def kind_of(path: str, pack: Pack) -> str | None:
    """The kind whose files pattern matches ``path`` (relative to the register), if any."""
    for kind in pack.kinds.values():
        if not kind.from_pack and fnmatch.fnmatch(path, kind.files):
            return kind.name
    return None


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


class HistoryChecker:
    """Evaluates history rules over the file changes git reports."""

    def __init__(self, compiler: RuleCompiler, rules: list[Rule], records: list[Record], today: str,
                 all_rule_ids: list[str]) -> None:
        self.compiler = compiler
        self.pack = compiler.pack
        self.rules_by_kind: dict[str, list[Rule]] = {}
        for rule in rules:
            self.rules_by_kind.setdefault(rule.kind, []).append(rule)
        self.register = Register(self.pack, records)
        self.current = {record.file: record for record in records}
        self.evaluator = Evaluator(compiler, [], EvaluationContext(today, self.pack.settings, all_rule_ids))
        self.singles = {name: self.register.single(spec) for name, spec in self.pack.kinds.items() if spec.single}
        self.blobs: dict[str, bytes] = {}
        self._loaded: dict[str, Any] = {}

    def needed(self, change: FileChange) -> list[str]:
        """The blob ids this change's rules must read."""
        checks = {rule.history.check for rule in self.rules_by_kind.get(kind_of(change.path, self.pack) or "", [])
                  if rule.history is not None}
        wanted: list[str | None] = []
        if change.status == "A" and "first-version-has" in checks:
            wanted.append(change.new)
        if change.status == "D" and "never-deleted" in checks:
            wanted.append(change.old)
        if change.status == "M" and checks & {"append-only", "fixed-once-set", "first-version-has"}:
            wanted.extend((change.old, change.new))
        return [blob for blob in wanted if blob is not None and blob != WORKING_TREE]

    def _rules(self, path: str, *checks: str) -> list[Rule]:
        return [rule for rule in self.rules_by_kind.get(kind_of(path, self.pack) or "", [])
                if rule.history is not None and rule.history.check in checks]

    def findings(self, changes: list[FileChange]) -> Iterator[Finding]:
        """Findings of the rules that judge one change: deletions and rewrites."""
        for change in changes:
            for rule in self._rules(change.path, "never-deleted", "append-only", "fixed-once-set"):
                if rule.history is not None and rule.history.check == "never-deleted":
                    if change.status == "D":
                        yield from self._deleted(rule, change)
                elif change.status == "M":
                    yield from self._modified(rule, change)

    def late_additions(self, changes: list[FileChange]) -> dict[str, FileChange]:
        """Per file, the first change that added a field a ``first-version-has`` rule wants from the start."""
        found: dict[str, FileChange] = {}
        for change in changes:
            if change.status != "M" or change.path in found:
                continue
            for rule in self._rules(change.path, "first-version-has"):
                assert rule.history is not None
                before = self._version(rule.kind, change.path, change.old)
                after = self._version(rule.kind, change.path, change.new)
                if before is not None and after is not None and any(
                        not _present(value_at(before.data, parse_path(name)))
                        and _present(value_at(after.data, parse_path(name))) for name in rule.history.fields):
                    found[change.path] = change
                    break
        return found

    def first_version_findings(self, firsts: dict[str, FileChange],
                               late: dict[str, FileChange]) -> Iterator[Finding]:
        """Findings of ``first-version-has`` rules on each file's first version (the change that added it)."""
        for path, change in firsts.items():
            for rule in self._rules(path, "first-version-has"):
                yield from self._first_version(rule, change, late.get(path))

    def _version(self, kind: str, path: str, blob: str | None) -> Record | None:
        """One version of a record (its blob, or the file on disk), as a rule sees it."""
        if blob is None:
            return None
        if blob == WORKING_TREE:
            current = self.current.get(path)
            data = current.data if current is not None else None
        else:
            if blob not in self._loaded:  # several rules read the same version
                self._loaded[blob] = load_record(self.blobs.get(blob, b""), path).data
            data = self._loaded[blob]
        if not isinstance(data, dict):
            return None  # a version that cannot be read as a record has nothing to compare
        id_field = self.pack.kinds[kind].id_field
        record_id = data[id_field] if isinstance(data.get(id_field), str) else PurePosixPath(path).stem
        return Record(kind, record_id, path, data, "")

    def _activation(self, rule: Rule, version: Record) -> Any | None:
        """The rule's context on this version, or None when its ``when`` does not hold there."""
        variables, _ = self.evaluator.record_variables(self.register, version, self.singles)
        activation = self.compiler.environment(rule.kind, "plain").activation(variables)
        try:
            if rule.when is not None and not rule.when.holds(activation):
                return None
        except EvaluationError:
            return None  # an old version may lack what `when` reads; it is judged by its current rules
        return activation

    def _finding(self, rule: Rule, version: Record, activation: Any, what: str, path: JsonPath,
                 line: int = 0) -> Finding:
        told = rule.message.render(activation) if rule.message is not None else ""
        return Finding(file=version.file, line=line, column=line, rule=rule.id, severity=rule.severity,
                       message=f"{what} {told}".strip(), clause=rule.clause, path=path, record=version.id)

    def _deleted(self, rule: Rule, change: FileChange) -> Iterator[Finding]:
        version = self._version(rule.kind, change.path, change.old)
        if version is None:
            version = Record(rule.kind, PurePosixPath(change.path).stem, change.path, {}, "")
        elif (rule.kind, version.id) in self.register.by_id:
            return  # the record lives on in another file: it moved, it was not deleted
        if change.path in self.current:
            return  # deleted, then restored
        activation = self._activation(rule, version)
        if activation is not None:
            commit = change.commit
            if commit.committed:
                what = (f"This file was deleted in {commit.describe()}. "
                        f"Restore it with: git checkout {commit.short}^ -- {change.path}.")
            else:
                what = f"This file is deleted (not committed yet). Restore it with: git checkout HEAD -- {change.path}."
            yield self._finding(rule, version, activation, what, (), line=1)

    def _first_version(self, rule: Rule, change: FileChange, added: FileChange | None) -> Iterator[Finding]:
        assert rule.history is not None
        version = self._version(rule.kind, change.path, change.new)
        if version is None:
            return
        missing = [name for name in rule.history.fields if not _present(value_at(version.data, parse_path(name)))]
        if not missing:
            return
        activation = self._activation(rule, version)
        if activation is None:
            return
        later = f" (added later: {added.commit.describe()})" if added is not None else ""
        if change.commit.committed:
            what = f"The first version of this record, {change.commit.describe()}, had no {_words(missing)}{later}."
        else:
            what = f"The first version of this record (not committed yet) has no {_words(missing)}."
        yield self._finding(rule, version, activation, what, parse_path(missing[0]))

    def _modified(self, rule: Rule, change: FileChange) -> Iterator[Finding]:
        assert rule.history is not None
        before = self._version(rule.kind, change.path, change.old)
        after = self._version(rule.kind, change.path, change.new)
        if before is None or after is None:
            return
        activation = self._activation(rule, after)
        if activation is None:
            return
        when = f"In {change.commit.describe()}"
        for name in rule.history.fields:
            path = parse_path(name)
            old, new = value_at(before.data, path), value_at(after.data, path)
            if rule.history.check == "fixed-once-set":
                if old is not None and old != new:
                    told = "; ".join(c.text for c in diff_values(old, new, path))
                    yield self._finding(rule, after, activation, f"{when}: {told}.", path)
            elif isinstance(old, list):
                for what, at in _rewritten(old, new if isinstance(new, list) else [], path,
                                           rule.history.dated_by, change.commit.date):
                    yield self._finding(rule, after, activation, f"{when}: {what}.", at)


def _words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _rewritten(old: list[Any], new: list[Any], path: JsonPath, dated_by: str | None,
               change_date: str) -> Iterator[tuple[str, JsonPath]]:
    """Items of ``old`` dated before ``change_date`` that ``new`` no longer holds unchanged.

    Unchanged items are matched first wherever they now stand (an item may be
    inserted before them); an item that is gone is matched to one with the same
    date to say what was altered, else it was removed.
    """
    def dated(item: Any) -> Any:
        return item.get(dated_by) if dated_by and isinstance(item, dict) else None

    def protected(item: Any) -> bool:
        if dated_by is None:
            return True
        date = dated(item)
        return isinstance(date, str) and date < change_date

    free = list(range(len(new)))
    missing: list[int] = []
    for index, item in enumerate(old):
        if not protected(item):
            continue
        match = next((j for j in free if new[j] == item), None)
        if match is None:
            missing.append(index)
        else:
            free.remove(match)
    for index in missing:
        item = old[index]
        label = format_path(path + (index,)) + (f" ({dated_by}: {dated(item)})" if dated_by else "")
        same = next((j for j in free if dated_by and dated(new[j]) == dated(item)), None)
        if same is None:
            yield f"{label} was removed", path
            continue
        free.remove(same)
        changes = diff_values(item, new[same], path + (same,))
        yield f"{label} was changed: {'; '.join(c.text for c in changes)}", changes[0].path


def check_history(root: Path, compiler: RuleCompiler, rules: list[Rule], records: list[Record], today: str,
                  since: str | None = None) -> HistoryResult:
    """Run the pack's history rules over the register's git history (``since..HEAD``, else all of it).

    Returns unlocated findings (the checker locates them with the others) and
    notes; outside git, or without git, the checks are skipped with a note.
    """
    history_rules = [rule for rule in rules if rule.history is not None]
    if not history_rules:
        return HistoryResult()
    try:
        git = Git.open(root)
    except NotARepository as reason:
        return HistoryResult(notes=[f"history checks skipped: {reason}"])
    result = HistoryResult()
    checker = HistoryChecker(compiler, history_rules, records, today, [rule.id for rule in rules])
    kinds = {rule.kind for rule in history_rules}
    paths = [RECORDS_DIR + "/"]
    changes: list[FileChange] = []
    base = resolve_revision(root, since) if since is not None else None
    if git.head is not None:
        changes = git.log([f"{base}..HEAD" if base else "HEAD"], paths)
    changes += git.uncommitted(paths, today)
    changes = [change for change in changes if kind_of(change.path, compiler.pack) in kinds]
    boundary = {change.commit.sha for change in changes
                if change.commit.committed and not change.commit.parents and change.commit.sha in git.boundary}
    if boundary:
        changes = [change for change in changes if change.commit.sha not in boundary]
        result.notes.append(
            f"history checks: this is a shallow clone, so history before commit {sorted(boundary)[0][:7]} was not "
            "read and first versions older than it were not checked (fetch it with: git fetch --unshallow).")
    checker.blobs = git.read_blobs(blob for change in changes for blob in checker.needed(change))
    result.findings.extend(checker.findings(changes))
    firsts: dict[str, FileChange] = {}
    for change in changes:
        if change.status == "A":
            firsts.setdefault(change.path, change)
    late = checker.late_additions(changes)
    older = sorted(path for path in late if path not in firsts)
    if older and git.head is not None:  # first versions committed before the range: one more read finds them all
        found: dict[str, FileChange] = {}
        for change in git.log(["HEAD"], older, only_added=True):
            found.setdefault(change.path, change)
        firsts.update({path: change for path, change in found.items() if change.commit.sha not in git.boundary})
        checker.blobs.update(git.read_blobs(blob for path in older if path in firsts
                                            for blob in [firsts[path].new] if blob is not None))
    result.findings.extend(checker.first_version_findings(firsts, late))
    return result
