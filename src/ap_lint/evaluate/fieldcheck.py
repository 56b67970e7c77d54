"""Field names a rule reads, checked against the schemas of the records it reads when the pack loads.

CEL sees a record (``record``, a looked-up record, a single record) as a dynamic value, so
``record.owner.nmae`` compiles and then fails on every record it
is evaluated on, or renders "(not recorded)" in a message. Where the schema closes an object (it allows no
other fields), a name it does not list can never be there: the rule file is refused at its line, with the
field meant. Objects the schema leaves open, lists, and anything reached through a function are not judged.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Iterator

from ap_lint.errors import PolicyPackError
from ap_lint.evaluate.expressions import RULE_CEL_KEYS, ExpressionError, _placeholders
from ap_lint.load.positions import compose_positions, locate
from ap_lint.load.validate import _resolve
from ap_lint.pack import Pack

#: a name followed by field steps: ``.name`` or ``.?name`` (optional), up to anything else
_CHAIN = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\s*\.\??\s*[A-Za-z_]\w*)+)")
_STEP = re.compile(r"\.\??\s*([A-Za-z_]\w*)")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')
TEMPLATES = ("at", "message")


def _fields(schema: dict[str, Any], node: Any) -> tuple[set[str], bool] | None:
    """The field names an object schema allows, and whether it allows no others; None if it is not an object
    schema this can judge."""
    node = _resolve(schema, node)
    if not isinstance(node, dict):
        return None
    names = set(node.get("properties", {})) if isinstance(node.get("properties"), dict) else set()
    closed = node.get("additionalProperties") is False and "patternProperties" not in node
    for key in ("allOf", "anyOf", "oneOf"):
        for part in node.get(key, []) if isinstance(node.get(key), list) else []:
            more = _fields(schema, part)
            if more is not None:
                names |= more[0]
    for key in ("then", "else"):
        more = _fields(schema, node.get(key)) if isinstance(node.get(key), dict) else None
        if more is not None:
            names |= more[0]
    return names, closed


def _child(schema: dict[str, Any], node: Any, name: str) -> Any:
    node = _resolve(schema, node)
    if not isinstance(node, dict):
        return None
    found = node.get("properties", {}).get(name) if isinstance(node.get("properties"), dict) else None
    for key in ("allOf", "anyOf", "oneOf"):
        for part in node.get(key, []) if found is None and isinstance(node.get(key), list) else []:
            found = _child(schema, part, name)
            if found is not None:
                break
    return found


def unknown_fields(roots: dict[str, list[dict[str, Any]]], text: str) -> Iterator[tuple[str, str | None]]:
    """Each path in CEL ``text`` from one of ``roots`` (a name a rule reads: ``record``, a looked-up record, a
    single record; each with the schemas its record may have) that none of its schemas can hold, as (the path as
    written, the field meant or None). A name the text binds itself (a loop's or cel.bind's) is not judged."""
    text = _STRING.sub("''", text)  # a path written inside a string ('records/trust.yaml') is text, not a read
    for found in _CHAIN.finditer(text):
        root = found.group(1)
        if root not in roots or re.search(rf"[(,]\s*{root}\s*,", text):
            continue
        steps = _STEP.findall(found.group(2))
        end = found.end()
        if end < len(text) and text[end:].lstrip().startswith("("):
            steps = steps[:-1]  # the last step is a method: record.a.size()
        for schema in roots[root]:
            if _path_ok(schema, steps):
                break
        else:
            yield _reason(roots[root][0], root, steps)


def _path_ok(schema: dict[str, Any], steps: list[str]) -> bool:
    node: Any = schema
    for step in steps:
        fields = _fields(schema, node)
        if fields is None or not fields[1]:
            return True  # an open object (or not an object): anything may be there
        if step not in fields[0]:
            return False
        node = _child(schema, node, step)
    return True


def _reason(schema: dict[str, Any], root: str, steps: list[str]) -> tuple[str, str | None]:
    node: Any = schema
    for number, step in enumerate(steps):
        fields = _fields(schema, node)
        if fields is not None and fields[1] and step not in fields[0]:
            close = difflib.get_close_matches(step, sorted(fields[0]), n=1, cutoff=0.6)
            prefix = ".".join([root, *steps[:number]])
            return f"{prefix}.{step}", f"{prefix}.{close[0]}" if close else None
        node = _child(schema, node, step)
    return ".".join([root, *steps]), None


def _cel_of(key: str, text: str) -> str:
    """The CEL in a rule's ``key``: all of it, or in a template (``at``, ``message``) what is between braces."""
    if key not in TEMPLATES:
        return text
    try:
        return "\n".join(part for part, is_expression in _placeholders(text) if is_expression)
    except ExpressionError:
        return ""  # a broken template is the compiler's to report


def _roots(pack: Pack, kinds: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The names a rule of ``kinds`` reads records by, with the schemas those records have."""
    roots: dict[str, list[dict[str, Any]]] = {"record": [pack.schemas[kind] for kind in kinds]}
    for name, spec in pack.kinds.items():
        if spec.single and name in pack.schemas:
            roots[name] = [pack.schemas[name]]
    for kind in kinds:
        for relation in pack.relations.get(kind, []):
            if relation.field is None and relation.target in pack.schemas:
                roots.setdefault(relation.name, []).append(pack.schemas[relation.target])
    return roots


def refuse_unknown_fields(pack: Pack) -> None:
    """Stop at the first rule that reads a field its records' schemas cannot hold, at the key that reads it."""
    for source, document in pack.rule_documents:
        applies_to = document.get("applies_to")
        kinds = [str(kind) for kind in (applies_to if isinstance(applies_to, list) else [applies_to])]
        if not all(kind in pack.schemas for kind in kinds):
            continue  # a kind without a schema: nothing to judge its records' fields by
        roots = _roots(pack, kinds)
        texts: list[tuple[tuple[str, ...], str]] = [((key,), _cel_of(key, str(document[key]))) for key in RULE_CEL_KEYS
                                                    if key in document]
        texts += [(("variables", name), str(text)) for name, text in (document.get("variables") or {}).items()]
        for at, text in texts:
            for path, meant in unknown_fields(roots, text):
                positions = compose_positions((pack.root / source).read_text("utf-8"))
                line, column = locate(positions, at)
                whose = " or ".join(str(kind) for kind in kinds) if path.startswith("record.") else path.split(".")[0]
                hint = f" Did you mean {meant}?" if meant else ""
                raise PolicyPackError(f"{'.'.join(at)}: {whose} records have no field {path}: the schema allows no "
                                      f"other field there.{hint}", file=source, line=line, column=column)
