"""The history pass's cache: the fold of the main line up to a commit, keyed by that commit's id.

A commit id names the commit's whole history, so the fold of the main line up
to it is a pure function of that id, the policy pack (its digest), where the
register sits in the repository and the engine's version. The cache keeps that
fold (``TrailState``: breaches found, deleted paths' last versions, late
additions) in one JSON file per commit under ``<cache folder>/history/``, and
a later run folds only the commits after the newest cached one on its line.

An accelerator only: an entry that cannot be read, or holds anything a fold
could not have written, is ignored and the fold is done again. Files are
written atomically; only the newest few are kept. The folder is never
followed through a symlink.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from ap_lint import __version__
from ap_lint.cache import prepare_cache_directory, read_cache_json
from ap_lint.fsutil import write_atomic
from ap_lint.git.log import Commit, Step
from ap_lint.git.trail import Breach, TrailState

#: bump when the fold or this format changes, so no earlier entry is read
FORMAT = 1
#: how many folds are kept (the main branch's tip and a few branches)
KEEP = 16
FOLDER = "history"

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_EVENTS = frozenset({"deleted", "first-version", "changed"})


class Odd(ValueError):
    """A cache entry that a fold could not have written."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise Odd("not text")
    return value


def _sha(value: Any) -> str:
    if not isinstance(value, str) or not _SHA.fullmatch(value):
        raise Odd("not a commit id")
    return value


def _blob(value: Any) -> str | None:
    return None if value is None else _sha(value)


def _commit_to_json(commit: Commit) -> list[Any]:
    return [commit.sha, list(commit.parents), commit.timestamp, commit.author, commit.subject]


def _commit_from_json(item: Any) -> Commit:
    if not isinstance(item, list) or len(item) != 5 or not isinstance(item[1], list):
        raise Odd("not a commit")
    sha, parents, timestamp, author, subject = item
    return Commit(_sha(sha), tuple(_sha(p) for p in parents), _text(author), _text(timestamp), _text(subject))


def _step_commit(step: Step) -> Commit:
    if step.commit is None:
        raise Odd("only committed steps are cached")
    return step.commit


def state_to_json(state: TrailState, salt: str) -> dict[str, Any]:
    """The fold as a JSON document (committed steps only)."""
    return {
        "format": FORMAT, "salt": salt, "commit": state.commit, "steps": state.steps,
        "deleted": state.deleted,
        "late": {path: {rule: _commit_to_json(_step_commit(step)) for rule, step in rules.items()}
                 for path, rules in state.late.items()},
        "breaches": [[b.rule, b.event, b.order, _commit_to_json(_step_commit(b.step)), b.path, b.version, b.what,
                      list(b.at), list(b.missing), b.restored] for b in state.breaches],
    }


def state_from_json(document: Any, salt: str, commit: str, rules: frozenset[str]) -> TrailState:
    """The fold a document holds; Odd for anything a fold of ``commit`` with these rules could not have written."""
    if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("salt") != salt:
        raise Odd("another format or pack")
    if document.get("commit") != commit:
        raise Odd("another commit")
    steps = document.get("steps")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise Odd("no step count")
    deleted = document.get("deleted")
    late = document.get("late")
    breaches = document.get("breaches")
    if not isinstance(deleted, dict) or not isinstance(late, dict) or not isinstance(breaches, list):
        raise Odd("missing parts")
    state = TrailState(commit, steps, {_text(path): _blob(blob) for path, blob in deleted.items()})
    for path, by_rule in late.items():
        if not isinstance(by_rule, dict) or not set(by_rule) <= rules:
            raise Odd("late additions of unknown rules")
        state.late[_text(path)] = {rule: Step(_commit_from_json(item)) for rule, item in by_rule.items()}
    for item in breaches:
        if not isinstance(item, list) or len(item) != 10:
            raise Odd("not a breach")
        rule, event, order, step, path, version, what, at, missing, restored = item
        if rule not in rules or event not in _EVENTS or not isinstance(restored, bool):
            raise Odd("an unknown rule or event")
        if not isinstance(order, int) or isinstance(order, bool) or not 0 <= order < steps:
            raise Odd("a step out of range")
        if not isinstance(at, list) or not all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in at):
            raise Odd("not a field path")
        if not isinstance(missing, list):
            raise Odd("not a field list")
        state.breaches.append(Breach(rule, event, order, Step(_commit_from_json(step)), _text(path), _blob(version),
                                     _text(what), tuple(at), tuple(_text(m) for m in missing), restored))
    return state


class HistoryCache:
    """Folds of one register's main line, with one policy pack, in a cache folder."""

    def __init__(self, directory: Path, pack_digest: str, prefix: str, rules: frozenset[str]) -> None:
        self.folder = directory / FOLDER
        self.salt = f"{FORMAT}:{__version__}:{pack_digest}:{prefix}"
        self.tag = hashlib.blake2b(self.salt.encode("utf-8"), digest_size=8).hexdigest()
        self.rules = rules

    def _usable(self) -> bool:
        return not self.folder.parent.is_symlink() and not self.folder.is_symlink()

    def _file(self, commit: str) -> Path:
        return self.folder / f"{self.tag}-{commit}.json"

    def commits(self) -> set[str]:
        """The commits whose fold is cached."""
        if not self._usable():
            return set()
        try:
            names = [path.name for path in self.folder.iterdir()]
        except OSError:
            return set()
        start = f"{self.tag}-"
        return {name[len(start):-5] for name in names
                if name.startswith(start) and name.endswith(".json") and _SHA.fullmatch(name[len(start):-5])}

    def load(self, commit: str) -> TrailState | None:
        """The cached fold up to ``commit``; None when there is none or it is not sound."""
        path = self._file(commit)
        if not self._usable() or path.is_symlink():
            return None
        try:
            document = read_cache_json(path)
            if document is None:
                return None
            return state_from_json(document, self.salt, commit, self.rules)
        except (OSError, ValueError, RecursionError):
            return None

    def _versions_file(self) -> Path:
        # not *.json: the folds' pruning leaves it alone
        return self.folder / f"{self.tag}.versions"

    def load_versions(self, max_bytes: int) -> dict[str, Any]:
        """Parsed versions of record files by git blob id (a blob id names its bytes: they never change)."""
        path = self._versions_file()
        if not self._usable() or path.is_symlink():
            return {}
        try:
            document = read_cache_json(path)
        except (ValueError, RecursionError):
            return {}
        if (not isinstance(document, dict) or document.get("salt") != f"{self.salt}:{max_bytes}"
                or not isinstance(document.get("versions"), dict)):
            return {}
        versions = document["versions"]
        if not all(_SHA.fullmatch(blob) and (data is None or type(data) is dict) for blob, data in versions.items()):
            return {}
        return versions

    def save_versions(self, versions: dict[str, Any], max_bytes: int) -> None:
        """Keep these parsed versions (those the run used: the file does not grow without bound)."""
        if not self._usable():
            return
        try:
            text = json.dumps({"salt": f"{self.salt}:{max_bytes}", "versions": versions}, separators=(",", ":"),
                              ensure_ascii=False)
            prepare_cache_directory(self.folder.parent)
            write_atomic(self._versions_file(), text, durable=False)
        except (OSError, ValueError, TypeError):
            pass

    def save(self, state: TrailState) -> None:
        """Keep the fold up to its commit; a failure to write only costs time next run."""
        if state.commit is None or not self._usable():
            return
        try:
            text = json.dumps(state_to_json(state, self.salt), separators=(",", ":"), ensure_ascii=False)
            prepare_cache_directory(self.folder.parent)  # a cache folder ap-lint makes ignores itself in git
            write_atomic(self._file(state.commit), text, durable=False)
            entries = sorted((p for p in self.folder.glob("*.json") if not p.is_symlink()),
                             key=lambda p: p.stat().st_mtime, reverse=True)
            for old in entries[KEEP:]:
                old.unlink(missing_ok=True)
        except (OSError, Odd):
            pass


class HistoryMemory:
    """Folds of the main line and parsed versions kept in this process only, for a caller that runs the history
    pass again and again on one repository (an audit, state after state): nothing is written or read back
    from files, and nothing is kept beyond the caller's object."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._states: dict[str, TrailState] = {}
        self._versions: dict[int, dict[str, Any]] = {}

    def commits(self) -> set[str]:
        return set(self._states)

    def load(self, commit: str) -> TrailState | None:
        state = self._states.get(commit)
        return state.copy() if state is not None else None

    def save(self, state: TrailState) -> None:
        if state.commit is None:
            return
        self._states.pop(state.commit, None)
        self._states[state.commit] = state.copy()
        while len(self._states) > self.keep:
            del self._states[next(iter(self._states))]  # the oldest kept

    def load_versions(self, max_bytes: int) -> dict[str, Any]:
        return self._versions.get(max_bytes, {})

    def save_versions(self, versions: dict[str, Any], max_bytes: int) -> None:
        self._versions[max_bytes] = versions

