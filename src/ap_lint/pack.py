"""The policy pack: record kinds, relations, settings, schemas, rules and the policy text.

A pack is a folder with ``rules/pack.yaml``, ``rules/settings.yaml``,
``rules/checks/*.yaml``, ``schemas/`` and ``policy/``. The register's own folder
is used when it holds a pack; otherwise the pack installed with ap-lint.
Every pack file is validated against the engine's own schemas and a broken one
stops the run with its file and line (exit 2).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ap_lint.dated import dated_settings, period_problems
from ap_lint.errors import PolicyPackError
from ap_lint.findings import parse_path
from ap_lint.load.loader import load_record
from ap_lint.load.positions import compose_positions, locate
from ap_lint.load.syntax import braced_hint
from ap_lint.load.validate import schema_surely_valid, surely_valid
from ap_lint.memo import PackMemo, digest_of
from ap_lint.pack_clauses import refuse_repeated_clause_ids, refuse_unknown_schema_clauses
from ap_lint.wordlists import word_list

PACK_FILE = Path("rules") / "pack.yaml"
SETTINGS_FILE = Path("rules") / "settings.yaml"
CHECKS_DIR = Path("rules") / "checks"

_CLAUSE = re.compile(r"\{#([a-z0-9][a-z0-9.\-]*)\}")


@dataclass(frozen=True)
class KindSpec:
    """Where records of one kind live and how they are read."""

    name: str
    files: str
    schema: str | None = None
    from_pack: bool = False
    front_matter: bool = False
    single: bool = False
    required: bool = True
    default: dict[str, Any] | None = None
    id_field: str = "id"
    title: str = ""
    new_id: str | None = None  # how `ap-lint new` names a record: {folder}, {year}, {number}
    folder_field: str | None = None  # the field whose value names the record's folder


@dataclass(frozen=True)
class Relation:
    """A named link from a record to other records, made available to rules."""

    name: str
    target: str
    by: tuple[str | int, ...]
    field: tuple[str | int, ...] | None = None  # set for groups
    earlier: bool = False  # a group of only the records that came first (older in git, else earlier by path)

    @property
    def is_group(self) -> bool:
        return self.field is not None


@dataclass(frozen=True)
class WaiverSpec:
    kind: str
    rule: str
    record: str
    expires_on: str
    approved_on: str


@dataclass(frozen=True)
class Clause:
    """A clause of the policy: its id and the sentence it marks."""

    id: str
    text: str
    not_checkable: str | None = None


@dataclass
class Pack:
    """Everything the engine needs from the policy pack, loaded and validated."""

    root: Path
    name: str
    kinds: dict[str, KindSpec]
    relations: dict[str, list[Relation]]
    settings: dict[str, Any]
    setting_docs: dict[str, dict[str, Any]]
    schemas: dict[str, dict[str, Any]]
    rule_documents: list[tuple[str, dict[str, Any]]]
    clauses: dict[str, Clause]
    policy_document: str | None
    waivers: WaiverSpec | None
    examples_register: str | None
    examples_today: str | None
    digest: str = ""
    #: named word lists for text scans (scan.words), read from installed packages' data
    word_lists: dict[str, frozenset[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    #: per kind, named CEL values every rule of that kind may use (``variables:`` in rules/pack.yaml), in order
    variables: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the settings whose value changed over time, each with its periods, oldest first (see ``ap_lint.dated``)
    dated_settings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def kind_of(self, path: str) -> str | None:
        """The kind of record a register file holds, from its path relative to the register root.

        The one answer to "which kind owns this path": a kind's ``files`` glob, where ``*`` stays within
        one folder (``records/orders/*/*.yaml`` is not ``records/orders/a/extra/b.yaml``).
        Kinds that come from the pack itself own no register path.
        """
        for kind in self.kinds.values():
            if not kind.from_pack and glob_regex(kind.files).match(path):
                return kind.name
        return None


@functools.lru_cache(maxsize=64)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regular expression: ``*`` stays within one folder, as in the shell."""
    return re.compile("".join("[^/]*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", pattern))
                      + r"\Z")


def bundled_pack() -> Path | None:
    """The pack shipped inside the installed package, or the source checkout's."""
    from importlib import resources  # only for the installed pack: a register with its own never imports it

    installed = resources.files("ap_lint") / "pack"
    if installed.is_dir() and (Path(str(installed)) / PACK_FILE).is_file():
        return Path(str(installed))
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / PACK_FILE).is_file():
        return checkout
    return None


def find_pack(register_root: Path, explicit: Path | None = None) -> Path:
    """The pack to use: ``explicit``, the register's own, or the bundled one."""
    if explicit is not None:  # a --pack that is not a pack is an error, not a reason to use another one
        if (explicit / PACK_FILE).is_file():
            return explicit
        raise PolicyPackError(f"{explicit} is not a policy pack: it has no {PACK_FILE}.")
    if (register_root / PACK_FILE).is_file():
        return register_root
    bundled = bundled_pack()
    if bundled is None:
        raise PolicyPackError("No policy pack found: the register has no rules/pack.yaml and none is installed.")
    return bundled


def _engine_schema(name: str) -> dict[str, Any]:
    from importlib import resources

    text = (resources.files("ap_lint") / "pack_schemas" / f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _read(root: Path, relative: Path, digest: Any, files: list[str]) -> bytes:
    path = root / relative
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise PolicyPackError(f"cannot read this pack file: {error.strerror}", file=relative.as_posix()) from None
    digest.update(relative.as_posix().encode() + b"\0" + raw + b"\0")
    files.append(relative.as_posix())
    return raw


def load_pack_yaml(root: Path, relative: Path, schema_name: str, digest: Any, files: list[str],
                   memo: PackMemo | None = None) -> dict[str, Any]:
    """Load one YAML file of the pack strictly and validate it against an engine schema (or take the
    document from ``memo``, which holds it if these very bytes loaded and validated before)."""
    raw = _read(root, relative, digest, files)
    key = digest_of(schema_name, raw)
    remembered = memo.data("yaml", key) if memo is not None else None
    if remembered is not None:
        return remembered
    loaded = load_record(raw, relative.as_posix())
    name = relative.as_posix()
    if loaded.problems:
        first = loaded.problems[0]
        raise PolicyPackError(first.message, file=name, line=first.line, column=first.column)
    if not surely_valid(_engine_schema(schema_name), loaded.data):
        _refuse_if_invalid(raw, name, _engine_schema(schema_name), loaded.data)
    data: dict[str, Any] = loaded.data
    if memo is not None:
        memo.remember_data("yaml", key, data)
    return data


def _refuse_if_invalid(raw: bytes, name: str, schema: dict[str, Any], data: Any) -> None:
    """Stop at the first place where ``data`` (the pack file ``name``, read from ``raw``) fails ``schema``, as
    Python's jsonschema judges it (imported only here: it is slow to import)."""
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    error = jsonschema.exceptions.best_match(errors)
    at = tuple(error.absolute_path)
    where = ".".join(str(p) for p in at)
    message = error.message
    positions = compose_positions(raw.decode("utf-8"))
    line, column = locate(positions, at)
    if (error.validator == "type" and isinstance(error.instance, dict) and "string" in error.validator_value
            and at and isinstance(at[-1], str) and raw.decode("utf-8").split("\n")[line - 1][column - 1:].startswith("{")):
        message, where = braced_hint(at[-1]), ""  # text that YAML read as a mapping
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        unknown = next((key for key in error.instance if key not in known), None)
        if unknown is not None:  # point at the unknown field itself, and say which fields there are
            line, column = locate(positions, at + (unknown,), key=True)
            message = (f"'{unknown}' is not a field here; the fields are: {', '.join(sorted(known))}. "
                       "Check its spelling, or remove it")
    raise PolicyPackError(f"{where + ': ' if where else ''}{message}", file=name, line=line, column=column)


def check_setting_values(root: Path, settings_docs: dict[str, dict[str, Any]], memo: PackMemo | None = None) -> None:
    """Each setting's value against the schema it declares: a wrong value stops the run at its line and column.

    A rule reading a setting of the wrong type would otherwise fail on every record it checks.
    """
    name = SETTINGS_FILE.as_posix()
    key = digest_of(json.dumps(settings_docs, sort_keys=True, default=repr))
    if memo is not None and memo.knows("settings", key):
        return
    for setting, entry in settings_docs.items():
        for problem, at in period_problems(entry):
            line, column = _position(root, (setting, *at))
            raise PolicyPackError(f"{setting}: {problem}.", file=name, line=line, column=column)
        schema = entry.get("schema")
        values = [((), entry["value"]), *((("earlier", index), earlier.get("value"))
                                           for index, earlier in enumerate(entry.get("earlier") or []))]
        for within, value in values:
            _check_setting_value(root, setting, schema, within, value)
    if memo is not None:
        memo.remember("settings", key)


def _check_setting_value(root: Path, setting: str, schema: dict[str, Any] | None, within: tuple[str | int, ...],
                         value: Any) -> None:
    """One of a setting's values (its current one, or one it held earlier) against the setting's schema."""
    name = SETTINGS_FILE.as_posix()
    if schema is None or (schema_surely_valid(schema) and surely_valid(schema, value)):
        return
    import jsonschema  # only to say why: importing it is slow

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as broken:
        line, column = _position(root, (setting, "schema"))
        raise PolicyPackError(f"{setting}.schema is not a JSON Schema: {broken.message}", file=name, line=line,
                              column=column) from None
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(value))
    if error is not None:
        at = (setting, *within, "value", *error.absolute_path)
        line, column = _position(root, at)
        where = ".".join(str(p) for p in at)
        raise PolicyPackError(f"{where}: {error.message}. Write a value this setting's schema allows: "
                              f"{json.dumps(schema)}", file=name, line=line, column=column)


def _position(root: Path, at: tuple[Any, ...]) -> tuple[int, int]:
    positions = compose_positions((root / SETTINGS_FILE).read_text("utf-8"))
    return locate(positions, at)


def parse_clauses(text: str) -> dict[str, str]:
    """Clause id -> the sentence(s) it marks, from a policy document with {#id} markers.

    A marker after a sentence marks that sentence (and the sentences before it in its paragraph or list
    item, back to the previous such marker). A marker inside a sentence marks the whole sentence, other
    markers taken out, so a clause is never shown as a fragment.
    """
    body = text.split("\n---", 2)[-1] if text.startswith("---") else text
    clean = ""
    marks: list[tuple[str, int]] = []
    start = 0
    for match in _CLAUSE.finditer(body):
        clean += body[start:match.start()]
        marks.append((match.group(1), len(clean)))
        start = match.end()
    clean += body[start:]
    boundaries = [0] + [m.end() for m in re.finditer(r"\n\s*\n|\n\s*- |\A\s*- ", clean)] + [len(clean)]
    sentence_ends: list[int] = []  # markers that close a sentence: the next clause starts after them
    clauses: dict[str, str] = {}
    for clause_id, at in marks:
        before = clean[:at].rstrip()
        begin = max([b for b in boundaries if b <= len(before)] + [e for e in sentence_ends if e <= at])
        if before.endswith((".", ":")):
            finish = at
            sentence_ends.append(at)
        else:
            limit = min(b for b in boundaries if b > at) if any(b > at for b in boundaries) else len(clean)
            stop = re.search(r"[.:](?=\s|\Z)", clean[at:limit])
            finish = at + stop.end() if stop else limit
        sentence = re.sub(r"\s+([,.;:])", r"\1", " ".join(clean[begin:finish].replace("#", " ").split())).strip(" -,;")
        clauses[clause_id] = sentence or " ".join(clean[:at].split())[-200:]
    return clauses


def load_pack(root: Path, memo: PackMemo | None = None) -> Pack:
    """Read and validate the whole pack at ``root``; ``memo`` spares the steps these very bytes passed before."""
    digest = hashlib.blake2b(digest_size=16)
    files: list[str] = []
    config = load_pack_yaml(root, PACK_FILE, "pack", digest, files, memo)
    settings_docs: dict[str, dict[str, Any]] = {}
    if (root / SETTINGS_FILE).is_file():
        settings_docs = load_pack_yaml(root, SETTINGS_FILE, "settings", digest, files, memo)
        check_setting_values(root, settings_docs, memo)
    settings = {name: entry["value"] for name, entry in settings_docs.items()}

    kinds: dict[str, KindSpec] = {}
    schemas: dict[str, dict[str, Any]] = {}
    schema_texts: dict[str, bytes] = {}
    for name, spec in config["kinds"].items():
        kind = KindSpec(
            name=name, files=spec["files"], schema=spec.get("schema"),
            from_pack=spec.get("from") == "pack", front_matter=spec.get("format") == "front-matter",
            single=spec.get("single", False), required=spec.get("required", True),
            default=spec.get("default"), id_field=spec.get("id_field", "id"), title=spec.get("title", name),
            new_id=(spec.get("new") or {}).get("id"), folder_field=(spec.get("new") or {}).get("folder"),
        )
        kinds[name] = kind
        if kind.schema:
            raw = _read(root, Path(kind.schema), digest, files)
            try:
                schema = json.loads(raw)
                if memo is None or not memo.knows("schema", digest_of(raw)):
                    _check_schema(schema)
                    if memo is not None:
                        memo.remember("schema", digest_of(raw))
            except json.JSONDecodeError as error:
                raise PolicyPackError(f"not valid JSON: {error.msg}", file=kind.schema,
                                      line=error.lineno, column=error.colno) from None
            except SchemaProblem as error:
                where = "/".join(str(p) for p in error.absolute_path)
                line, column = locate(compose_positions(raw.decode("utf-8", errors="replace")),
                                      tuple(error.absolute_path))
                raise PolicyPackError(f"not a valid JSON Schema at {where or 'the top'}: {error.message}",
                                      file=kind.schema, line=line, column=column) from None
            schemas[name] = schema
            schema_texts[name] = raw

    relations: dict[str, list[Relation]] = {}
    for kind_name, named in (config.get("relations") or {}).items():
        if kind_name not in kinds:
            raise PolicyPackError(f"relations name the unknown kind '{kind_name}'", file=PACK_FILE.as_posix())
        for rel_name, spec in named.items():
            target = spec.get("lookup") or spec["group"]
            if target != "*" and target not in kinds:
                raise PolicyPackError(f"relation {kind_name}.{rel_name} names the unknown kind '{target}'",
                                      file=PACK_FILE.as_posix())
            relations.setdefault(kind_name, []).append(Relation(
                name=rel_name, target=target, by=parse_path(spec["by"]),
                field=parse_path(spec["field"]) if "group" in spec else None,
                earlier=bool(spec.get("earlier", False)),
            ))

    clauses: dict[str, Clause] = {}
    policy = config.get("policy")
    policy_document = None
    if policy:
        policy_document = policy["document"]
        text = _read(root, Path(policy_document), digest, files).decode("utf-8")
        reasons = policy.get("not_checkable", {})
        refuse_repeated_clause_ids(text, policy_document, _CLAUSE)
        parsed = parse_clauses(text)
        for clause_id in reasons:
            if clause_id not in parsed:
                raise PolicyPackError(f"not_checkable names '{clause_id}', which the policy does not have",
                                      file=PACK_FILE.as_posix())
        clauses = {cid: Clause(cid, sentence, reasons.get(cid)) for cid, sentence in parsed.items()}
        for name, raw in schema_texts.items() if clauses else ():
            refuse_unknown_schema_clauses(schemas[name], raw, kinds[name].schema or name, set(clauses))

    rule_documents: list[tuple[str, dict[str, Any]]] = []
    checks = root / CHECKS_DIR
    _refuse_unread_rule_files(root)
    for path in sorted(checks.glob("*.yaml")) if checks.is_dir() else []:
        relative = path.relative_to(root)
        rule_documents.append((relative.as_posix(), load_pack_yaml(root, relative, "rule", digest, files, memo)))
        _refuse_empty_period(root, *rule_documents[-1])

    word_lists = {name: word_list(name, spec, digest, memo, PACK_FILE.as_posix()) for name, spec in
                  (config.get("word_lists") or {}).items()}
    waiver_spec = config.get("waivers")
    examples = config.get("examples") or {}
    if examples.get("register") and (root / examples["register"]).is_dir():
        for path in sorted((root / examples["register"]).rglob("*.yaml")):
            _read(root, path.relative_to(root), digest, files)
    return Pack(
        root=root, name=config["name"], kinds=kinds, relations=relations, settings=settings,
        setting_docs=settings_docs, dated_settings=dated_settings(settings_docs), schemas=schemas, rule_documents=rule_documents, clauses=clauses,
        policy_document=policy_document, waivers=WaiverSpec(**waiver_spec) if waiver_spec else None,
        examples_register=examples.get("register"), examples_today=examples.get("today"),
        digest=digest.hexdigest(), files=files, word_lists=word_lists,
        variables=dict(config.get("variables") or {}),
    )


def _refuse_empty_period(root: Path, name: str, document: dict[str, Any]) -> None:
    """A rule whose ``effective`` period ends before it starts would never apply: stop at its ``until``."""
    effective = document.get("effective") or {}
    start, end = effective.get("from"), effective.get("until")
    if start is not None and end is not None and str(end) < str(start):
        line, column = locate(compose_positions((root / name).read_text("utf-8")), ("effective", "until"))
        raise PolicyPackError(f"effective.until ({end}) is before effective.from ({start}): the rule would never "
                              "apply; correct one of them.", file=name, line=line, column=column)


def _refuse_unread_rule_files(root: Path) -> None:
    """A file in rules/checks/ that is not read as a rule (x.yml, a subfolder's x.yaml) stops the run: it would
    be ignored without a word. Hidden files (an editor's) are left alone."""
    checks = root / CHECKS_DIR
    for path in sorted(checks.rglob("*")) if checks.is_dir() else []:
        relative = path.relative_to(checks)
        if any(part.startswith(".") for part in relative.parts) or path.is_dir():
            continue
        if len(relative.parts) == 1 and path.suffix == ".yaml":
            continue
        wanted = (CHECKS_DIR / f"{path.stem}.yaml").as_posix()
        hint = (f"Rename it to {wanted}" if len(relative.parts) == 1 else f"Move it to {wanted}")
        noun = "rule file"
        if path.suffix.lower() not in (".yaml", ".yml"):
            noun, hint = "file", f"Move it out of {CHECKS_DIR.as_posix()}/, or, if it is a rule, {hint[0].lower()}{hint[1:]}"
        raise PolicyPackError(f"this {noun} is not read: rule files end in .yaml and sit directly in "
                              f"{CHECKS_DIR.as_posix()}/. {hint}", file=path.relative_to(root).as_posix(),
                              line=1, column=1)


class SchemaProblem(Exception):
    """A JSON Schema that is not one: ``jsonschema``'s SchemaError, carried without importing it up front."""

    def __init__(self, message: str, absolute_path: Any) -> None:
        super().__init__(message)
        self.message = message
        self.absolute_path = absolute_path


def _check_schema(schema: Any) -> None:
    if schema_surely_valid(schema):
        return
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        raise SchemaProblem(error.message, error.absolute_path) from None
