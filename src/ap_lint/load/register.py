"""Discover and load the register's records, and index them for rules.

Discovery reads only ``records/`` (and, for kinds the pack marks ``from: pack``,
the pack's own files). It never follows a link out of the register and never
writes anything.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ap_lint.findings import Finding, JsonPath
from ap_lint.load.loader import load_record
from ap_lint.load.yamlfast import load_fast
from ap_lint.pack import KindSpec, Pack, Relation, glob_regex

RECORDS_DIR = "records"


@dataclass(slots=True)
class Record:
    """One record as loaded: its kind, id, file and data."""

    kind: str
    id: str
    file: str
    data: dict[str, Any] | None
    digest: str
    line_offset: int = 0
    valid: bool = True
    problems: list[Finding] = field(default_factory=list)
    #: whether any text scan of its kind may match its text, when known from loading (None: not yet asked)
    scan_hit: bool | None = None
    #: whether the file is newer than the register's other files (added by the change being checked, or not
    #: yet committed): a relation of `earlier` records never lists it for an older file
    newer: bool = False
    #: the comments of its file: (line, column, text after the #); git keeps them as it keeps values
    comments: tuple[tuple[int, int, str], ...] = ()
    #: what the file system said of the file read, when it had settled (see ``settled_signature``): None if not
    signature: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file that discovery found for a kind."""

    kind: str
    path: Path
    display: str
    front_matter: bool = False


def find_register_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``records/``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / RECORDS_DIR).is_dir():
            return folder
    return None


def _problem(display: str, rule: str, message: str) -> Finding:
    return Finding(file=display, line=1, column=1, rule=rule, severity="error", message=message)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _odd_name(display: str) -> str | None:
    """Why a path found on disk cannot be a record's name (None: it can): not UTF-8, or a control character."""
    undecodable = None if display.isascii() else next((c for c in display if 0xDC80 <= ord(c) <= 0xDCFF), None)
    if undecodable is not None:
        return (f"This file's name is not UTF-8 (byte 0x{ord(undecodable) - 0xDC00:02x}), so it was not checked. "
                "Rename it with letters, digits and hyphens.")
    if _CONTROL.search(display):
        return ("This file's name holds a line break or another control character, so it was not checked. "
                "Rename it with letters, digits and hyphens.")
    return None


def discover(root: Path, pack: Pack) -> tuple[list[SourceFile], list[Finding]]:
    """Every record file of every kind, plus files in records/ that belong to no kind.

    One walk of records/ (no stat per plain file); only links and odd entries are looked at closely.
    """
    sources: list[SourceFile] = []
    problems: list[Finding] = []
    root_resolved = root.resolve()
    folders_inside: dict[str, bool] = {}

    def inside(folder: str) -> bool:
        """Whether a folder really lies inside the register (no link on the way leads out); memoised."""
        if folder not in folders_inside:
            try:
                Path(folder).resolve(strict=True).relative_to(root_resolved)
                folders_inside[folder] = True
            except (ValueError, OSError, RuntimeError):
                folders_inside[folder] = False
        return folders_inside[folder]

    register_kinds = [(kind, glob_regex(kind.files)) for kind in pack.kinds.values() if not kind.from_pack]
    patterns = [kind.files for kind, _ in register_kinds]
    for display, full, plain in _walk(root, RECORDS_DIR):
        odd_name = _odd_name(display)
        if odd_name is not None:
            problems.append(_problem(display, "file-name", odd_name))
            continue
        if any(part.startswith(".") for part in display.split("/")):
            problems.append(_problem(display, "file-hidden",
                                     "This hidden file (its name starts with a dot: a draft, a backup or an editor's "
                                     "swap file) is not checked, but git commits it like any other file, with "
                                     "whatever it holds. Delete it, or rename it to a record file so that it is "
                                     "checked; never commit personal data in it."))
            continue
        kind = next((k for k, regex in register_kinds if regex.match(display)), None)
        path = Path(full)
        if kind is None:
            if not plain and path.is_symlink():
                refused = _refuse(path, display, root_resolved)
                if refused is not None and refused.rule == "file-link-outside":
                    problems.append(refused)
                    continue
            hint = ""
            if display.endswith(".yml"):
                hint = " Record files end in .yaml, not .yml."
            elif not any(fnmatch.fnmatch(display, pattern) for pattern in patterns):
                hint = " Records live in: " + ", ".join(patterns) + "."
            problems.append(_problem(display, "file-misplaced",
                                     "This file is not where any kind of record lives, so it was not checked." + hint))
            continue
        if not plain or not inside(os.path.dirname(full)):
            refused = _refuse(path, display, root_resolved)
            if refused is not None:
                problems.append(refused)
                continue
        sources.append(SourceFile(kind.name, path, display, kind.front_matter))
    order = {name: index for index, name in enumerate(pack.kinds)}
    sources.sort(key=lambda source: (order[source.kind], source.display))
    for kind in pack.kinds.values():
        if kind.from_pack:
            for path in sorted(pack.root.glob(kind.files)):
                if path.is_file():
                    sources.append(SourceFile(kind.name, path, path.relative_to(pack.root).as_posix(),
                                              kind.front_matter))
    return sources, problems


def _walk(root: Path, top: str) -> list[tuple[str, str, bool]]:
    """(display path, full path, is a plain file) for every entry under ``top`` that is not a real folder,
    sorted. Hidden files are entries too (the caller reports them); a hidden folder is one entry, not
    descended into. Links to folders are entries, not descended into."""
    found: list[tuple[str, str, bool]] = []
    prefix = len(str(root)) + 1
    pending = [os.path.join(str(root), top)]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                pending.append(entry.path)
                if not entry.name.endswith(".yaml"):
                    continue  # a folder named like a record file is also an entry: it is reported, not read
            plain = entry.is_file(follow_symlinks=False)
            found.append((entry.path[prefix:].replace(os.sep, "/"), entry.path, plain))
    found.sort()
    return found


def _refuse(path: Path, display: str, root: Path) -> Finding | None:
    """Why a path where a record should be is not read: a link (or a folder on the way) leading out of
    the register, a link to nothing, or something that is not a plain file. None if it can be read."""
    try:
        path.resolve(strict=True).relative_to(root)
    except ValueError:
        return _problem(display, "file-link-outside", "This file is a link to somewhere outside the register; "
                                                      "it was not read. Replace the link with the record itself.")
    except (OSError, RuntimeError):  # a link to nothing, or a loop of links
        return _problem(display, "file-unreadable", "This file is a link that leads nowhere; it was not read. "
                                                    "Replace the link with the record itself, or delete it.")
    if path.is_dir():
        return _problem(display, "file-unreadable", "This is a folder named like a record file, so it cannot be "
                                                    "read as one. Rename or remove the folder.")
    if not path.is_file():
        return _problem(display, "file-unreadable", "This is not a plain file (it may be a pipe or a device), so "
                                                    "it was not read. Replace it with the record file.")
    return None


#: a file whose content and status last changed longer ago than this has settled: any later write changes its
#: modification time (file systems keep it to a few milliseconds, some to two seconds)
SETTLED_NS = 3_000_000_000


def signature_of(info: os.stat_result) -> tuple[int, ...]:
    """What tells one version of a file from another without reading it: size, modification and status-change
    times, inode and device (git's index keeps the same). No user command sets the status-change time."""
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def settled_signature(before: os.stat_result, after: os.stat_result) -> tuple[int, ...] | None:
    """The file's signature if it did not change while it was read and had settled before (None otherwise).

    A file written moments ago could be written again within the same tick of the file system's clock,
    keeping its signature with other content; one that has not changed for ``SETTLED_NS`` cannot.
    """
    signature = signature_of(before)
    if signature != signature_of(after) or time.time_ns() - max(before.st_mtime_ns, before.st_ctime_ns) < SETTLED_NS:
        return None
    return signature


def read_file(path: Path, max_bytes: int) -> tuple[bytes, tuple[int, ...] | None]:
    """At most ``max_bytes + 1`` bytes of the file (a huge file costs no more than a large one), and its settled
    signature (None if it had not settled, or changed while it was read)."""
    with path.open("rb") as stream:
        before = os.fstat(stream.fileno())
        raw = stream.read(max_bytes + 1)
        return raw, settled_signature(before, os.fstat(stream.fileno()))


def read_source(source: SourceFile, max_bytes: int) -> Record:
    """Read and load one file; problems are recorded on the Record, never raised."""
    try:
        raw, signature = read_file(source.path, max_bytes)
    except OSError as error:
        problem = _problem(source.display, "file-unreadable",
                           f"This file cannot be read ({error.strerror}). Check its permissions.")
        return Record(source.kind, source.path.stem, source.display, None, "", valid=False, problems=[problem])
    record = record_from_bytes(source, raw, max_bytes)
    record.signature = signature
    return record


def record_from_bytes(source: SourceFile, raw: bytes, max_bytes: int) -> Record:
    """Load one record from its bytes (as read from disk, or made in memory for rule examples)."""
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    if not source.front_matter and len(raw) <= max_bytes:
        try:
            text = raw.decode("utf-8")
            data = load_fast(text)
        except UnicodeDecodeError:
            data = None
        if data is not None:
            return Record(source.kind, source.path.stem, source.display, data, digest,
                          comments=yaml_comments(text) if "#" in text else ())
    offset = 0
    if source.front_matter:
        raw, offset = _front_matter(raw)
    loaded = load_record(raw, source.display, max_bytes=max_bytes)
    problems = loaded.problems
    if offset:
        problems = [Finding(p.file, p.line + offset, p.column, p.rule, p.severity, p.message) for p in problems]
    data = loaded.data
    comments: tuple[tuple[int, int, str], ...] = ()
    if data is not None and b"#" in raw and len(raw) <= max_bytes:
        comments = tuple((line + offset, column, text)
                         for line, column, text in yaml_comments(raw.decode("utf-8", errors="replace")))
    return Record(source.kind, source.path.stem, source.display, data, digest, offset,
                  valid=data is not None and all(p.severity != "error" for p in problems),
                  problems=problems, comments=comments)


def yaml_comments(text: str) -> tuple[tuple[int, int, str], ...]:
    """Every ``#`` comment of a YAML text: (line, column of the #, the text after it).

    A ``#`` at the start of a line or after a space begins a comment, except inside a quoted or block
    scalar, whose text is a value (and scanned as one): so a candidate inside one may be listed too,
    and the scans do not report again what a value already holds.
    """
    found: list[tuple[int, int, str]] = []
    line, position = 1, 0
    index = text.find("#")
    while index >= 0:
        if index and text[index - 1] not in " \t\n":
            index = text.find("#", index + 1)  # a # inside a word (issue#2) does not start a comment
            continue
        end = text.find("\n", index)
        end = len(text) if end < 0 else end
        comment = text[index + 1:end].strip()
        if comment:
            line += text.count("\n", position, index)
            position = index
            found.append((line, index - text.rfind("\n", 0, index), comment))
        index = text.find("#", end)
    return tuple(found)


def _front_matter(raw: bytes) -> tuple[bytes, int]:
    """The YAML between the leading ``---`` lines of a Markdown file, and its line offset."""
    if not raw.startswith(b"---"):
        return b"", 0
    end = raw.find(b"\n---", 3)
    if end < 0:
        return b"", 0
    return raw[raw.index(b"\n") + 1:end + 1], 1


def value_at(data: Any, path: JsonPath) -> Any:
    """The value at ``path`` in nested dicts and lists, or None."""
    for part in path:
        if type(part) is str and type(data) is dict:  # the usual step, first: a key of a mapping
            data = data.get(part)
            continue
        if isinstance(part, int):
            if not isinstance(data, list) or not 0 <= part < len(data):
                return None
        elif not isinstance(data, dict):
            return None
        data = data[part] if isinstance(part, int) else data.get(part)
    return data


class Register:
    """Records indexed by kind and id, with the relations the pack declares."""

    def __init__(self, pack: Pack, records: Iterable[Record]) -> None:
        self.pack = pack
        self.records = [r for r in records if r.data is not None]
        self.by_kind: dict[str, list[Record]] = {name: [] for name in pack.kinds}
        self.by_id: dict[tuple[str, str], Record] = {}
        self.any_id: dict[str, Record] = {}
        for record in self.records:
            self.by_kind.setdefault(record.kind, []).append(record)
            self.by_id.setdefault((record.kind, record.id), record)
            self.any_id.setdefault(record.id, record)
        self._groups: dict[tuple[str, JsonPath], dict[Any, list[Record]]] = {}
        self._group_digests: dict[tuple[str, JsonPath, Any], str] = {}

    def single(self, kind: KindSpec) -> Any:
        found = self.by_kind.get(kind.name) or []
        if found:
            return found[0].data
        return kind.default if kind.default is not None else None

    def build_indexes(self) -> None:
        """Index every group relation now (before forking workers, which would each build their own)."""
        for relations in self.pack.relations.values():
            for relation in relations:
                if relation.field is not None:
                    self._group_index(relation.target, relation.field)

    def _group_index(self, kind: str, path: JsonPath) -> dict[Any, list[Record]]:
        key = (kind, path)
        if key not in self._groups:
            index: dict[Any, list[Record]] = {}
            for record in self.by_kind.get(kind, []):
                value = value_at(record.data, path)
                if isinstance(value, (str, int, float, bool)):
                    index.setdefault(value, []).append(record)
            self._groups[key] = index
        return self._groups[key]

    def group_digest(self, relation: Relation, value: Any) -> str:
        """A digest of every record in the group ``value`` of a group relation (each one's content and whether it
        is newer): what any record of that group can see through the relation, and a little more."""
        assert relation.field is not None
        key = (relation.target, relation.field, value)
        found = self._group_digests.get(key)
        if found is None:
            index = self._groups.get(key[:2])
            members = (index if index is not None else self._group_index(relation.target, relation.field)).get(value, [])
            found = self._group_digests[key] = ",".join(
                f"{member.digest}+" if member.newer else member.digest for member in members)
        return found

    def looked_up(self, relation: Relation, value: Any) -> Record | None:
        """The record a lookup relation names by ``value`` (an id), if there is one."""
        if not isinstance(value, str):
            return None
        return self.any_id.get(value) if relation.target == "*" else self.by_id.get((relation.target, value))

    def related(self, record: Record, relation: Relation) -> tuple[Any, list[Record]]:
        """The related value for a rule context and the records it was made of."""
        value = value_at(record.data, relation.by)
        if relation.field is None:
            target = self.looked_up(relation, value)
            return (target.data, [target]) if target else (None, [])
        if not isinstance(value, (str, int, float, bool)):
            return [], []
        members = [r for r in self._group_index(relation.target, relation.field).get(value, []) if r is not record]
        if relation.earlier:
            mine = (record.newer, record.file)
            members = [r for r in members if (r.newer, r.file) < mine]
        return [r.data for r in members], members
