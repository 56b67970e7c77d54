"""New records from the pack: where a record of a kind goes, its next free id, and its required fields.

Everything comes from the pack: the kind's file glob (``records/x/*/*.yaml``),
its ``new:`` naming (``{folder}-{year}-{number:03d}``) and its JSON Schema (the
required fields, each with its title and description). The fields left to fill
in are written empty, so that until they are filled ``ap-lint check`` says what
each one needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ap_lint.errors import ApLintError
from ap_lint.fsutil import write_atomic
from ap_lint.load.validate import _resolve
from ap_lint.pack import KindSpec, Pack

class ScaffoldError(ApLintError):
    """A new record cannot be made as asked (exit 2, one line)."""

    exit_code = 2


def record_path(kind: KindSpec, record_id: str, folder: str | None) -> str:
    """The path (relative to the register root) of the record ``record_id`` of ``kind``."""
    pattern = kind.files
    if pattern.count("*") == 0:
        return pattern
    parts = pattern.split("*")
    if len(parts) == 3:  # a folder, then the file
        if not folder:
            field = kind.folder_field or "folder"
            raise ScaffoldError(f"a {kind.title or kind.name} lives in a folder of its own ({pattern}): "
                                f"name it with --{field.replace('_', '-')} NAME")
        return f"{parts[0]}{folder}{parts[1]}{record_id}{parts[2]}"
    return f"{parts[0]}{record_id}{parts[1]}"


def next_id(root: Path, kind: KindSpec, folder: str | None, year: str, given: str | None) -> str:
    """``given``, or the kind's ``new:`` id with the next number no file in its folder uses yet."""
    if given:
        return given
    if not kind.new_id:
        raise ScaffoldError(f"the pack does not say how to name a new {kind.title or kind.name}: give its id with --id")
    values = {"folder": folder or "", "year": year}
    where = (root / record_path(kind, "x", folder)).parent
    used = {p.stem for p in where.glob("*.yaml")} if where.is_dir() else set()
    number = 1
    while kind.new_id.format(number=number, **values) in used:
        number += 1
    return kind.new_id.format(number=number, **values)


def _comment(text: str, indent: str) -> list[str]:
    words = " ".join(text.split()).split(" ")
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(indent) + len(line) + len(word) > 100:
            lines.append(f"{indent}# {line}")
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(f"{indent}# {line}")
    return lines


def _lay_out(schema: dict[str, Any], node: dict[str, Any], given: dict[str, Any], depth: int) -> list[str]:
    lines: list[str] = []
    indent = "  " * depth
    properties = node.get("properties", {})
    for name in node.get("required", []):
        field = _resolve(schema, properties.get(name, {}))
        about = ": ".join(str(field.get(key)) for key in ("title", "description") if field.get(key))
        lines.extend(_comment(f"{about} (required)" if about else "(required)", indent))
        if name in given:
            lines.append(f"{indent}{yaml.safe_dump({name: given[name]}, allow_unicode=True).strip()}")
        elif field.get("type") == "object" and field.get("required"):
            lines.append(f"{indent}{name}:")
            lines.extend(_lay_out(schema, field, {}, depth + 1))
        else:
            lines.append(f"{indent}{name}:")
    return lines


def new_record(root: Path, pack: Pack, kind_name: str, *, year: str, record_id: str | None = None,
               fields: dict[str, str] | None = None) -> Path:
    """Write a new record of ``kind_name`` with its required fields laid out; return its path.

    ``fields`` pre-fills fields by name (the kind's folder field names its folder). Never overwrites.
    """
    kind = pack.kinds.get(kind_name)
    if kind is None or kind.from_pack:
        known = ", ".join(sorted(k for k, spec in pack.kinds.items() if not spec.from_pack))
        raise ScaffoldError(f"'{kind_name}' is not a kind of record in this register; the kinds are: {known}")
    given: dict[str, Any] = dict(fields or {})
    folder = given.get(kind.folder_field) if kind.folder_field else None
    if kind.folder_field and folder is None and kind.files.count("*") == 2:
        raise ScaffoldError(f"a {kind.title or kind.name} lives in the folder of its {kind.folder_field}: "
                            f"name it with --{kind.folder_field.replace('_', '-')} NAME")
    new_id = next_id(root, kind, folder, year, record_id)
    relative = record_path(kind, new_id, folder)
    path = root / relative
    if path.exists():
        raise ScaffoldError(f"{relative} already exists; it is left as it is")
    given = {kind.id_field: new_id, **given}
    schema = pack.schemas.get(kind.name, {})
    title = schema.get("title") or kind.title or kind.name
    lines = [f"# {title}: a new record. Fill in every empty field, then run ap-lint check,",
             "# which says what each one still needs.",
             *(_comment(schema["description"], "") if schema.get("description") else [])]
    lines.extend(_lay_out(schema, _resolve(schema, schema), given, 0))
    for name, value in given.items():
        if name not in schema.get("required", []):
            lines.append(yaml.safe_dump({name: value}, allow_unicode=True).strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise ScaffoldError(f"{relative} already exists; it is left as it is")
    write_atomic(path, "\n".join(lines) + "\n")
    return path
