"""A cache of loaded records and check results, keyed by content.

Two layers, both in one JSON file under the cache folder (default
``<register>/.ap-lint-cache/``, which holds its own ``.gitignore``):

- each file's loaded record, keyed by the blake2b digest of its bytes, so an
  unchanged file is never parsed or validated twice;
- the findings of the last check, keyed by the digest of every file, the policy
  pack, "today" and the engine version, so an unchanged register is not
  evaluated again.

JSON rather than pickle: a cache file in a working tree could come from anyone,
and loading it must never run code. Anything unreadable is ignored (a cold run);
writes are atomic. A cached run gives exactly the findings of a cold run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Sequence

from ap_lint import __version__
from ap_lint.findings import Finding
from ap_lint.fsutil import write_atomic
from ap_lint.load.register import Record, SourceFile

CACHE_DIR_NAME = ".ap-lint-cache"
_FORMAT = 1
_BATCH = 1000


def _record_to_json(record: Record) -> list[Any]:
    return [record.kind, record.id, record.file, record.data, record.digest, record.line_offset, record.valid,
            [finding_to_json(p) for p in record.problems]]


def _record_from_json(item: list[Any]) -> Record:
    kind, record_id, file, data, digest, offset, valid, problems = item
    return Record(kind, record_id, file, data, digest, offset, valid, [finding_from_json(p) for p in problems])


def finding_to_json(finding: Finding) -> list[Any]:
    return [finding.file, finding.line, finding.column, finding.rule, finding.severity, finding.message,
            finding.clause, list(finding.path), finding.waived_by, finding.record]


def finding_from_json(item: list[Any]) -> Finding:
    file, line, column, rule, severity, message, clause, path, waived_by, record = item
    return Finding(file, line, column, rule, severity, message, clause, tuple(path), waived_by, record)


@dataclass
class CheckCache:
    """The cache of one register, checked with one pack."""

    directory: Path
    salt: str
    records: dict[str, Record] = field(default_factory=dict)  # digest -> record
    result_key: str = ""
    findings: list[Finding] | None = None
    evaluations: dict[str, tuple[str, list[Finding]]] = field(default_factory=dict)  # file -> (context key, found)

    @classmethod
    def open(cls, directory: Path, pack_digest: str, max_bytes: int) -> "CheckCache":
        salt = f"{_FORMAT}:{__version__}:{pack_digest}:{max_bytes}"
        cache = cls(directory, salt)
        try:
            document = json.loads((directory / "check.json").read_text("utf-8"))
            if document.get("salt") != salt:
                return cache
            cache.records = {item[4]: _record_from_json(item) for item in document["records"]}
            cache.result_key = document["result"]["key"]
            cache.findings = [finding_from_json(f) for f in document["result"]["findings"]]
            cache.evaluations = {file: (key, [finding_from_json(f) for f in found])
                                 for file, (key, found) in document["evaluations"].items()}
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            cache.records, cache.result_key, cache.findings, cache.evaluations = {}, "", None, {}
        return cache

    def lookup(self, source: SourceFile, max_bytes: int) -> Record | None:
        """The file's loaded record if this very content was loaded before as this file; None otherwise."""
        if not self.records:
            return None
        try:
            if source.path.stat().st_size > max_bytes:
                return None
            raw = source.path.read_bytes()
        except OSError:
            return None
        record = self.records.get(hashlib.blake2b(raw, digest_size=16).hexdigest())
        if record is None or record.file != source.display or record.kind != source.kind:
            return None
        return Record(record.kind, record.id, record.file, record.data, record.digest, record.line_offset,
                      record.valid, list(record.problems))

    def result_key_for(self, records: Sequence[Record], extra: str) -> str:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(extra.encode())
        for record in records:
            digest.update(f"\0{record.file}\0{record.digest}".encode())
        return digest.hexdigest()

    def save(self, records: Sequence[Record], result_key: str, findings: Sequence[Finding]) -> None:
        """Write the cache atomically; a failure to write only costs speed next time."""
        head = {
            "salt": self.salt,
            "result": {"key": result_key, "findings": [finding_to_json(f) for f in findings]},
            "evaluations": {file: [key, [finding_to_json(f) for f in found]]
                            for file, (key, found) in self.evaluations.items()},
        }
        kept = [r for r in records if r.digest]

        def write(stream: BinaryIO) -> None:
            # The records go out in batches, each encoded by json's C encoder: fast, and never the
            # whole register as one string in memory.
            stream.write(json.dumps(head, separators=(",", ":"))[:-1].encode("utf-8"))
            stream.write(b',"records":[')
            for start in range(0, len(kept), _BATCH):
                batch = [_record_to_json(r) for r in kept[start:start + _BATCH]]
                stream.write((b"," if start else b"") + json.dumps(batch, separators=(",", ":"))[1:-1].encode())
            stream.write(b"]}")

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                write_atomic(ignore, "# Created by ap-lint: the cache is never committed.\n*\n")
            write_atomic(self.directory / "check.json", write)
        except OSError:
            pass
