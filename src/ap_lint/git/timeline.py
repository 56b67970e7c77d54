"""A record's timeline: every commit that touched its file, and what each one changed, in words.

A path is a record's identity: the timeline is the file's own, from the commit
that created it (a file copied from another starts there, with none of the
other's past).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ap_lint.git.blobs import BlobReader
from ap_lint.git.diff import FieldChange, diff_values
from ap_lint.git.log import WORKING_TREE, Commit, log, uncommitted, working_tree_changes
from ap_lint.git.runner import Repository
from ap_lint.load.loader import load_record

_EVENTS = {"A": "created", "M": "changed", "D": "deleted"}


@dataclass(frozen=True)
class TimelineEntry:
    """One commit (or the uncommitted changes) that touched a record's file, and what it changed."""

    commit: Commit
    path: str
    event: str  # created, changed, deleted
    changes: tuple[FieldChange, ...]

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON shape of one entry (``moved_from`` is always null: a path is a record's identity)."""
        committed = self.commit.committed
        return {"commit": self.commit.sha or None, "short": self.commit.short or None,
                "author": self.commit.author if committed else None,
                "date": self.commit.timestamp if committed else None,
                "subject": self.commit.subject if committed else None,
                "file": self.path, "event": self.event, "moved_from": None,
                "changes": [change.as_dict() for change in self.changes]}


def timeline(repository: Repository, path: str, today: str) -> list[TimelineEntry]:
    """Every commit that touched the file at ``path``, oldest first, then its changes not committed yet."""
    changes = []
    if repository.head is not None:
        changes = [change for _, found in log(repository, ["HEAD"], [path], main_line=False) for change in found]
    changes += working_tree_changes(repository, repository.head, [path], uncommitted(today))
    changes = [change for change in changes if change.path == path]
    blobs = BlobReader(repository.runner).read(blob for change in changes for blob in (change.old, change.new)
                                               if blob is not None and blob != WORKING_TREE)

    def data(blob: str | None) -> Any:
        if blob is None:
            return None
        raw = blobs.get(blob) or b""
        if blob == WORKING_TREE:
            try:
                raw = (repository.root / path).read_bytes()
            except OSError:
                return None
        return load_record(raw, path).data

    return [TimelineEntry(change.commit, change.path, _EVENTS.get(change.status, "changed"),
                          tuple(diff_values(data(change.old), data(change.new)) if change.status == "M" else ()))
            for change in changes]
