"""A cache of loaded records and check results, keyed by content: an accelerator only.

Two layers, in JSON files in the register's cache folder (``check.json`` and
the records in shards by file name, ``records-NN.json``):

- each file's loaded record, keyed by the blake2b digest of its bytes, so an
  unchanged file is never parsed or validated twice; a file whose signature
  (size, times, inode) is the one it had when it was read, settled, is not even
  read again, as git's index does (``load.register.settled_signature``);
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
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Mapping, Sequence

from ap_lint import __version__
from ap_lint.errors import GitError
from ap_lint.findings import SEVERITY_ORDER, Finding
from ap_lint.fsutil import write_atomic
from ap_lint.git.runner import GitRunner
from ap_lint.load.register import RECORDS_DIR, Record, SourceFile, read_file, signature_of

#: the name of a cache folder ap-lint creates (it ignores itself in git)
CACHE_DIR_NAME = ".ap-lint-cache"
#: the environment variable naming a cache folder of the user's choosing
CACHE_DIR_VARIABLE = "AP_LINT_CACHE_DIR"
_FORMAT = 5
_BATCH = 1000
#: the records are kept in this many files, by file name: a run that changed a few files writes a few of them
_SHARDS = 16
_IGNORE_FILE = "# Created by ap-lint: the cache is never committed.\n*\n"
_DIGEST = re.compile("[0-9a-f]{32}")


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
    try:  # asked once per check (the pack's memo and the check's cache live in one folder)
        listed = GitRunner(top, timeout=30).run("ls-files", "-z", "--", str(directory))
    except GitError:
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
            [finding_to_json(p) for p in record.problems], record.comments, record.signature]


def _comments_from_json(items: Any) -> tuple[tuple[int, int, str], ...]:
    _expect(type(items) is list, "a record's comments")
    comments = []
    for comment in items:
        _expect(type(comment) is list and len(comment) == 3, "a record's comment")
        line, column, text = comment
        _expect(type(line) is int and type(column) is int and type(text) is str, "a record's comment")
        comments.append((line, column, text))
    return tuple(comments)


def _signature_from_json(item: Any) -> tuple[int, ...] | None:
    if item is None:
        return None
    _expect(type(item) is list and len(item) == 5, "a record's file signature")
    size, modified, changed, inode, device = item
    _expect(type(size) is int and type(modified) is int and type(changed) is int and type(inode) is int
            and type(device) is int, "a record's file signature")
    return (size, modified, changed, inode, device)


def _record_from_json(item: Any) -> Record:
    _expect(type(item) is list and len(item) == 10, "a record entry")
    kind, record_id, file, data, digest, offset, valid, problems, comments, signature = item
    _expect(type(kind) is str and type(record_id) is str and type(file) is str and type(digest) is str,
            "a record's kind, id, file and digest")
    _expect(_DIGEST.fullmatch(digest) is not None, "a record's digest")
    _expect(_is_int(offset) and offset >= 0 and type(valid) is bool and type(problems) is list,
            "a record's offset, validity and problems")
    found = [finding_from_json(p) for p in problems]
    _expect(data is None or type(data) is dict, "a record's data")
    if data is None:
        # only a file that did not load has no data, and that is always an error on the file
        _expect(not valid and any(f.severity == "error" for f in found), "a record without data")
    _expect(valid or bool(found), "an invalid record without problems")
    return Record(kind, record_id, file, data, digest, offset, valid, found, comments=_comments_from_json(comments),
                  signature=_signature_from_json(signature))


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
    settled: dict[str, tuple[tuple[int, ...], str]] = field(default_factory=dict)  # file -> (signature, digest)
    result_key: str = ""
    findings: list[Finding] | None = None
    notes: list[str] = field(default_factory=list)  # the notes of the cached result (the history's)
    evaluations: dict[str, tuple[str, list[Finding]]] = field(default_factory=dict)  # file -> (context key, found)
    #: what each shard's file held when it was read (file, digest, signature of each record): unchanged, not written
    shards: dict[int, frozenset[tuple[str, str, tuple[int, ...] | None]]] = field(default_factory=dict)

    @classmethod
    def open(cls, directory: Path, pack_digest: str, max_bytes: int) -> "CheckCache":
        """The cache in ``directory`` if it was written for this engine, pack and size limit; else empty.

        Any entry that is not exactly what ``save`` writes makes the whole cache empty (a cold run).
        """
        salt = f"{_FORMAT}:{__version__}:{pack_digest}:{max_bytes}"
        cache = cls(directory, salt)
        records: dict[str, Record] = {}
        shards: dict[int, frozenset[tuple[str, str, tuple[int, ...] | None]]] = {}
        try:
            document = read_cache_json(directory / "check.json")
            if document is None:
                return cache
            _expect(type(document) is dict and document.get("salt") == salt, "the cache's salt")
            result = document["result"]
            _expect(type(result) is dict and type(result.get("key")) is str, "the cache's layout")
            findings = _findings_from_json(result["findings"])
            notes = result["notes"]
            _expect(type(notes) is list and all(type(note) is str for note in notes), "the result's notes")
            evaluations = _evaluations_from_json(document["evaluations"])
            del document
            for shard in range(_SHARDS):
                loaded = cache._read_shard(shard)
                records.update((record.digest, record) for record in loaded)
                shards[shard] = _shard_state(loaded)
        except (ValueError, KeyError, TypeError, IndexError, RecursionError):
            return cls(directory, salt)
        cache.records = records
        cache.settled = {record.file: (record.signature, record.digest) for record in records.values()
                         if record.signature is not None}
        cache.result_key, cache.findings, cache.notes, cache.evaluations = result["key"], findings, notes, evaluations
        cache.shards = shards
        return cache

    def _read_shard(self, shard: int) -> list[Record]:
        """The records kept in one shard's file (none if it is missing); CacheEntryError if it is odd."""
        document = read_cache_json(self.directory / _shard_name(shard))
        if document is None:
            return []
        _expect(type(document) is dict and document.get("salt") == self.salt and type(document.get("records")) is list,
                "a shard's salt and layout")
        loaded = [_record_from_json(item) for item in document["records"]]
        _expect(all(_shard_of(record.file) == shard for record in loaded), "a record in the shard of its file")
        return loaded

    def forget_records(self) -> None:
        """Let the cached records go (every file has been looked up; they are not needed again this run)."""
        self.records, self.settled = {}, {}

    def lookup(self, source: SourceFile, max_bytes: int) -> Record | None:
        """The file's loaded record if this very content was loaded before as this file; None otherwise.

        A file whose signature (size, times, inode: ``signature_of``) is the one it had when it was read,
        settled, is not read again; any other is read and known by the digest of its bytes.
        """
        if not self.records:
            return None
        settled = self.settled.get(source.display)
        try:
            if settled is not None:
                info = os.stat(source.path)
                if info.st_size <= max_bytes and signature_of(info) == settled[0]:
                    record = self.records.get(settled[1])
                    if record is not None and record.file == source.display and record.kind == source.kind:
                        return self._copy(record, record.signature)
            raw, signature = read_file(source.path, max_bytes)
        except OSError:
            return None
        if len(raw) > max_bytes:
            return None
        record = self.records.get(hashlib.blake2b(raw, digest_size=16).hexdigest())
        if record is None or record.file != source.display or record.kind != source.kind:
            return None
        return self._copy(record, signature)

    @staticmethod
    def _copy(record: Record, signature: tuple[int, ...] | None) -> Record:
        """The cached record for this run (its comments were kept with it: the same bytes have the same)."""
        return Record(record.kind, record.id, record.file, record.data, record.digest, record.line_offset,
                      record.valid, list(record.problems), comments=record.comments, signature=signature)

    def result_key_for(self, records: Sequence[Record], extra: str) -> str:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(extra.encode())
        for record in records:
            digest.update(f"\0{record.file}\0{record.digest}".encode())
        return digest.hexdigest()

    def save(self, records: Sequence[Record], result_key: str, findings: Sequence[Finding],
             notes: Sequence[str] = ()) -> None:
        """Write the cache atomically, file by file; a failure to write only costs speed next time.

        The records go to their shards' files, and only a shard whose records changed is written: each
        shard stands alone (its own salt, records known by their digests), so a run that stops between two
        files leaves a cache that is only older in places, never wrong.
        """
        by_shard: dict[int, list[Record]] = {shard: [] for shard in range(_SHARDS)}
        for record in records:
            if record.digest:
                by_shard[_shard_of(record.file)].append(record)
        head = {
            "salt": self.salt,
            "result": {"key": result_key, "findings": [finding_to_json(f) for f in findings], "notes": list(notes)},
            "evaluations": {file: [key, [finding_to_json(f) for f in found]]
                            for file, (key, found) in self.evaluations.items()},
        }
        try:
            prepare_cache_directory(self.directory)
            for shard, kept in by_shard.items():
                state = _shard_state(kept)
                if self.shards.get(shard) != state:
                    write_atomic(self.directory / _shard_name(shard), _shard_writer(self.salt, kept), durable=False)
                    self.shards[shard] = state
            write_atomic(self.directory / "check.json", json.dumps(head, separators=(",", ":")), durable=False)
        except (OSError, ValueError):
            pass


def _shard_of(file: str) -> int:
    return hashlib.blake2b(file.encode("utf-8", "surrogateescape"), digest_size=2).digest()[0] % _SHARDS


def _shard_name(shard: int) -> str:
    return f"records-{shard:02d}.json"


def _shard_state(records: Sequence[Record]) -> frozenset[tuple[str, str, tuple[int, ...] | None]]:
    return frozenset((record.file, record.digest, record.signature) for record in records)


def _shard_writer(salt: str, records: Sequence[Record]) -> Callable[[BinaryIO], None]:
    def write(stream: BinaryIO) -> None:
        # in batches, each encoded by json's C encoder: fast, and never a whole shard as one string in memory
        stream.write(json.dumps({"salt": salt}, separators=(",", ":"))[:-1].encode("utf-8") + b',"records":[')
        for start in range(0, len(records), _BATCH):
            batch = [_record_to_json(r) for r in records[start:start + _BATCH]]
            stream.write((b"," if start else b"") + json.dumps(batch, separators=(",", ":"))[1:-1].encode())
        stream.write(b"]}")

    return write
