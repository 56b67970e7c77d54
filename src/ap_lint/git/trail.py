"""The history rules judged along the main line: what each step did to each record file.

A rule with a ``history:`` block is judged on the versions of its records that
git holds, one step at a time (a step is a commit on the main line against its
first parent, a pull request as a whole, or the changes on disk):

- ``never-deleted``: a step that deletes a record's file is a breach;
- ``first-version-has``: the version that first added the file already had ``fields``;
- ``append-only``: list items at ``fields`` in the version before a step are
  still there, unchanged, after it (new items may be added anywhere);
- ``fixed-once-set``: values at ``fields`` in the version before a step are
  unchanged after it.

A path is a record's identity. A path deleted in one step and added again in a
later one is compared with its last version before the deletion, so deleting
and re-adding a file launders nothing. Order is the commit graph's; no
decision reads a commit's author or committer date.

``Trail`` folds steps into a ``TrailState``: the breaches found so far and what
later steps need (each deleted path's last version; the step that first added a
field a ``first-version-has`` rule wants). The fold reads each version once and
knows no record kinds or fields: rules name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ap_lint.evaluate.rules import Rule
from ap_lint.findings import JsonPath, format_path, parse_path
from ap_lint.git.diff import diff_values
from ap_lint.git.log import FileChange, Step
from ap_lint.load.register import value_at

NEVER_DELETED, FIRST_VERSION_HAS = "never-deleted", "first-version-has"
APPEND_ONLY, FIXED_ONCE_SET = "append-only", "fixed-once-set"
#: checks that compare a version with the one before it
_COMPARING = frozenset({APPEND_ONLY, FIXED_ONCE_SET, FIRST_VERSION_HAS})

#: what a fold asks for: the record held by the blob at a path (None when it is not a readable record)
VersionData = Callable[[str, str], Any]


@dataclass(frozen=True)
class TrailRule:
    """What the fold needs of a history rule (its ``when`` and message are the renderer's)."""

    id: str
    kind: str
    check: str
    fields: tuple[str, ...] = ()
    dated_by: str | None = None

    @classmethod
    def of(cls, rule: Rule) -> "TrailRule":
        assert rule.history is not None
        return cls(rule.id, rule.kind, rule.history.check, tuple(rule.history.fields), rule.history.dated_by)


@dataclass(frozen=True)
class Breach:
    """What one step did that a history rule forbids, before the rule's ``when`` is asked.

    ``version`` is the blob whose record the rule's ``when`` and message read
    (the version the step left, or the deleted one). ``restored``: found by
    comparing a file added again with its last version before its deletion.
    """

    rule: str
    event: str  # "deleted", "first-version" or "changed"
    order: int  # the step's place on the main line
    step: Step
    path: str
    version: str | None
    what: str = ""
    at: JsonPath = ()
    missing: tuple[str, ...] = ()
    restored: bool = False


@dataclass
class TrailState:
    """The fold after some steps: what it found, and what later steps need to know."""

    #: the last commit folded (None: none yet)
    commit: str | None = None
    #: how many steps were folded (the next step's order)
    steps: int = 0
    #: each deleted path's last version before its deletion
    deleted: dict[str, str | None] = field(default_factory=dict)
    #: per path, per ``first-version-has`` rule, the step that first added a field the rule wants
    late: dict[str, dict[str, Step]] = field(default_factory=dict)
    breaches: list[Breach] = field(default_factory=list)

    def copy(self) -> "TrailState":
        """A copy a fold may change without changing this one (breaches and steps are immutable)."""
        return TrailState(self.commit, self.steps, dict(self.deleted), {p: dict(r) for p, r in self.late.items()},
                          list(self.breaches))

    def restricted(self, paths: Iterable[str]) -> "TrailState":
        """The same state seen for ``paths`` only."""
        keep = set(paths)
        return TrailState(self.commit, self.steps, {p: b for p, b in self.deleted.items() if p in keep},
                          {p: dict(r) for p, r in self.late.items() if p in keep},
                          [b for b in self.breaches if b.path in keep])


def present(value: Any) -> bool:
    """Whether a field holds something (not absent, empty text, an empty list or mapping)."""
    return value is not None and value != "" and value != [] and value != {}


class Trail:
    """The pack's history rules, ready to fold steps."""

    def __init__(self, rules: Iterable[TrailRule], kind_of: Callable[[str], str | None]) -> None:
        self.by_kind: dict[str, list[TrailRule]] = {}
        for rule in rules:
            self.by_kind.setdefault(rule.kind, []).append(rule)
        self.kind_of = kind_of
        self._rules_for: dict[str, list[TrailRule]] = {}

    def rules_for(self, path: str) -> list[TrailRule]:
        """The history rules that judge the file at ``path`` (asked of each path several times a fold)."""
        found = self._rules_for.get(path)
        if found is None:
            found = self._rules_for[path] = self.by_kind.get(self.kind_of(path) or "", [])
        return found

    def judged(self, changes: Iterable[FileChange]) -> list[FileChange]:
        """The changes to files some history rule judges."""
        return [change for change in changes if self.rules_for(change.path)]

    def needed(self, state: TrailState, steps: Iterable[list[FileChange]]) -> set[tuple[str, str]]:
        """The versions (path, blob) a fold of ``steps`` from ``state`` reads; the state is not changed."""
        deleted = dict(state.deleted)
        wanted: set[tuple[str, str | None]] = set()
        for changes in steps:
            for change in changes:
                checks = {rule.check for rule in self.rules_for(change.path)}
                if change.status == "D":
                    deleted[change.path] = change.old
                elif change.status == "A" and change.path in deleted:
                    last = deleted.pop(change.path)
                    if checks & _COMPARING:
                        wanted |= {(change.path, last), (change.path, change.new)}
                elif change.status == "A" and FIRST_VERSION_HAS in checks:
                    wanted.add((change.path, change.new))
                elif change.status == "M" and checks & _COMPARING:
                    wanted |= {(change.path, change.old), (change.path, change.new)}
        return {(path, blob) for path, blob in wanted if blob is not None}

    def fold(self, state: TrailState, step: Step, changes: Iterable[FileChange], data: VersionData, *,
             first_versions: bool = True) -> None:
        """Judge one step and update ``state``.

        ``first_versions`` False: files the step adds are not first versions
        (a shallow clone's oldest commit adds everything it holds).
        """
        order = state.steps
        state.steps += 1
        if step.commit is not None:
            state.commit = step.commit.sha
        for change in changes:
            rules = self.rules_for(change.path)
            if not rules:
                continue
            if change.status == "D":
                state.deleted[change.path] = change.old
                state.breaches.extend(Breach(rule.id, "deleted", order, step, change.path, change.old)
                                      for rule in rules if rule.check == NEVER_DELETED)
            elif change.status == "A" and change.path in state.deleted:
                last = state.deleted.pop(change.path)
                self._compare(state, order, step, rules, change.path, last, change.new, data, restored=True)
            elif change.status == "A":
                if first_versions:
                    self._first_version(state, order, step, rules, change.path, change.new, data)
            elif change.status == "M":
                self._compare(state, order, step, rules, change.path, change.old, change.new, data)

    @staticmethod
    def _first_version(state: TrailState, order: int, step: Step, rules: list[TrailRule], path: str,
                       blob: str | None, data: VersionData) -> None:
        wanting = [rule for rule in rules if rule.check == FIRST_VERSION_HAS]
        if not wanting or blob is None:
            return
        record = data(path, blob)
        if not isinstance(record, dict):
            return  # a version that is not a record has nothing to judge (its own errors say why)
        for rule in wanting:
            missing = tuple(name for name in rule.fields if not present(value_at(record, parse_path(name))))
            if missing:
                state.breaches.append(Breach(rule.id, "first-version", order, step, path, blob,
                                             at=parse_path(missing[0]), missing=missing))

    @staticmethod
    def _compare(state: TrailState, order: int, step: Step, rules: list[TrailRule], path: str,
                 old_blob: str | None, new_blob: str | None, data: VersionData, restored: bool = False) -> None:
        comparing = [rule for rule in rules if rule.check in _COMPARING]
        if not comparing or old_blob is None or new_blob is None:
            return
        before, after = data(path, old_blob), data(path, new_blob)
        if not isinstance(before, dict) or not isinstance(after, dict):
            return
        for rule in comparing:
            for name in rule.fields:
                at = parse_path(name)
                old, new = value_at(before, at), value_at(after, at)
                if rule.check == FIRST_VERSION_HAS:
                    if not present(old) and present(new):
                        state.late.setdefault(path, {}).setdefault(rule.id, step)
                elif rule.check == FIXED_ONCE_SET:
                    if old is not None and old != new:
                        what = "; ".join(change.text for change in diff_values(old, new, at))
                        state.breaches.append(Breach(rule.id, "changed", order, step, path, new_blob, what, at,
                                                     restored=restored))
                elif isinstance(old, list):
                    for what, where in rewritten(old, new if isinstance(new, list) else [], at, rule.dated_by):
                        state.breaches.append(Breach(rule.id, "changed", order, step, path, new_blob, what, where,
                                                     restored=restored))


def rewritten(old: list[Any], new: list[Any], path: JsonPath, dated_by: str | None) -> Iterator[tuple[str, JsonPath]]:
    """Items of ``old`` that ``new`` no longer holds unchanged, in words, with where to look.

    Unchanged items are matched first wherever they now stand (an item may be
    inserted before them); an item that is gone is matched to one with the same
    ``dated_by`` value to say what was altered, else it was removed.
    """
    def dated(item: Any) -> Any:
        return item.get(dated_by) if dated_by and isinstance(item, dict) else None

    free = list(range(len(new)))
    missing: list[int] = []
    for index, item in enumerate(old):
        match = next((j for j in free if new[j] == item), None)
        if match is None:
            missing.append(index)
        else:
            free.remove(match)
    for index in missing:
        item = old[index]
        label = format_path(path + (index,)) + (f" ({dated_by}: {dated(item)})" if dated_by else "")
        same = next((j for j in free if dated_by and dated(new[j]) is not None and dated(new[j]) == dated(item)),
                    None)
        if same is None:
            yield f"{label} was removed", path
            continue
        free.remove(same)
        changes = diff_values(item, new[same], path + (same,))
        yield f"{label} was changed: {'; '.join(c.text for c in changes)}", changes[0].path
