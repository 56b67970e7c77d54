"""A memo of the policy pack's costly, pure steps, keyed by the bytes they were computed from: an accelerator only.

Loading a pack parses and validates every rule file, checks every schema
against the JSON Schema meta-schema, and compiles every CEL expression. The
answers depend only on the bytes of the files (and the engine's version), so
they are kept in the register's cache folder (``pack.json``, beside the check's
own cache, under the same rules: never a folder git tracks, never through a
symbolic link) and a later run with the same pack takes them from there.

- Only successes are kept: a file that fails is loaded afresh each time, so
  its error is always reported as it is now.
- Each entry is keyed by the blake2b digest of what it was computed from; an
  entry that does not read back as written (wrong shape, truncated file, a
  salt from another engine) empties the memo: a cold load, never an error.
- JSON, never pickle: reading it runs no code. Written atomically, and only
  when something new was learnt.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ap_lint import __version__
from ap_lint.fsutil import write_atomic

_FORMAT = 1
_FILE = "pack.json"


def digest_of(*parts: bytes | str) -> str:
    """The memo key of ``parts`` (text and bytes, each delimited)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _salt() -> str:
    """The engine that computed the entries: ap-lint's version and the CEL runtime's build (its file)."""
    from cel_expr_python import cel

    try:
        built = os.stat(cel.__file__ or "")
        runtime = f"{cel.__file__}:{built.st_size}:{built.st_mtime_ns}"
    except OSError:
        runtime = "?"
    return f"{_FORMAT}:{__version__}:{runtime}"


@dataclass
class PackMemo:
    """The memo of one cache folder: ``namespace -> key -> JSON value``."""

    directory: Path | None
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def none(cls) -> "PackMemo":
        """A memo that remembers nothing (no cache folder)."""
        return cls(None)

    @classmethod
    def open(cls, directory: Path) -> "PackMemo":
        """The memo kept in ``directory`` (already accepted as a cache folder); empty if absent or odd."""
        from ap_lint.cache import read_cache_json

        memo = cls(directory)
        try:
            document = read_cache_json(directory / _FILE)
        except ValueError:
            return memo
        if document is None:
            return memo
        if (type(document) is not dict or document.get("salt") != _salt() or type(document.get("entries")) is not dict
                or not all(type(space) is dict for space in document["entries"].values())):
            return memo
        memo.entries = document["entries"]
        return memo

    def get(self, namespace: str, key: str) -> Any | None:
        return self.entries.get(namespace, {}).get(key)

    def put(self, namespace: str, key: str, value: Any) -> None:
        if self.directory is None:
            return
        self.entries.setdefault(namespace, {})[key] = value
        self.changed = True

    def data(self, namespace: str, key: str) -> Any | None:
        """A remembered JSON document (a dict, the caller's own copy), or None."""
        value = self.get(namespace, key)
        return json.loads(json.dumps(value)) if type(value) is dict else None

    def remember_data(self, namespace: str, key: str, data: Any) -> None:
        """Remember ``data`` if JSON gives it back unchanged (YAML may hold what JSON cannot: then not)."""
        if self.directory is None:
            return
        try:
            copy = json.loads(json.dumps(data))
        except (TypeError, ValueError, RecursionError):
            return
        if copy == data:
            self.put(namespace, key, copy)

    def knows(self, namespace: str, key: str) -> bool:
        """Whether a check of these bytes passed before (see ``remember``)."""
        return self.get(namespace, key) is True

    def remember(self, namespace: str, key: str) -> None:
        """Remember that a check of these bytes passed."""
        self.put(namespace, key, True)

    def blob(self, namespace: str, key: str) -> bytes | None:
        """Remembered bytes, or None."""
        value = self.get(namespace, key)
        if type(value) is not str:
            return None
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            return None

    def remember_blob(self, namespace: str, key: str, blob: bytes) -> None:
        self.put(namespace, key, base64.b64encode(blob).decode("ascii"))

    def save(self) -> None:
        """Write the memo if it learnt something; a failure to write only costs speed next time."""
        if self.directory is None or not self.changed:
            return
        from ap_lint.cache import prepare_cache_directory

        try:
            prepare_cache_directory(self.directory)
            write_atomic(self.directory / _FILE, json.dumps({"salt": _salt(), "entries": self.entries},
                                                            separators=(",", ":")), durable=False)
            self.changed = False
        except (OSError, ValueError):
            pass
