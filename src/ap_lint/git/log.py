"""What git says changed: commits, the files each one touched, and the changes not committed yet.

The history rules judge *steps*: a commit on the main line against its first
parent (a merge commit too, so a conflict resolution is seen), the changes on
disk against the commit checked out, or a pull request as a whole (the
merge-base against the files as the branch leaves them). Each step lists the
record files it added (A), modified (M) or deleted (D), with git's blob id of
each version. A path is a record's identity: there is no rename or copy
detection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from ap_lint.git.runner import Repository

#: blob id git writes for "no version" (an added file's before, a deleted file's after)
_NO_BLOB = re.compile(rb"^0+$")
#: stands for "the file as it is on disk now" where a blob id would be
WORKING_TREE = "working-tree"
_FORMAT = "--format=%x1e%H%x1f%P%x1f%aI%x1f%an%x1f%s"
_HEADER = re.compile(r"[0-9a-f]{40,64}\x1f(?:[0-9a-f]{40,64}(?: [0-9a-f]{40,64})*)?\x1f")


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
        """The author date, YYYY-MM-DD in the author's time zone (shown to people; never judged by)."""
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
class Step:
    """One comparison the history rules judge, and how a message names it.

    ``commit``: a commit on the main line, against its first parent. ``since``
    and ``base``: a pull request as a whole, the merge-base ``base`` of the
    branch and ``since`` against the files on disk. Neither: the changes on
    disk against the commit checked out.
    """

    commit: Commit | None = None
    since: str | None = None
    base: str | None = None

    def describe(self) -> str:
        if self.commit is not None:
            return self.commit.describe()
        if self.since is not None:
            return f"the changes since {self.since}"
        return "changes not committed yet"

    @property
    def restore_from(self) -> str:
        """The revision that still holds a file this step deleted."""
        if self.commit is not None:
            return f"{self.commit.short}^"
        if self.base is not None:
            return self.base[:7]
        return "HEAD"


@dataclass(frozen=True)
class FileChange:
    """One file touched by one commit: its path (relative to the register) and blob ids before and after.

    ``status`` is A added, M modified or D deleted. ``old``/``new`` are None
    where there is no version, and ``new`` is ``WORKING_TREE`` for a file as
    it is on disk.
    """

    commit: Commit
    status: str
    path: str
    old: str | None
    new: str | None


def _entries(output: bytes) -> Iterable[tuple[str, bytes]]:
    """Each commit's header and raw part from ``git log -z --raw`` with ``_FORMAT``.

    A piece that does not start with a commit id and parents is part of the
    previous commit's author or subject (which may hold the separator).
    """
    pieces: list[list[bytes]] = []
    for piece in output.split(b"\x1e")[1:]:
        if pieces and not _HEADER.match(piece[:200].decode("ascii", "replace")):
            pieces[-1].append(piece)
        else:
            pieces.append([piece])
    for parts in pieces:
        entry = b"\x1e".join(parts)
        header, _, raw = entry.partition(b"\0")
        yield header.decode("utf-8", "replace"), raw


def _commit(header: str) -> Commit:
    sha, parents, timestamp, author, subject = (header.split("\x1f", 4) + [""] * 5)[:5]
    return Commit(sha, tuple(parents.split()), author, timestamp, subject)


def raw_changes(repository: Repository, commit: Commit, raw: bytes) -> list[FileChange]:
    """The file changes in git's ``--raw -z`` output, for paths inside the register."""
    tokens = raw.lstrip(b"\n").split(b"\0")
    found: list[FileChange] = []
    position = 0
    while position < len(tokens) and tokens[position].startswith(b":"):
        meta = tokens[position].decode("ascii", "replace").split()
        old, new, status = meta[2], meta[3], meta[4][:1]
        paths = tokens[position + 1:position + (3 if status in "RC" else 2)]
        position += 1 + len(paths)
        path = repository.relative(paths[-1]) if paths else None
        if path is None:
            continue
        found.append(FileChange(commit, "M" if status == "T" else status, path,
                                None if _NO_BLOB.match(old.encode()) else old,
                                None if _NO_BLOB.match(new.encode()) else new))
    return found


def log(repository: Repository, revisions: list[str], paths: list[str], *,
        main_line: bool = True) -> list[tuple[Commit, list[FileChange]]]:
    """Commits in ``revisions`` that touched ``paths``, oldest first, with their file changes.

    ``main_line``: only the first-parent line, each commit (a merge too) against its first parent;
    else every commit (merges show no changes of their own).
    """
    args = ["log", "-z", "--raw", "--no-abbrev", "--no-renames", "--no-ext-diff", "--no-textconv", _FORMAT]
    args += ["--first-parent", "-m"] if main_line else ["--topo-order"]
    output = repository.runner.output(*args, *revisions, "--", *paths)  # paths relative to the register
    commits = []
    for header, raw in _entries(output):
        commit = _commit(header)
        commits.append((commit, raw_changes(repository, commit, raw)))
    commits.reverse()
    return commits


def working_tree_changes(repository: Repository, base: str | None, paths: list[str],
                         commit: Commit) -> list[FileChange]:
    """The files on disk (staged or not) against ``base``, with new files git does not track yet.

    ``base`` None (no commit yet): every file is new, tracked or not.
    """
    changes: dict[str, FileChange] = {}
    untracked = ["--others", "--exclude-standard"]
    if base is not None:
        raw = repository.runner.output("diff", base, "-z", "--raw", "--no-abbrev", "--no-renames", "--no-ext-diff",
                                       "--no-textconv", "--", *paths)
        for change in raw_changes(repository, commit, raw):
            new = None if change.status == "D" else WORKING_TREE
            changes[change.path] = FileChange(commit, change.status, change.path, change.old, new)
    else:
        untracked.append("--cached")
    listed = repository.runner.output("ls-files", "-z", "--full-name", *untracked, "--", *paths)
    for name in listed.split(b"\0"):
        path = repository.relative(name) if name else None
        if path is None:
            continue
        earlier = changes.get(path)
        if earlier is not None and earlier.status == "D":  # removed from git, but a file is on disk again
            changes[path] = FileChange(commit, "M", path, earlier.old, WORKING_TREE)
        elif earlier is None:
            changes[path] = FileChange(commit, "A", path, None, WORKING_TREE)
    return list(changes.values())


def paths_in_history(repository: Repository, paths: list[str]) -> set[str]:
    """Every file under ``paths`` that any commit touched, including files deleted since."""
    if repository.head is None:
        return set()
    out = repository.runner.output("log", "-z", "--format=", "--name-only", "--no-renames", "HEAD", "--", *paths)
    return {path for path in (repository.relative(name) for name in out.split(b"\0") if name) if path}


def first_parent_chain(repository: Repository, revision: str) -> list[str]:
    """The commits of ``revision``'s first-parent line, newest first."""
    return repository.runner.output("rev-list", "--first-parent", revision).decode("ascii", "replace").split()
