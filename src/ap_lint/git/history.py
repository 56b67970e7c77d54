"""The history pass of a check: the pack's history rules over the register's main line, as findings.

Which steps are judged (see ``trail`` for what each rule forbids):

- a full check: every commit on the first-parent line of HEAD, each against
  its first parent (merge commits too), then the files on disk against HEAD;
- ``--since BASE`` (a pull request): one step, the merge-base of BASE and HEAD
  against the files on disk, so a mistake made and corrected inside the pull
  request is no finding and a record it creates may be edited freely there.
  What the step is judged against (each file's last version before a
  deletion, when a first version lacked a term) comes from the main line up
  to the merge-base, read for the changed files only;
- with a scope (``--staged``, named files), the main line and the files on
  disk are read for those files only.

The fold of the main line up to a commit is cached by commit id (``history_cache``),
so a new commit costs its own changes. Versions are read and parsed once, and a
version that is the file on disk is the record the check already loaded
(``versions``). Findings are rendered with each rule's ``when`` and message
against the current register. Outside git the checks are skipped with a note.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from ap_lint.evaluate.engine import EvaluationContext, Evaluator
from ap_lint.evaluate.expressions import EvaluationError, fields_read, narrowed, values_key
from ap_lint.evaluate.rules import Rule, RuleCompiler
from ap_lint.findings import Finding
from ap_lint.git.history_cache import HistoryCache, HistoryMemory
from ap_lint.git.log import Commit, FileChange, Step, first_parent_chain, log, uncommitted, working_tree_changes
from ap_lint.git.runner import NotARepository, Repository
from ap_lint.git.scope import untracked_files
from ap_lint.git.trail import Breach, Trail, TrailRule, TrailState
from ap_lint.git.versions import Versions
from ap_lint.load.loader import MAX_FILE_BYTES
from ap_lint.load.register import RECORDS_DIR, Record, Register

#: a scope of more files than this reads the whole main line (and caches it) rather than each file's history
SCOPE_LIMIT = 200


@dataclass
class HistoryResult:
    """Findings of the history rules, and notes on what could not be checked."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class HistoryPass:
    """One run of the history rules over one repository."""

    def __init__(self, repository: Repository, compiler: RuleCompiler, rules: list[Rule], records: list[Record],
                 today: str, all_rule_ids: list[str], cache_dir: Path | None = None,
                 max_bytes: int = MAX_FILE_BYTES, memory: HistoryMemory | None = None) -> None:
        self.repository = repository
        self.compiler = compiler
        self.pack = compiler.pack
        self.today = today
        self.rules = {rule.id: rule for rule in rules}
        self.trail = Trail([TrailRule.of(rule) for rule in rules], self.pack.kind_of)
        self.register = Register(self.pack, records)
        self.evaluator = Evaluator(compiler, [], EvaluationContext(today, self.pack.settings, all_rule_ids))
        self.singles = {name: self.register.single(spec) for name, spec in self.pack.kinds.items() if spec.single}
        shallow = bool(repository.boundary)  # a fold that stops at a shallow boundary is not the main line's
        self.cache: HistoryCache | HistoryMemory | None = None
        if memory is not None and not shallow:
            self.cache = memory
        elif cache_dir is not None and not shallow and not self._tracked(cache_dir):
            self.cache = HistoryCache(cache_dir, self.pack.digest, repository.prefix, frozenset(self.rules))
        self.max_bytes = max_bytes
        self.versions = Versions(repository, self.pack, records, max_bytes,
                                 self.cache.load_versions(max_bytes) if self.cache is not None else None)
        self.notes: list[str] = []
        #: the fields of each variable that a rule's condition reads, by rule id (see ``fields_read``)
        self.when_fields: dict[str, dict[str, frozenset[str] | None]] = {}
        #: whether a rule's condition held, by rule id and the values it read (see ``values_key``)
        self.when_held: dict[tuple[str, tuple[Any, ...]], bool] = {}

    def _tracked(self, cache_dir: Path) -> bool:
        """Whether git tracks anything in the cache folder: then it could come from anyone, and is not read."""
        root = self.repository.root.resolve()
        depth = len(PurePosixPath(self.repository.prefix).parts)
        top = root.parents[depth - 1] if depth else root
        try:
            folder = cache_dir.resolve()
            folder.relative_to(top)
        except (OSError, ValueError):
            return False  # outside the repository (a user's cache folder)
        listed = self.repository.runner.run("ls-files", "-z", "--", os.path.relpath(folder, root))
        return listed.returncode != 0 or bool(listed.stdout)

    # --- folding the main line -------------------------------------------------------------------------------------

    def fold(self, state: TrailState, commits: list[tuple[Commit, list[FileChange]]]) -> None:
        """Fold these commits (oldest first) into ``state``, reading every version they need in one go."""
        judged = [(commit, self.trail.judged(changes)) for commit, changes in commits]
        self.versions.load(self.trail.needed(state, (changes for _, changes in judged)))
        for commit, changes in judged:
            boundary = not commit.parents and commit.sha in self.repository.boundary
            if boundary:
                self.notes.append(
                    f"history checks: this is a shallow clone, so history before commit {commit.short} was not "
                    "read and first versions older than it were not checked (fetch it with: git fetch --unshallow).")
            self.trail.fold(state, Step(commit), changes, self.versions.data, first_versions=not boundary)

    def state_at(self, commit: str | None, paths: set[str] | None = None) -> TrailState:
        """The fold of the main line up to ``commit``, for ``paths`` only when given (and few)."""
        if commit is None:
            return TrailState()
        if paths is not None and len(paths) <= SCOPE_LIMIT:
            # a cached fold on the line to start from: bring it up to ``commit`` (a few commits, usually), keep it
            cached = self.main_line_state(commit, from_scratch=False) if self.cache is not None else None
            if cached is not None:
                return cached.restricted(paths)
            scoped = TrailState()
            if paths:
                self.fold(scoped, log(self.repository, [commit], sorted(paths)))
            scoped.commit = commit
            return scoped
        whole = self.main_line_state(commit)
        assert whole is not None
        return whole

    def main_line_state(self, commit: str, from_scratch: bool = True) -> TrailState | None:
        """The fold of the whole main line up to ``commit``: from the cache, else from the newest cached commit
        on its line, else (``from_scratch``; otherwise None) from the first commit; then cached."""
        everything = [RECORDS_DIR + "/"]
        if self.cache is None:
            state = TrailState()
            self.fold(state, log(self.repository, [commit], everything))
            state.commit = commit
            return state
        found = self.cache.load(commit)
        if found is not None:
            return found
        state = TrailState()
        known = self.cache.commits()
        if known:
            for sha in first_parent_chain(self.repository, commit):
                if sha in known:
                    earlier = self.cache.load(sha)
                    if earlier is not None:
                        state = earlier
                        break
        if state.commit is None and not from_scratch:
            return None
        self.fold(state, log(self.repository, [f"{state.commit}..{commit}" if state.commit else commit], everything))
        state.commit = commit
        self.cache.save(state)
        return state

    # --- the run ----------------------------------------------------------------------------------------------------

    def run(self, since: str | None, paths: set[str] | None) -> list[Finding]:
        """The findings of a full check (``since`` None) or of a pull request's changes since ``since``."""
        repository = self.repository
        scope = sorted(paths) if paths is not None else [RECORDS_DIR + "/"]
        if since is not None:
            base = repository.merge_base(since)
            step = Step(since=since, base=base)
            changes = self.trail.judged(working_tree_changes(repository, base, scope, uncommitted(self.today)))
            state = self.state_at(base, {change.path for change in changes})
        else:
            step = Step()
            if paths is not None:
                paths = {path for path in paths if self.trail.rules_for(path)}
                scope = sorted(paths)
            state = self.state_at(repository.head, paths)
            changes = []
            if scope:
                changes = self.trail.judged(working_tree_changes(repository, repository.head, scope,
                                                                 uncommitted(self.today)))
        start = state.steps
        self.versions.load(self.trail.needed(state, [changes]))
        self.trail.fold(state, step, changes, self.versions.data)
        report = state.breaches
        if since is not None:
            report = [b for b in state.breaches if b.order >= start or (
                b.event == "first-version" and state.late.get(b.path, {}).get(b.rule) == step)]
        found = self.render(report, state)
        self.keep_versions()
        return found

    def keep_versions(self) -> None:
        """Keep the versions this run parsed or reused for the next run (only those: the file does not grow)."""
        versions = self.versions
        if self.cache is None or versions.used.keys() == versions.kept.keys():
            return
        kept = {}
        for blob, data in versions.used.items():
            if blob in versions.kept:
                kept[blob] = data
                continue
            try:  # only what JSON gives back unchanged (a YAML key that is a number would not be)
                if json.loads(json.dumps(data)) == data:
                    kept[blob] = data
            except (TypeError, ValueError, RecursionError):
                continue
        self.cache.save_versions(kept, self.max_bytes)

    # --- findings ---------------------------------------------------------------------------------------------------

    def render(self, breaches: list[Breach], state: TrailState) -> list[Finding]:
        """Breaches as findings: each rule's ``when`` asked of the version, its message rendered."""
        self.versions.load((b.path, b.version) for b in breaches if b.version is not None)
        found: list[Finding] = []
        restored: set[str] = set()
        for breach in breaches:
            if breach.event != "deleted":
                finding = self.finding(breach, state)
                if finding is not None:
                    found.append(finding)
                    if breach.restored:
                        restored.add(breach.path)
        for breach in breaches:
            # a deleted file that is back, unchanged in what the rules protect, was restored: no finding
            if breach.event == "deleted" and (breach.path in state.deleted or breach.path in restored):
                finding = self.finding(breach, state)
                if finding is not None:
                    found.append(finding)
        return found

    def version(self, rule: Rule, path: str, blob: str | None) -> Record | None:
        """One version of a record, as a rule sees it."""
        data = self.versions.data(path, blob) if blob is not None else None
        if not isinstance(data, dict):
            return None
        id_field = self.pack.kinds[rule.kind].id_field
        record_id = data[id_field] if isinstance(data.get(id_field), str) else PurePosixPath(path).stem
        return Record(rule.kind, record_id, path, data, "")

    def activation(self, rule: Rule, version: Record, in_history: bool = True) -> Any | None:
        """The rule's context on this version, or None when its ``when`` does not hold there. ``file.in_history``
        says whether the step judged is on the main line (false: not committed yet, or only on the branch that
        ``--since`` checks), so a message can say what still puts it right before it is."""
        environment = self.compiler.environment(rule.kind, "plain")
        if rule.when is not None:
            # most breaches of a rule with a condition fail it (a history check judges every version): the
            # condition is asked with only the related records it reads, the message gets them all
            variables, _ = self.evaluator.record_variables(self.register, version, self.singles, rule.when_reads)
            if rule.id not in self.when_fields:
                self.when_fields[rule.id] = fields_read(rule.when.source, environment.variables)
            # with only the fields it reads (CEL converts the whole of a variable it reads); and asked once for
            # each set of plain values it reads: thousands of breaches differ only in what it does not read
            given = narrowed(variables, self.when_fields[rule.id])
            key = values_key(given, self.when_fields[rule.id])
            holds = self.when_held.get((rule.id, key)) if key is not None else None
            if holds is None:
                try:
                    holds = rule.when.holds(environment.activation(given))
                except EvaluationError:
                    holds = False  # an old version may lack what `when` reads; it is judged by its current rules
                if key is not None:
                    self.when_held[(rule.id, key)] = holds
            if not holds:
                return None
        variables, _ = self.evaluator.record_variables(self.register, version, self.singles)
        variables["file"] = {**variables["file"], "in_history": in_history}
        return environment.activation(variables)

    def finding(self, breach: Breach, state: TrailState) -> Finding | None:
        rule = self.rules[breach.rule]
        version = self.version(rule, breach.path, breach.version)
        if version is None:
            if breach.event != "deleted":
                return None
            version = Record(rule.kind, PurePosixPath(breach.path).stem, breach.path, {}, "")
        activation = self.activation(rule, version, breach.step.commit is not None)
        if activation is None:
            return None
        what = self.what(breach, state)
        # a file that is gone has no lines to point at: the first line, for every finding on it
        line = 1 if breach.event == "deleted" or breach.path in state.deleted else 0
        told = rule.message.render(activation) if rule.message is not None else ""
        return Finding(file=version.file, line=line, column=line, rule=rule.id, severity=rule.severity,
                       message=f"{what} {told}".strip(), clause=rule.clause, path=breach.at, record=version.id)

    def what(self, breach: Breach, state: TrailState) -> str:
        """What the step did, in words, with how to put it right where that is a command."""
        step = breach.step
        if breach.event == "deleted":
            # always quoted, so a path is one argument whatever it holds, and reads the same every time
            where = "'" + self.repository.in_repository(breach.path).replace("'", "'\\''") + "'"
            if step.commit is None and step.since is None:
                return f"This file is deleted (not committed yet). Restore it with: git checkout HEAD -- {where}."
            return (f"This file was deleted in {step.describe()}. "
                    f"Restore it with: git checkout {step.restore_from} -- {where}.")
        if breach.event == "first-version":
            missing = _words(list(breach.missing))
            if step.commit is not None:
                late = state.late.get(breach.path, {}).get(breach.rule)
                later = f" (added later: {late.describe()})" if late is not None else ""
                return f"The first version of this record, {step.describe()}, had no {missing}{later}."
            if step.since is not None:
                return f"The first version of this record, in {step.describe()}, has no {missing}."
            return f"The first version of this record (not committed yet) has no {missing}."
        if breach.restored:
            return (f"In {step.describe()}, which added this file again after it was deleted, compared with its "
                    f"last version before the deletion: {breach.what}.")
        return f"In {step.describe()}: {breach.what}."


def _words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def history_key(root: Path, rules: list[Rule], since: str | None = None,
                paths: Iterable[str] | None = None) -> str:
    """What the history pass's result depends on besides the files' contents and ``today``, as text.

    The commit checked out names the whole history before it (a shallow clone's boundary too); with
    ``since`` the merge-base it is judged from; and which files git does not track yet (new to the
    history, and newer than the rest). Two runs with the same key, the same files and the same day give
    the same history findings and notes, so a cached result may stand for them without reading history.
    A few git commands, whatever the history's length.
    """
    if not any(rule.history is not None for rule in rules):
        return "no history rules"
    try:
        repository = Repository.open(root)
    except NotARepository as reason:
        return f"not a repository: {reason}"
    base = repository.merge_base(since) if since is not None else ""
    # the register's untracked files, as the check's scope lists them (one question to git for both)
    untracked = sorted(path for path in untracked_files(root) if path.startswith(RECORDS_DIR + "/"))
    scope = "\0".join(sorted(paths)) if paths is not None else "*"
    digest = hashlib.blake2b("\0".join(untracked).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
    return "\n".join((repository.prefix, repository.head or "", " ".join(sorted(repository.boundary)), base, scope,
                      digest))


def check_history(root: Path, compiler: RuleCompiler, rules: list[Rule], records: list[Record], today: str,
                  since: str | None = None, *, paths: Iterable[str] | None = None, cache_dir: Path | None = None,
                  max_bytes: int = MAX_FILE_BYTES, memory: HistoryMemory | None = None) -> HistoryResult:
    """Run the pack's history rules over the register's git history.

    ``since``: a pull request's base (its changes as a whole); else the whole
    main line and the files on disk. ``paths``: judge only these files (a
    scoped check reports history findings on its own files only).
    ``cache_dir``: where folds of the main line are kept (None: not cached). ``memory``: keep them in this
    object instead, for a caller that runs the pass again and again (an audit); one pack, one repository.
    Returns unlocated findings (the checker locates them with the others) and
    notes; outside git, or without git, the checks are skipped with a note.
    """
    history_rules = [rule for rule in rules if rule.history is not None]
    if not history_rules:
        return HistoryResult()
    try:
        repository = Repository.open(root)
    except NotARepository as reason:
        return HistoryResult(notes=[f"history checks skipped: {reason}"])
    run = HistoryPass(repository, compiler, history_rules, records, today, [rule.id for rule in rules], cache_dir,
                      max_bytes, memory)
    findings = run.run(since, set(paths) if paths is not None else None)
    return HistoryResult(findings, list(dict.fromkeys(run.notes)))
