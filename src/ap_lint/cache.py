"""A cache of loaded records and check results, keyed by content: an accelerator only.

Two layers, both in one JSON file in the register's cache folder:

- each file's loaded record, keyed by the blake2b digest of its bytes, so an
  unchanged file is never parsed or validated twice;
- the findings of the last check, keyed by the digest of every file, the policy
  pack, "today" and the engine version, so an unchanged register is not
  evaluated again.

The cache can only make a run faster, never change its findings:

- it lives outside the work tree by default (the user's cache folder, one
  sub-folder per register: ``cache_directory``); a folder that git tracks, that
  lies in or holds ``records/``, or that is (or lies behind) a symbolic link is
  never read or written (``cache_problem``), so a cache committed to a branch
  is not believed;
- every entry read is checked for shape and type; anything odd (a record
  without data, an unknown severity, a list where an id belongs, a truncated
  file) throws the whole cache away: a cold run, never an error;
- JSON rather than pickle: loading it never runs code. Writes are atomic.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Mapping, Sequence

from ap_lint import __version__
from ap_lint.findings import SEVERITY_ORDER, Finding
from ap_lint.fsutil import write_atomic
from ap_lint.load.register import RECORDS_DIR, Record, SourceFile, comments_in

#: the name of a cache folder ap-lint creates (it ignores itself in git)
CACHE_DIR_NAME = ".ap-lint-cache"
#: the environment variable naming a cache folder of the user's choosing
CACHE_DIR_VARIABLE = "AP_LINT_CACHE_DIR"
_FORMAT = 3
_BATCH = 1000
_IGNORE_FILE = "# Created by ap-lint: the cache is never committed.\n*\n"


class CacheEntryError(ValueError):
    """An entry of a cache file that is not what ap-lint writes: the cache is not used."""


def user_cache_home(environ: Mapping[str, str] | None = None) -> Path:
    """The user's cache folder: ``$XDG_CACHE_HOME``, else the platform's (``~/.cache`` on Linux)."""
    environ = os.environ if environ is None else environ
    configured = environ.get("XDG_CACHE_HOME", "")
    if configured and os.path.isabs(configured):
        return Path(configured)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    if sys.platform == "win32" and environ.get("LOCALAPPDATA"):
        return Path(environ["LOCALAPPDATA"])
    return Path.home() / ".cache"


def cache_directory(register_root: Path, environ: Mapping[str, str] | None = None) -> Path:
    """The folder for every cache of the register at ``register_root`` (the check's, the history's).

    ``AP_LINT_CACHE_DIR`` when set, else ``<user cache folder>/ap-lint/<name>-<key>``, where the key is
    a digest of the register's full path: one folder per register, outside its work tree. Check it
    with ``cache_problem`` (or use ``usable_cache_directory``) before reading from it.
    """
    environ = os.environ if environ is None else environ
    configured = environ.get(CACHE_DIR_VARIABLE)
    if configured:
        return Path(configured)
    resolved = register_root.resolve()
    key = hashlib.blake2b(os.fsencode(str(resolved)), digest_size=8).hexdigest()
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", resolved.name)[:40].strip(".-") or "register"
    return user_cache_home(environ) / "ap-lint" / f"{name}-{key}"


def _git_top(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _tracked(directory: Path) -> bool:
    """Whether git tracks anything at or under ``directory`` (a resolved path)."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    top = _git_top(existing)
    if top is None:
        return False
    try:
        listed = subprocess.run(["git", "-C", str(top), "ls-files", "-z", "--", str(directory)],
                                capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return True  # cannot tell: do not trust it
    return listed.returncode != 0 or bool(listed.stdout)


def cache_problem(directory: Path, register_root: Path) -> str | None:
    """Why ``directory`` must not hold the register's cache (None: it may).

    Refused: a symbolic link (the folder or any folder it lies in below the register root), a folder in
    or holding the register's ``records/``, and a folder git tracks (a cache from a commit is anyone's).
    """
    try:
        absolute = Path(os.path.abspath(directory))
        resolved = absolute.resolve()
        records = (register_root / RECORDS_DIR).resolve()
    except (OSError, RuntimeError) as error:
        return f"its path cannot be resolved ({error})"
    if absolute.is_symlink():
        return "it is a symbolic link"
    if resolved != absolute and (resolved.is_relative_to(register_root.resolve())
                                 or absolute.is_relative_to(register_root.resolve())):
        return "a symbolic link leads to it"
    if resolved == records or resolved.is_relative_to(records) or records.is_relative_to(resolved):
        return f"it is in, or holds, the register's {RECORDS_DIR}/ folder"
    if resolved.exists() and not resolved.is_dir():
        return "it is not a folder"
    if _tracked(resolved):
        return "git tracks files in it (a cache from a commit is not trusted)"
    return None


def usable_cache_directory(register_root: Path, environ: Mapping[str, str] | None = None
                           ) -> tuple[Path | None, str | None]:
    """(the register's cache folder, None), or (None, why it is not used)."""
    directory = cache_directory(register_root, environ)
    problem = cache_problem(directory, register_root)
    if problem is not None:
        return None, f"The cache folder {directory} was not used: {problem}. The check ran without a cache."
    return directory, None


def read_cache_file(path: Path, limit: int = 1 << 31) -> bytes | None:
    """The bytes of a regular file in a cache folder, never through a symbolic link; None if unreadable."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(descriptor, "rb") as stream:
            descriptor = -1
            # what the file holds (not the limit: a read of the limit asks for that much memory at once),
            # and one byte more, so that a file that grew since is seen to be over the limit
            data = stream.read(info.st_size + 1)
            return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        if descriptor >= 0:
            os.close(descriptor)


def read_cache_json(path: Path) -> Any:
    """The JSON document in a cache file (read as ``read_cache_file`` reads it); None if unreadable.

    ``ValueError`` when it is not UTF-8 JSON. The bytes are let go once decoded: a large file is never
    held three times at once (bytes, text and document), only as text and document.
    """
    raw = read_cache_file(path)
    if raw is None:
        return None
    text = raw.decode("utf-8")
    del raw
    return json.loads(text)


def prepare_cache_directory(directory: Path) -> None:
    """Create the cache folder if it is missing; a folder ap-lint creates ignores itself in git.

    A folder that already exists is left as it is: a ``.gitignore`` written into someone else's folder
    could hide files from git.
    """
    if directory.is_dir():
        return
    directory.mkdir(parents=True)
    write_atomic(directory / ".gitignore", _IGNORE_FILE)


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise CacheEntryError(what)


def _is_int(value: Any) -> bool:
    return type(value) is int


def _optional_text(value: Any) -> bool:
    return value is None or type(value) is str


def _record_to_json(record: Record) -> list[Any]:
    return [record.kind, record.id, record.file, record.data, record.digest, record.line_offset, record.valid,
            [finding_to_json(p) for p in record.problems]]


def _record_from_json(item: Any) -> Record:
    _expect(type(item) is list and len(item) == 8, "a record entry")
    kind, record_id, file, data, digest, offset, valid, problems = item
    _expect(type(kind) is str and type(record_id) is str and type(file) is str and type(digest) is str,
            "a record's kind, id, file and digest")
    _expect(re.fullmatch(r"[0-9a-f]{32}", digest) is not None, "a record's digest")
    _expect(_is_int(offset) and offset >= 0 and type(valid) is bool and type(problems) is list,
            "a record's offset, validity and problems")
    found = [finding_from_json(p) for p in problems]
    _expect(data is None or type(data) is dict, "a record's data")
    if data is None:
        # only a file that did not load has no data, and that is always an error on the file
        _expect(not valid and any(f.severity == "error" for f in found), "a record without data")
    _expect(valid or bool(found), "an invalid record without problems")
    return Record(kind, record_id, file, data, digest, offset, valid, found)


def finding_to_json(finding: Finding) -> list[Any]:
    return [finding.file, finding.line, finding.column, finding.rule, finding.severity, finding.message,
            finding.clause, list(finding.path), finding.waived_by, finding.record]


def finding_from_json(item: Any) -> Finding:
    """A finding from its cache entry; ``CacheEntryError`` unless every field has its type."""
    _expect(type(item) is list and len(item) == 10, "a finding entry")
    file, line, column, rule, severity, message, clause, path, waived_by, record = item
    _expect(type(file) is str and type(rule) is str and bool(rule) and type(message) is str, "a finding's text")
    _expect(_is_int(line) and _is_int(column) and line >= 0 and column >= 0, "a finding's position")
    _expect(type(severity) is str and severity in SEVERITY_ORDER, "a finding's severity")
    _expect(_optional_text(clause) and _optional_text(waived_by) and _optional_text(record), "a finding's labels")
    _expect(type(path) is list and all(type(p) is str or (_is_int(p) and p >= 0) for p in path),
            "a finding's path")
    return Finding(file, line, column, rule, severity, message, clause, tuple(path), waived_by, record)


def _findings_from_json(items: Any) -> list[Finding]:
    _expect(type(items) is list, "a list of findings")
    return [finding_from_json(f) for f in items]


def _evaluations_from_json(items: Any) -> dict[str, tuple[str, list[Finding]]]:
    _expect(type(items) is dict, "the evaluations")
    evaluations = {}
    for file, entry in items.items():
        _expect(type(entry) is list and len(entry) == 2 and type(entry[0]) is str, "an evaluation")
        evaluations[file] = (entry[0], _findings_from_json(entry[1]))
    return evaluations


@dataclass
class CheckCache:
    """The cache of one register, checked with one pack."""

    directory: Path
    salt: str
    records: dict[str, Record] = field(default_factory=dict)  # digest -> record
    result_key: str = ""
    findings: list[Finding] | None = None
    notes: list[str] = field(default_factory=list)  # the notes of the cached result (the history's)
    evaluations: dict[str, tuple[str, list[Finding]]] = field(default_factory=dict)  # file -> (context key, found)

    @classmethod
    def open(cls, directory: Path, pack_digest: str, max_bytes: int) -> "CheckCache":
        """The cache in ``directory`` if it was written for this engine, pack and size limit; else empty.

        Any entry that is not exactly what ``save`` writes makes the whole cache empty (a cold run).
        """
        salt = f"{_FORMAT}:{__version__}:{pack_digest}:{max_bytes}"
        cache = cls(directory, salt)
        try:
            document = read_cache_json(directory / "check.json")
            if document is None:
                return cache
            _expect(type(document) is dict and document.get("salt") == salt, "the cache's salt")
            records = document["records"]
            result = document["result"]
            _expect(type(records) is list and type(result) is dict and type(result.get("key")) is str,
                    "the cache's layout")
            loaded = [_record_from_json(item) for item in records]
            findings = _findings_from_json(result["findings"])
            notes = result["notes"]
            _expect(type(notes) is list and all(type(note) is str for note in notes), "the result's notes")
            evaluations = _evaluations_from_json(document["evaluations"])
        except (ValueError, KeyError, TypeError, IndexError, RecursionError):
            return cache
        cache.records = {record.digest: record for record in loaded}
        cache.result_key, cache.findings, cache.notes, cache.evaluations = result["key"], findings, notes, evaluations
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
        # the cache keeps no comments: take them from the bytes in hand, so a record evaluated afresh is scanned whole
        return Record(record.kind, record.id, record.file, record.data, record.digest, record.line_offset,
                      record.valid, list(record.problems), comments=comments_in(raw, source.front_matter))

    def result_key_for(self, records: Sequence[Record], extra: str) -> str:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(extra.encode())
        for record in records:
            digest.update(f"\0{record.file}\0{record.digest}".encode())
        return digest.hexdigest()

    def save(self, records: Sequence[Record], result_key: str, findings: Sequence[Finding],
             notes: Sequence[str] = ()) -> None:
        """Write the cache atomically; a failure to write only costs speed next time."""
        head = {
            "salt": self.salt,
            "result": {"key": result_key, "findings": [finding_to_json(f) for f in findings], "notes": list(notes)},
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
            prepare_cache_directory(self.directory)
            write_atomic(self.directory / "check.json", write)
        except (OSError, ValueError):
            pass
