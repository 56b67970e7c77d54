"""Stored versions of record files, each read and parsed once.

A version is named by its git blob id. A version that is also the file on
disk is the record the check already loaded, never parsed again: with many
versions to read, git's index says which blobs are the files on disk (their
bytes are not even read); the others are read in one ``git cat-file --batch``,
and one whose bytes are the file's on disk (the loader's digest) is that
record too. Every other version is parsed the way the check parses files on
disk.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable

from ap_lint.git.blobs import BlobReader
from ap_lint.git.log import WORKING_TREE
from ap_lint.git.runner import Repository
from ap_lint.load.loader import MAX_FILE_BYTES
from ap_lint.load.register import RECORDS_DIR, Record, SourceFile, record_from_bytes
from ap_lint.pack import Pack


#: up to this many versions are read and compared with the files on disk; more are first looked up in git's index
_FEW = 64


def _digest(raw: bytes) -> str:
    """The digest the loader gives a file's bytes (``Record.digest``)."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


class Versions:
    """The records that versions of files hold, for one run."""

    def __init__(self, repository: Repository, pack: Pack, current: Iterable[Record],
                 max_bytes: int = MAX_FILE_BYTES, kept: dict[str, Any] | None = None) -> None:
        self.repository = repository
        #: versions parsed by an earlier run, by blob id (from the history cache); those this run used
        self.kept = kept or {}
        self.used: dict[str, Any] = {}
        self.pack = pack
        self.current = {record.file: record for record in current}
        self.max_bytes = max_bytes
        self._data: dict[str, Any] = {}
        self._on_disk: dict[str, str] | None = None
        #: how many blobs were parsed, and how many read back from ``kept`` (the rest were the files on disk)
        self.parsed = 0
        self.read_back = 0

    def on_disk(self) -> dict[str, str]:
        """Per path, the blob id of the file on disk, where git's index vouches for it."""
        if self._on_disk is None:
            runner = self.repository.runner
            staged = runner.output("ls-files", "-s", "-z", "--full-name", "--", RECORDS_DIR + "/")
            changed = runner.output("diff-files", "--name-only", "-z", "--no-renames", "--", RECORDS_DIR + "/")
            dirty = {self.repository.relative(name) for name in changed.split(b"\0") if name}
            found: dict[str, str] = {}
            for entry in staged.split(b"\0"):
                meta, _, name = entry.partition(b"\t")
                parts = meta.split()
                path = self.repository.relative(name) if name else None
                if len(parts) == 3 and parts[2] == b"0" and path is not None and path not in dirty:
                    found[path] = parts[1].decode("ascii")
            self._on_disk = found
        return self._on_disk

    def load(self, wanted: Iterable[tuple[str, str]]) -> None:
        """Make the records of these versions (path, blob id) ready for ``data``: one read for all."""
        pending: dict[str, str] = {}
        for path, blob in wanted:
            if blob in self._data:
                continue
            if blob == WORKING_TREE:
                record = self.current.get(path)
                self._data[blob + ":" + path] = record.data if record is not None else None
                continue
            pending.setdefault(blob, path)
        if not pending:
            return
        if len(pending) > _FEW and any(path in self.current for path in pending.values()):
            disk = self.on_disk()
            for blob, path in list(pending.items()):
                record = self.current.get(path)
                if record is not None and disk.get(path) == blob:
                    self._data[blob] = record.data
                    del pending[blob]
        for blob in [blob for blob in pending if blob in self.kept]:
            self._data[blob] = self.used[blob] = self.kept[blob]  # parsed by an earlier run: the same bytes
            self.read_back += 1
            del pending[blob]
        if not pending:
            return
        contents = BlobReader(self.repository.runner).read(pending)
        for blob, path in pending.items():
            raw = contents.get(blob)
            record = self.current.get(path)
            if raw is None:
                self._data[blob] = None
            elif record is not None and record.digest and _digest(raw) == record.digest:
                self._data[blob] = record.data  # the same bytes as the file on disk
            else:
                self._data[blob] = self.used[blob] = self._parse(path, raw)

    def _parse(self, path: str, raw: bytes) -> Any:
        kind = self.pack.kind_of(path)
        if kind is None:
            return None
        self.parsed += 1
        source = SourceFile(kind, self.repository.root / path, path, self.pack.kinds[kind].front_matter)
        return record_from_bytes(source, raw, self.max_bytes).data

    def data(self, path: str, blob: str) -> Any:
        """The record (its data) a version holds; None when it is not a readable record or was not loaded."""
        if blob == WORKING_TREE:
            return self._data.get(blob + ":" + path)
        return self._data.get(blob)
