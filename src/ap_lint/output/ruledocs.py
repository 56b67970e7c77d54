"""Rules as documents: explanations, the clause coverage table and docs/rules.md.

Everything here is made from the rule files and the policy text, so the
documentation cannot drift from what the engine enforces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from ap_lint.dated import SETTINGS, describe, settings_read
from ap_lint.evaluate.functions import FUNCTIONS
from ap_lint.evaluate.rules import Rule
from ap_lint.pack import Pack

#: Checks the engine makes itself, whatever the pack: reading files and structure.
BUILTIN_RULES: dict[str, tuple[str, str]] = {
    "schema": ("The record has the structure its JSON Schema describes",
               "Every record kind has a JSON Schema in schemas/. A record with a missing, misspelt or mistyped "
               "field cannot be checked against the policy until its structure is right."),
    "yaml-syntax": ("The file is valid YAML", "A file that is not valid YAML cannot be read at all."),
    "yaml-duplicate-key": ("No key appears twice in one mapping",
                           "YAML silently keeps only the last of two equal keys, so a value would be lost."),
    "yaml-boolean-word": ("yes/no/on/off are not used as words",
                          "YAML 1.1 reads yes, no, on and off as true or false; other tools read them as text."),
    "yaml-sexagesimal": ("Times are quoted", "YAML 1.1 reads 15:00 as the number 900 (base 60)."),
    "yaml-indentation": ("The lines of one block are indented alike",
                         "YAML reads which field belongs where from the indentation; one space too many or too "
                         "few breaks the file."),
    "yaml-comment-cut": ("A value is not cut short by a comment (a warning)",
                         "YAML reads ' #' and what follows as a comment, so 'Meeting #2 went well' is stored as "
                         "'Meeting'."),
    "yaml-leading-zero": ("Numbers with a leading zero are quoted",
                          "YAML 1.1 reads 012345 as an octal number and the leading zero is lost."),
    "yaml-invalid-date": ("Dates are real calendar dates", "2026-02-30 looks like a date but is not one."),
    "yaml-key-not-text": ("Field names are text", "Records are mappings of field names to values."),
    "yaml-tag": ("No YAML tags", "Tags such as !!python/object could make a loader run code; records never need them."),
    "yaml-multiple-documents": ("One record per file", "Each record lives in a file named by its id."),
    "yaml-not-mapping": ("A record is a mapping", "A record is a set of named fields, not a list or a single value."),
    "yaml-alias-limit": ("Aliases do not multiply the file", "Nested aliases can expand a small file into "
                                                             "billions of values (an 'alias bomb')."),
    "yaml-too-deep": ("Nesting is shallow", "Records are a few levels deep; hundreds of levels is a broken or "
                                            "hostile file."),
    "file-too-large": ("Files are of a record's size", "A record is a few kilobytes; a huge file is a mistake."),
    "file-binary": ("Files are text", "A binary file in records/ is not a record."),
    "file-encoding": ("Files are UTF-8", "Other encodings read differently on different machines."),
    "file-empty": ("Files are not empty", "An empty file is a record that was never written."),
    "file-unreadable": ("Files can be read", "A file the checker cannot read cannot be checked."),
    "file-link-outside": ("Links stay inside the register", "A link out of the register could read files that "
                                                            "are not records."),
    "file-name": ("File names are plain text", "A name that is not UTF-8, or holds a line break or another control "
                                                "character, reads differently in every tool and can forge output."),
    "file-misplaced": ("Files live where their kind lives", "A record in the wrong folder is never checked."),
    "record-missing": ("Required records exist", "Rules need the records they refer to."),
    "rule-error": ("Rules can be evaluated", "A rule that fails on a record is a bug in the rule or the record."),
    "waiver-unused": ("A waiver matches a finding (a warning)",
                      "A waiver in force whose rule finds nothing on its record is a stale exception: delete it, or "
                      "correct its rule or record id."),
}


@dataclass(frozen=True)
class ClauseCoverage:
    clause: str
    text: str
    rules: tuple[str, ...]
    schema_fields: tuple[str, ...]
    not_checkable: str | None

    @property
    def covered(self) -> bool:
        """Covered means a rule enforces it; schema constraints only add to that."""
        return bool(self.rules)

    @property
    def status(self) -> str:
        if self.covered:
            return "covered"
        return "not machine-checkable" if self.not_checkable else "NOT COVERED"


def _schema_clauses(node: Any, trail: str, out: dict[str, set[str]]) -> None:
    if isinstance(node, dict):
        clause = node.get("x-clause")
        if isinstance(clause, str):
            out.setdefault(clause, set()).add(trail)
        for key, value in node.items():
            step = trail
            if key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    _schema_clauses(sub, f"{trail}.{name}" if trail else name, out)
                continue
            _schema_clauses(value, step, out)
    elif isinstance(node, list):
        for item in node:
            _schema_clauses(item, trail, out)


def coverage(pack: Pack, rules: list[Rule]) -> list[ClauseCoverage]:
    """Each policy clause with the rules and schema constraints that enforce it."""
    schema_map: dict[str, set[str]] = {}
    for kind, schema in pack.schemas.items():
        found: dict[str, set[str]] = {}
        _schema_clauses(schema, "", found)
        for clause, fields in found.items():
            schema_map.setdefault(clause, set()).update(f"{kind}:{f or '(record)'}" for f in fields)
    table = []
    for policy_clause in pack.clauses.values():
        table.append(ClauseCoverage(
            policy_clause.id, policy_clause.text,
            tuple(sorted(r.id for r in rules if r.clause == policy_clause.id)),
            tuple(sorted(schema_map.get(policy_clause.id, ()))), policy_clause.not_checkable))
    return table


def explain(pack: Pack, rules: list[Rule], rule_id: str, example_findings: Sequence[tuple[str, str]] = ()) -> str | None:
    """The explanation of one rule in plain text, or None if there is no such rule: first what a reader of the
    policy needs (what it requires, the clause, why, the finding it gives), then how it is checked, for the rule's
    authors. ``example_findings``: (example name, the message the rule gave on it), to show a finding as it reads.
    """
    rule = next((r for r in rules if r.id == rule_id), None)
    if rule is None:
        if rule_id in BUILTIN_RULES:
            title, why = BUILTIN_RULES[rule_id]
            return f"{rule_id}: {title}\n\nChecked by ap-lint itself on every file.\n\nWhy: {why}\n"
        return None
    lines = [f"{rule.id}: {rule.title}", ""]
    lines.append(f"Severity:   {rule.severity}" + ("" if rule.waivable else " (cannot be waived)"))
    lines.append(f"Applies to: {_kinds(rule)} records" + (" (when the condition below holds)" if "when" in rule.document
                                                         else ""))
    if rule.effective_text:
        lines.append(f"In force:   {rule.effective_text}")
    dated = _dated_text(pack, rule)
    if dated:
        lines.append(f"Settings:   {dated}")
    if rule.clause:
        clause = pack.clauses.get(rule.clause)
        lines.append(f"Clause:     {rule.clause}")
        if clause:
            lines.append(f"Policy:     \"{clause.text}\"")
    else:
        lines.append(f"Category:   {rule.category}")
    lines.append(f"Rule file:  {rule.source}")
    lines += ["", "Why", _indent(rule.why.strip())]
    if example_findings:
        lines += ["", "What a finding says (on the rule's own examples)"]
        for name, message in example_findings:
            lines += [_indent(f"{name}:"), _indent(_indent(message))]
    lines += ["", "Examples"]
    for example in rule.examples:
        lines.append(_indent(f"{example['expect']}: {example['name']}"))
    lines += ["", "How it is checked (CEL, for the rule's authors)"]
    if "when" in rule.document:
        lines += [_indent("Applies when:"), _indent(_indent(rule.document["when"].strip()))]
    if rule.used_variables:
        lines += [_indent("Where:")]
        lines += [_indent(_indent(f"{name} = {' '.join(expression.split())}")) for name, expression in rule.used_variables]
    lines += [_indent("What must hold:")]
    if rule.assertion is not None:
        if "for_each" in rule.document:
            lines.append(_indent(_indent(f"for each item of {rule.document['for_each']}:")))
        lines.append(_indent(_indent(rule.document["assert"].strip())))
        if "warning_when" in rule.document:
            lines.append(_indent(_indent(f"(a failure is a warning, not an error, when "
                                         f"{rule.document['warning_when'].strip()})")))
    elif rule.scan is not None:
        lines.append(_indent(_indent(f"no text value matches {rule.document['scan']['pattern']}"
                                     + (" with a valid check character" if rule.scan.check else ""))))
    elif rule.history is not None:
        lines.append(_indent(_indent(f"git history: {rule.history.check} {', '.join(rule.history.fields)}")))
    lines += [_indent("Message:"), _indent(_indent(rule.message_text.strip()))]
    return "\n".join(lines) + "\n"


def _dated_text(pack: Pack, rule: Rule) -> str:
    """The dated settings a rule reads, as in force on the date it judges by, in words ('' when none)."""
    if not any(name == SETTINGS for name, _ in rule.variables):
        return ""
    date = (rule.document.get("effective") or {}).get("date") or "today"
    read = settings_read(pack.dated_settings, rule.document, rule.variables)
    return f"as in force on {date}: " + "; ".join(f"{name} {describe(pack.dated_settings[name])}" for name in read)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def rules_markdown(pack: Pack, rules: list[Rule]) -> str:
    """docs/rules.md: every rule, grouped by policy clause, made from the rule files."""
    out = ["# Rule reference", "",
           "Generated by `ap-lint docs` from `rules/` and the policy text; do not edit by hand.",
           f"Pack: {pack.name}.", ""]
    out += ["## Clause coverage", "", "| clause | rules | status |", "|---|---|---|"]
    for row in coverage(pack, rules):
        names = ", ".join(f"[`{r}`](#{r})" for r in row.rules)
        status = row.status if row.covered or not row.not_checkable else f"not machine-checkable: {row.not_checkable}"
        out.append(f"| `{row.clause}` | {names} | {status} |")
    out.append("")
    groups: dict[str, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(rule.clause or f"({rule.category})", []).append(rule)
    order = [c for c in pack.clauses if c in groups] + sorted(g for g in groups if g not in pack.clauses)
    for group in order:
        clause = pack.clauses.get(group)
        out += [f"## {group}", ""]
        if clause:
            out += [f"> {clause.text}", ""]
        for rule in sorted(groups[group], key=lambda r: r.id):
            out += [f"### {rule.id}", "", f"**{rule.title}** — {rule.severity}"
                    + ("" if rule.waivable else ", cannot be waived") + f", on {_kinds(rule)} records.", ""]
            out += [rule.why.strip(), ""]
            if rule.effective_text:
                out += [f"In force: {rule.effective_text}.", ""]
            dated = _dated_text(pack, rule)
            if dated:
                out += [f"Settings: {dated}.", ""]
            if rule.used_variables:
                out += ["Where:", "", "```cel",
                        *(f"{name} = {' '.join(expression.split())}" for name, expression in rule.used_variables), "```", ""]
            if "when" in rule.document:
                out += ["Applies when:", "", "```cel", rule.document["when"].strip(), "```", ""]
            if "assert" in rule.document:
                if "for_each" in rule.document:
                    out += ["For each of:", "", "```cel", rule.document["for_each"].strip(), "```", ""]
                out += ["Must hold:", "", "```cel", rule.document["assert"].strip(), "```", ""]
                if "warning_when" in rule.document:
                    out += ["A failure is a warning, not an error, when:", "", "```cel",
                            rule.document["warning_when"].strip(), "```", ""]
            elif "scan" in rule.document:
                out += ["Looks in every text value for:", "", "```", rule.document["scan"]["pattern"], "```", ""]
            elif "history" in rule.document:
                h = rule.document["history"]
                out += [f"Git history check `{h['check']}` on: {', '.join(h.get('fields', [])) or 'the file'}.", ""]
            out += [f"Message: {rule.message_text.strip()}", ""]
            out += ["Examples:", ""] + [f"- {e['expect']}: {e['name']}" for e in rule.examples] + [""]
            out += [f"Source: `{rule.source}`", ""]
    out += ["## Checks made by the engine itself", "", "| id | what | why |", "|---|---|---|"]
    for rule_id, (title, why) in BUILTIN_RULES.items():
        out.append(f"| `{rule_id}` | {title} | {why} |")
    out += ["", "## Helper functions", "", "Functions rules may call in CEL, besides CEL's own (with the strings, "
            "math, optional and bindings extensions). Dates are `YYYY-MM-DD` text.", "",
            "| function | returns | what it gives |", "|---|---|---|"]
    for name, (impl, returns, params) in FUNCTIONS.items():
        doc = " ".join((impl.__doc__ or "").strip().split("\n\n")[0].split())
        shown = ", ".join("map or null" if p == "map?" else p for p in params)
        out.append(f"| `{name}({shown})` | {returns} | {doc.replace('|', '/')} |")
    out += ["", "## Settings", "", "A setting whose value changed on a date keeps its earlier values (`from`, "
            "`earlier` in rules/settings.yaml): each rule reads the value in force on the date it judges by.", "",
            "| setting | value | meaning |", "|---|---|---|"]
    for name, entry in pack.setting_docs.items():
        value = describe(pack.dated_settings[name]) if name in pack.dated_settings else json.dumps(entry["value"])
        out.append(f"| `{name}` | `{value}` | {entry['description']} |")
    return "\n".join(out) + "\n"


def _kinds(rule: Rule) -> str:
    """The kinds a rule applies to, in words: ``placement``, ``placement and waiver``, ``a, b and c``."""
    kinds = list(rule.kinds or (rule.kind,))
    return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
