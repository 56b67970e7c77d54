"""New records from the pack: where a record of a kind goes, its next free id, and its required fields.

Everything comes from the pack: the kind's file glob (``records/x/*/*.yaml``),
its ``new:`` naming (``{folder}-{year}-{number:03d}``) and its JSON Schema (the
required fields, each with its title and description). The fields left to fill
in are written empty, so that until they are filled ``ap-lint check`` says what
each one needs.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ap_lint import __version__
from ap_lint.editor_schemas import editor_files, write_files
from ap_lint.errors import ApLintError
from ap_lint.fsutil import write_atomic
from ap_lint.load.validate import _resolve
from ap_lint.pack import KindSpec, Pack, load_pack

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
    new_id = "" if kind.single and not record_id else next_id(root, kind, folder, year, record_id)
    relative = record_path(kind, new_id, folder)
    path = root / relative
    if path.exists():
        raise ScaffoldError(f"{relative} already exists; it is left as it is")
    if new_id:
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


#: The folders a policy pack is made of (see ap_lint.pack), copied into a new register.
PACK_FOLDERS = ("rules", "schemas", "policy")
_TEMPLATES = "register_template"


def ap_lint_source() -> str:
    """What pip installs to get this ap-lint: its git URL at its commit when it came from git, else its version."""
    try:
        direct = json.loads(importlib.metadata.distribution("ap-lint").read_text("direct_url.json") or "null")
    except importlib.metadata.PackageNotFoundError:
        direct = None
    if isinstance(direct, dict):
        url = str(direct.get("url", ""))
        vcs = direct.get("vcs_info")
        if isinstance(vcs, dict) and vcs.get("commit_id"):
            return f"ap-lint @ git+{url}@{vcs['commit_id']}"
        if url.startswith("file://"):
            folder = Path(url[len("file://"):])
            commit = _git_head(folder)
            return f"ap-lint @ git+{url}@{commit}" if commit else f"ap-lint @ {url}"
    return f"ap-lint=={__version__}"


def _git_head(folder: Path) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=30, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _template(name: str, values: dict[str, str]) -> str:
    text = (resources.files("ap_lint") / _TEMPLATES / name).read_text("utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _static_folder(glob: str) -> str:
    """The folder part of a glob before its first wildcard: records/x/*/*.yaml -> records/x."""
    return glob.split("*", 1)[0].rstrip("/")


def init_register(target: Path, pack_root: Path, *, year: str, source: str | None = None) -> list[str]:
    """Make ``target`` a register of its own: the pack copied in, hooks, workflow, editor settings, a README,
    and the records every register needs, laid out to fill in. Returns the files left to fill in."""
    if target.exists() and any(target.iterdir()):
        raise ScaffoldError(f"{target} is not empty; ap-lint init makes a new register in an empty or new folder")
    source = source or ap_lint_source()
    target.mkdir(parents=True, exist_ok=True)
    for folder in PACK_FOLDERS:
        if (pack_root / folder).is_dir():
            shutil.copytree(pack_root / folder, target / folder,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    pack = load_pack(target)
    todo: list[str] = []
    for kind in pack.kinds.values():
        if kind.from_pack:
            continue
        if kind.single and kind.required:
            path = new_record(target, pack, kind.name, year=year, record_id="")
            todo.append(path.relative_to(target).as_posix())
        elif "*" in kind.files:
            kind_folder = target / _static_folder(kind.files)
            kind_folder.mkdir(parents=True, exist_ok=True)  # `ap-lint new` fills it (git keeps no empty folder)
    kinds = [k for k in pack.kinds.values() if not k.from_pack and not k.single]
    example = next((k for k in kinds if k.folder_field), kinds[0] if kinds else None)
    new_example = (f"`ap-lint new {example.name} --{example.folder_field.replace('_', '-')} NAME`"
                   if example is not None and example.folder_field else
                   f"`ap-lint new {example.name}`" if example is not None else "`ap-lint new KIND`")
    values = {"AP_LINT_SOURCE": source, "NAME": pack.name, "VERSION": __version__, "PACK_SOURCE": str(pack_root),
              "TODO": ", ".join(f"`{t}`" for t in todo) or "none", "KINDS": ", ".join(k.name for k in kinds),
              "NEW_EXAMPLE": new_example}
    write_atomic(target / "README.md", _template("README.md", values))
    write_atomic(target / ".gitignore", _template("gitignore", values))
    (target / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    write_atomic(target / ".github" / "workflows" / "ap-lint.yml", _template("ap-lint.yml", values))
    write_atomic(target / ".github" / "dependabot.yml", _template("dependabot.yml", values))
    write_atomic(target / ".pre-commit-config.yaml", _precommit_config(source))
    (target / ".vscode").mkdir(exist_ok=True)
    settings = {"yaml.validate": True, "yaml.hover": True, "yaml.completion": True,
                "[yaml]": {"editor.insertSpaces": True, "editor.tabSize": 2, "editor.autoIndent": "keep"}}
    write_atomic(target / ".vscode" / "settings.json", json.dumps(settings, indent=2) + "\n")
    write_files(editor_files(pack, target))  # the editor schemas and their mapping in the settings
    write_atomic(target / ".vscode" / "extensions.json",
                 json.dumps({"recommendations": ["redhat.vscode-yaml"]}, indent=2) + "\n")
    return todo


def _precommit_config(source: str) -> str:
    files = "^(records/.*\\.ya?ml|rules/.*\\.ya?ml|schemas/.*\\.json|policy/.*\\.md)$"
    config = {"repos": [{"repo": "local", "hooks": [{
        "id": "ap-lint", "name": "ap-lint", "entry": "ap-lint check --staged", "language": "python",
        "additional_dependencies": [source], "pass_filenames": True, "require_serial": True, "files": files,
    }]}]}
    return ("# The ap-lint hook (written by ap-lint init): pre-commit installs the ap-lint named below in an\n"
            "# environment of its own, so it need not be on PATH. Change that line to move to a newer ap-lint.\n"
            + yaml.safe_dump(config, sort_keys=False, width=200))
