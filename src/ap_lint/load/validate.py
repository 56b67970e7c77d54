"""Structure: each record against its kind's JSON Schema, with plain-English messages.

A fast validator (jsonschema-rs) answers "valid or not" for every record; only
records that fail are re-validated with the reference ``jsonschema`` library to
explain each error. Messages come from the schema itself: ``x-message`` on the
failing subschema (up to the property that failed), otherwise one built from
the property's ``title``; ``x-at`` beside an ``x-message`` names the field its
finding points at (the field whose value made another one required);
``x-clause`` on the nearest enclosing subschema names the policy clause;
``x-unknown-field`` on an object says what to say (and which rule to cite)
when it has a field the schema does not know.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import functools
import json
import re
from typing import TYPE_CHECKING, Any, Iterator

import jsonschema_rs

from ap_lint.findings import Finding, Fix, JsonPath, format_path
from ap_lint.load.mistyped import mistyped, unseen

if TYPE_CHECKING:
    import jsonschema

SCHEMA_RULE = "schema"
_RESET = {"properties", "items", "prefixItems", "additionalProperties", "patternProperties"}


#: values of the keywords that name other schemas, which Python's jsonschema may check as URI references
_REFERENCE_KEYWORDS = frozenset({"$id", "$ref", "$schema", "$dynamicRef", "$anchor", "$dynamicAnchor"})
_PLAIN_REFERENCE = re.compile(r"[A-Za-z0-9#/:._~$%-]*")


def schema_surely_valid(schema: Any) -> bool:
    """Whether ``schema`` is certainly a Draft 2020-12 schema that Python's jsonschema accepts, found fast:
    jsonschema-rs checks it against the meta-schema, and each regular expression is compiled as Python's
    ``regex`` format check compiles it (jsonschema-rs does not assert formats). False means only "ask
    jsonschema", which judges and says why (importing it, and its check, cost a cold run a third of a second).
    """
    try:
        if not jsonschema_rs.meta.is_valid(schema):
            return False
    except Exception:  # noqa: BLE001 - anything odd: let jsonschema judge
        return False
    return _plain_schema(schema)


def _plain_schema(schema: Any) -> bool:
    """Whether every regular expression in ``schema`` compiles in Python, and every reference is plain and
    within the schema itself (another document is never fetched: jsonschema-rs would try the network)."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, item in node.items():
                if key == "pattern" and isinstance(item, str) and not _compiles(item):
                    return False
                if key == "patternProperties" and isinstance(item, dict) and not all(map(_compiles, item)):
                    return False
                if key in _REFERENCE_KEYWORDS and isinstance(item, str) and not _PLAIN_REFERENCE.fullmatch(item):
                    return False
                if key in ("$ref", "$dynamicRef") and isinstance(item, str) and not item.startswith("#"):
                    return False
                stack.append(item)
    return True


def _compiles(pattern: Any) -> bool:
    try:
        re.compile(pattern)
    except (re.error, TypeError, RecursionError):
        return False
    return True


def surely_valid(schema: Any, instance: Any) -> bool:
    """Whether ``instance`` certainly passes ``schema`` (a valid one) as Python's jsonschema judges it, found fast
    by jsonschema-rs; False means only "ask jsonschema", which says why."""
    try:
        validator = _fast_validator(json.dumps(schema, sort_keys=True))
        return validator is not None and bool(validator.is_valid(instance))
    except Exception:  # noqa: BLE001 - anything odd: let jsonschema judge
        return False


@functools.lru_cache(maxsize=64)
def _fast_validator(schema_text: str) -> Any:
    schema = json.loads(schema_text)
    return jsonschema_rs.validator_for(schema) if _plain_schema(schema) else None


class SchemaValidator:
    """Validates records of each kind against the pack's schemas."""

    def __init__(self, schemas: dict[str, dict[str, Any]]) -> None:
        self.schemas = schemas
        self._fast = {kind: jsonschema_rs.validator_for(schema, validate_formats=True)
                      for kind, schema in schemas.items()}
        # the reference validator explains a record that fails; made when one first does (importing it is slow)
        self._full: dict[str, jsonschema.Draft202012Validator] = {}

    def is_valid(self, kind: str, data: Any) -> bool:
        fast = self._fast.get(kind)
        return True if fast is None else bool(fast.is_valid(data))

    def findings(self, kind: str, file: str, record_id: str, data: Any) -> list[Finding]:
        """Every structural problem of one record, unlocated (line 0)."""
        if kind not in self.schemas or self.is_valid(kind, data):
            return []
        schema = self.schemas[kind]
        found: list[Finding] = []
        leaves = [leaf for error in self._explainer(kind).iter_errors(data) for leaf in _leaves(error)]
        # a value of the wrong kind is told what kind to write; that it is none of the choices adds nothing
        mistyped = {tuple(leaf.absolute_path) for leaf in leaves if leaf.validator == "type"}
        for leaf in leaves:
            if leaf.validator in ("enum", "const") and tuple(leaf.absolute_path) in mistyped:
                continue
            found.extend(self._explain(schema, file, record_id, leaf))
        if not found:  # the two validators disagree (a format such as email): explain with the fast one's errors
            found = list(self._fast_findings(kind, schema, file, record_id, data))
        unique = {(f.path, f.message): f for f in found}
        return _capped(sorted(unique.values(), key=lambda f: (f.path, f.message)))

    def _explainer(self, kind: str) -> "jsonschema.Draft202012Validator":
        if kind not in self._full:
            import jsonschema

            self._full[kind] = jsonschema.Draft202012Validator(
                self.schemas[kind], format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        return self._full[kind]

    def subschema_at(self, kind: str, path: JsonPath) -> dict[str, Any]:
        """The schema of the value at ``path`` in a record of ``kind`` (properties and items, $refs followed);
        {} where the schema does not say."""
        schema = self.schemas.get(kind, {})
        node: Any = _resolve(schema, schema)
        for part in path:
            if not isinstance(node, dict):
                return {}
            if isinstance(part, int):
                node = node.get("items", {})
            else:
                node = node.get("properties", {}).get(part, {})
            node = _resolve(schema, node)
        return node if isinstance(node, dict) else {}

    def explain_loaded(self, kind: str, problem: Finding) -> Finding:
        """A loader problem, said again with what the schema knows about its value (the choices it allows)."""
        if problem.rule != "yaml-boolean-word" or not problem.path or not isinstance(problem.path[-1], str):
            return problem
        wanted = self.subschema_at(kind, problem.path)
        choices = wanted.get("enum")
        word = problem.message.split("'")[1] if problem.message.count("'") >= 2 else ""
        if isinstance(choices, list) and choices and all(isinstance(c, str) for c in choices):
            field = problem.path[-1]
            options = ", ".join(choices)
            return dataclasses.replace(problem, message=(
                f"'{word}' is read by YAML as true or false, not as a word, and '{field}' must be one of: "
                f"{options}. Write one of these instead."), fixes=tuple(Fix(f"Write {c}", c) for c in choices))
        if wanted.get("type") == "boolean":
            return dataclasses.replace(problem, message=(
                f"'{word}' is read by YAML 1.1 as a yes/no value but other tools read it as text: "
                f"write true or false."), fixes=tuple(f for f in problem.fixes if "quotes" not in f.title))
        if wanted.get("type") == "string":
            return dataclasses.replace(problem, message=(
                f"'{word}' is read by YAML as true or false, not as text. Put it in quotes: '{word}'."),
                fixes=tuple(f for f in problem.fixes if "quotes" in f.title))
        return problem

    def _fast_findings(self, kind: str, schema: dict[str, Any], file: str, record_id: str,
                       data: Any) -> Iterator[Finding]:
        for error in self._fast[kind].iter_errors(data):
            annotations = _annotations(schema, list(error.schema_path))
            path: JsonPath = tuple(error.instance_path)
            message = annotations.get("x-message") or f"{_about(path, annotations.get('title'))}: {error.message}."
            yield Finding(file=file, line=0, column=0, rule=annotations.get("x-rule", SCHEMA_RULE), severity="error",
                          message=message, clause=annotations.get("x-clause"), path=path, record=record_id)

    def _explain(self, schema: dict[str, Any], file: str, record_id: str,
                 error: jsonschema.ValidationError) -> Iterator[Finding]:
        annotations = _annotations(schema, list(error.absolute_schema_path))
        clause = annotations.get("x-clause")
        path: JsonPath = tuple(error.absolute_path)
        rule = annotations.get("x-rule", SCHEMA_RULE)

        def finding(message: str, at: JsonPath = path, rule_id: str = rule, cites: str | None = clause,
                    at_key: bool = False, fixes: tuple[Fix, ...] = ()) -> Finding:
            return Finding(file=file, line=0, column=0, rule=rule_id, severity="error", message=message,
                           clause=cites, path=at, record=record_id, at_key=at_key, fixes=fixes)

        keyword = error.validator
        subschema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
        if keyword == "additionalProperties" and isinstance(error.instance, dict):
            known = set(subschema.get("properties", {}))
            unknown_spec = subschema.get("x-unknown-field") or {}
            for key in error.instance:
                if key in known:
                    continue
                close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
                suggestion = f" Did you mean '{close[0]}'?" if close else ""
                text = unknown_spec.get("message") or (
                    f"'{key}' is not a field here{_where(path)}. Check its spelling against the schema, "
                    "or remove it.{suggestion}")
                text = text.replace("{suggestion}", suggestion) if "{suggestion}" in text else text + suggestion
                # a rule named by x-unknown-field (such as a privacy rule) cites its own clause, if any
                cites = unknown_spec.get("clause") if "rule" in unknown_spec else clause
                near = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.75)
                fixes = tuple(Fix(f"Rename to '{name}'", name, "key") for name in near if name not in error.instance)
                yield finding(text.replace("{field}", str(key)), path + (key,), unknown_spec.get("rule", rule), cites,
                              at_key=True, fixes=fixes)
            return
        custom = annotations.get("x-message")
        fixes = _date_fixes(error.instance) if subschema.get("format") == "date" else ()
        if (keyword == "type" and error.validator_value in ("integer", "number") and isinstance(error.instance, str)
                and error.instance.strip().isdigit()):
            fixes = (Fix(f"Write the number {int(error.instance)}", str(int(error.instance))),)
        if keyword == "type":
            # a value of the right kind in quotes, a list or text holding ': ': the field's message would not fit
            told = mistyped(error.validator_value, error.instance, path)
            if told is not None:
                yield finding(told[0], fixes=told[1])
                return
        if keyword in ("enum", "const", "pattern"):
            told = unseen(keyword, error.validator_value, error.instance, path)
            if told is not None:  # the right value but for a character that cannot be seen: the field's message
                yield finding(told[0], fixes=told[1])  # would ask for what the value already seems to be
                return
        if custom:
            # x-at: the field the message is about, when a condition on it requires another (status, not the record)
            shown = annotations.get("x-at")
            at: JsonPath = path
            if isinstance(shown, str) and isinstance(error.instance, dict) and shown in error.instance:
                at = path + (shown,)
            yield finding(custom + _date_fix(keyword, error.instance), at=at, fixes=fixes)
            return
        if keyword == "required":
            properties = subschema.get("properties", {})
            required: Any = error.validator_value
            for name in required:
                if isinstance(error.instance, dict) and name not in error.instance:
                    missing = properties.get(name) if isinstance(properties.get(name), dict) else {}
                    about = f" ({missing['title']})" if "title" in missing else ""
                    # a missing field breaks the clause its own subschema cites (a missing rationale: {#rationale})
                    yield finding(f"'{name}'{about} is missing{_where(path)}: add it.", path + (name,),
                                  cites=missing.get("x-clause", clause))
            return
        yield finding(_message(str(keyword), error, annotations.get("title"), path) + _date_fix(keyword, error.instance),
                      fixes=fixes)


_DAY_MONTH_YEAR = re.compile(r"^\s*([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})\s*$")


def _date_fix(keyword: Any, value: Any) -> str:
    """For a date written day/month/year (14/09/2026), the same date as YYYY-MM-DD, read the UK way."""
    match = _DAY_MONTH_YEAR.match(value) if isinstance(value, str) and keyword in ("format", "pattern") else None
    if match is None:
        return ""
    day, month, year = (int(part) for part in match.groups())
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        return (f" Read the UK way (day/month/year), {value.strip()} is not a real date: check the day and month "
                "and write it as YYYY-MM-DD.")
    return (f" Read the UK way (day/month/year), {value.strip()} is {date.day} {date:%B %Y}: "
            f"write {date.isoformat()}.")


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    """``node`` with a local ``$ref`` (#/$defs/name) followed, its own keywords kept over the target's."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/") \
            and seen < 16:
        target: Any = schema
        for step in node["$ref"][2:].split("/"):
            target = target.get(step, {}) if isinstance(target, dict) else {}
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node


_MONTHS = {name: number for number, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,4})[-/. ](\d{1,2})[-/. ](\d{1,4})\s*$")
_WORDED_DATE = re.compile(r"^\s*(?:(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)|([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?,?)"
                          r"\s+(\d{4})\s*$", re.IGNORECASE)


def _date_fixes(value: Any) -> tuple[Fix, ...]:
    """The ISO date a text surely means (2026-9-7, 2026/09/07, 7 September 2026, 30/09/2026), as a fix.

    Day-first and month-first forms are offered only when they cannot be confused (a day above 12).
    """
    if not isinstance(value, str):
        return ()
    year = month = day = 0
    numeric = _NUMERIC_DATE.match(value)
    worded = _WORDED_DATE.match(value)
    if numeric:
        first, second, third = numeric.groups()
        if len(first) == 4:
            year, month, day = int(first), int(second), int(third)
        elif len(third) == 4 and int(first) > 12 >= int(second):
            year, month, day = int(third), int(second), int(first)
        elif len(third) == 4 and int(second) > 12 >= int(first):
            year, month, day = int(third), int(first), int(second)
    elif worded:
        day_text, month_text, month_first, day_first, year_text = worded.groups()
        name = (month_text or month_first).lower()
        month = next((number for full, number in _MONTHS.items() if len(name) >= 3 and full.startswith(name)), 0)
        year, day = int(year_text), int(day_text or day_first)
    try:
        iso = datetime.date(year, month, day).isoformat()
    except ValueError:
        return ()
    return (Fix(f"Write the date as {iso}", iso),) if iso != value else ()


#: Findings of one rule listed one by one in a record; the rest are counted in one more finding, so a
#: file with thousands of unknown fields gives a screenful, not thousands of lines.
MAX_FINDINGS_PER_RULE = 20


def _capped(findings: list[Finding]) -> list[Finding]:
    totals: dict[str, int] = {}
    for finding in findings:
        totals[finding.rule] = totals.get(finding.rule, 0) + 1
    kept: list[Finding] = []
    seen: dict[str, int] = {}
    for finding in findings:
        seen[finding.rule] = seen.get(finding.rule, 0) + 1
        more = totals[finding.rule] - MAX_FINDINGS_PER_RULE
        if seen[finding.rule] <= MAX_FINDINGS_PER_RULE or more == 1:
            kept.append(finding)
        elif seen[finding.rule] == MAX_FINDINGS_PER_RULE + 1:
            kept.append(dataclasses.replace(
                finding, message=f"{more:,} more problems like these in this record, not listed one by one. "
                                 "Fix them all, then check again."))
    return kept


def _leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    """The most specific errors: inside anyOf/oneOf, the alternatives' own errors."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        yield from _leaves(best) if best is not None else iter([error])
    else:
        yield error


def _annotations(schema: dict[str, Any], schema_path: list[Any]) -> dict[str, Any]:
    """Annotations in force at the failing keyword: x-clause from any ancestor, the rest near it."""
    found: dict[str, Any] = {}
    node: Any = schema
    local: dict[str, Any] = {}
    for step in schema_path[:-1]:
        if step in _RESET:
            local = {}
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            break
        if isinstance(node, dict):
            if "x-clause" in node:
                found["x-clause"] = node["x-clause"]
            if "x-rule" in node:
                found["x-rule"] = node["x-rule"]
            for key in ("x-message", "title", "x-at"):
                if key in node:
                    local[key] = node[key]
    if isinstance(node, dict):
        messages = node.get("x-messages", {})
        if schema_path and schema_path[-1] in messages:
            local["x-message"] = messages[schema_path[-1]]
    found.update(local)
    return found


def _where(path: JsonPath) -> str:
    return f" in {format_path(path)}" if path else ""


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "..."


def _about(path: JsonPath, title: str | None) -> str:
    field = f"'{path[-1]}'" if path and isinstance(path[-1], str) else "This value"
    return f"{field} ({title})" if title else field


def _message(keyword: str, error: jsonschema.ValidationError, title: str | None, path: JsonPath) -> str:
    value = error.instance
    about = _about(path, title)
    expected: Any = error.validator_value
    if keyword == "type":
        wanted = expected if isinstance(expected, str) else " or ".join(expected)
        if wanted == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{about} must be text, but {value} was read as a number. Put it in quotes: \"{value}\"."
        if wanted == "string" and isinstance(value, bool):
            return f"{about} must be text, but was read as {str(value).lower()}. Put it in quotes."
        if wanted == "array":
            return f"{about} must be a list: write each entry on its own line starting with '- '."
        if wanted == "object":
            return f"{about} must be a group of fields (name: value) indented below it."
        names = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
                 "null": "empty"}
        return f"{about} must be {names.get(wanted, wanted)}, not {_show(value)}."
    if keyword == "enum":
        options = ", ".join(str(v) for v in expected)
        return f"{about} is {_show(value)}; it must be one of: {options}."
    if keyword == "const":
        return f"{about} must be {_show(expected)}, not {_show(value)}."
    if keyword == "format" and expected == "date":
        return f"{about} is {_show(value)}, which is not a real date. Write it as YYYY-MM-DD."
    if keyword == "pattern":
        return f"{about} is {_show(value)}, which is not in the expected form ({expected})."
    if keyword == "minLength":
        return f"{about} is empty or too short: write it out in full."
    if keyword == "minItems":
        return f"{about} needs at least {expected} {'entry' if expected == 1 else 'entries'}."
    if keyword == "maxItems":
        return f"{about} has more than {expected} entries."
    if keyword == "uniqueItems":
        return f"{about} lists the same entry twice: remove the repeat."
    if keyword in ("minimum", "exclusiveMinimum"):
        return f"{about} is {_show(value)}; it must be at least {expected}."
    if keyword in ("maximum", "exclusiveMaximum"):
        return f"{about} is {_show(value)}; it must be at most {expected}."
    if keyword == "not":
        return f"{about} is not allowed here: remove it."
    return f"{about}: {error.message}."
