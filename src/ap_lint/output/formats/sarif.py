"""SARIF 2.1.0, for GitHub code scanning and IDE viewers: rules with help and clause, real regions."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ap_lint import __version__
from ap_lint.checker import CheckResult
from ap_lint.evaluate.rules import Rule
from ap_lint.findings import Finding
from ap_lint.output.escape import visible
from ap_lint.output.formats.common import TOOL_NAME, ReportOptions, summary, visible_result
from ap_lint.output.ruledocs import BUILTIN_RULES


SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: the SARIF uriBaseId that artifact locations are relative to: the register root
SARIF_ROOT_BASE = "%SRCROOT%"
#: the uriBaseId of files from a policy pack kept outside the register (the installed pack)
SARIF_PACK_BASE = "PACKROOT"


def _text(text: str) -> str:
    return " ".join(text.split())


def _sentence(text: str) -> str:
    """One line that ends like a sentence (SARIF viewers show descriptions as sentences)."""
    text = _text(text)
    return text if not text or text[-1] in ".!?" else text + "."


def _rule_name(rule_id: str) -> str:
    """A rule's friendly name, Pascal case as SARIF recommends: ``behaviour-review`` -> ``BehaviourReview``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", rule_id) if part) or "Rule"


def _sarif_rule(rule: Rule, clause_text: str | None) -> dict[str, Any]:
    why = _sentence(rule.why)
    change = _sentence(rule.message_text)
    policy = f"Policy clause {rule.clause}: \"{_text(clause_text)}\"\n\n" if rule.clause and clause_text else ""
    help_text = f"{policy}Why: {why}\n\nWhat to change: {change}\n\nRule file: {rule.source}."
    policy_md = f"**Policy clause `{rule.clause}`:** {_text(clause_text)}\n\n" if rule.clause and clause_text else ""
    help_md = (f"{policy_md}**Why:** {why}\n\n**What to change:** {change}\n\n"
               f"Rule file: `{rule.source}`; run `ap-lint explain {rule.id}` for its examples.")
    tags = [tag for tag in (rule.category, rule.clause) if tag]
    return {
        "id": rule.id,
        "name": _rule_name(rule.id),
        "shortDescription": {"text": _sentence(rule.title)},
        "fullDescription": {"text": why},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": rule.severity},
        "properties": {"clause": rule.clause, "category": rule.category, "waivable": rule.waivable,
                       "tags": tags},
    }


def _builtin_rule(rule_id: str, severity: str) -> dict[str, Any]:
    title, why = BUILTIN_RULES.get(rule_id, (f"The engine's check '{rule_id}' holds",
                                             "The engine checks this on every file, whatever the policy pack."))
    return {
        "id": rule_id,
        "name": _rule_name(rule_id),
        "shortDescription": {"text": _sentence(title)},
        "fullDescription": {"text": _sentence(why)},
        "help": {"text": f"Why: {_sentence(why)}\n\nThe message of each result says what to change.",
                 "markdown": f"**Why:** {_sentence(why)}\n\nThe message of each result says what to change."},
        "defaultConfiguration": {"level": severity},
        "properties": {"clause": None, "category": "integrity", "tags": ["integrity"]},
    }


def _sarif_rules(result: CheckResult) -> tuple[list[dict[str, Any]], dict[str, int]]:
    clauses = result.pack.clauses
    descriptors = [_sarif_rule(rule, clauses[rule.clause].text if rule.clause in clauses else None)
                   for rule in result.rules]
    known = {rule.id for rule in result.rules}
    for finding in result.findings:
        if finding.rule not in known:
            known.add(finding.rule)
            descriptors.append(_builtin_rule(finding.rule, finding.severity))
    return descriptors, {d["id"]: index for index, d in enumerate(descriptors)}


def _pack_files(result: CheckResult) -> set[str]:
    """Files read from a policy pack that lives outside the register (their paths are relative to the pack)."""
    if result.pack.root.resolve() == result.root.resolve():
        return set()
    kinds = result.pack.kinds
    return {visible(r.file) for r in result.records if r.kind in kinds and kinds[r.kind].from_pack}


def _fingerprint(finding: Finding, occurrence: int) -> str:
    key = "\0".join((finding.rule, finding.file, finding.path_text, finding.record or "", str(occurrence)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _uri(file: str) -> str:
    """A file's path as a URI reference: its bytes on disk, percent-encoded (a name that is not UTF-8 too)."""
    return quote(os.fsencode(file), safe="/")


def _artifact(file: str, base: str, roots: dict[str, Path]) -> dict[str, str]:
    """Where a finding's file is: relative to the register root or the pack's (``base`` says which for a
    relative path); a full path is made relative to whichever root holds it, else given as a ``file:`` URI
    (SARIF forbids a relative reference that begins with a slash)."""
    if not os.path.isabs(file):
        return {"uri": _uri(file), "uriBaseId": base}
    path = Path(file)
    for base_id in (SARIF_PACK_BASE, SARIF_ROOT_BASE):
        root = roots.get(base_id)
        if root is not None and path.is_relative_to(root):
            return {"uri": _uri(path.relative_to(root).as_posix()), "uriBaseId": base_id}
    return {"uri": "file://" + _uri(path.as_posix())}


def _sarif_result(finding: Finding, rule_index: int, occurrence: int, artifact: dict[str, str]) -> dict[str, Any]:
    properties: dict[str, Any] = {"clause": finding.clause, "severity": finding.severity}
    if finding.path:
        properties["path"] = finding.path_text
    if finding.record is not None:
        properties["record"] = finding.record
    clause = f" (policy clause {finding.clause})" if finding.clause else ""
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": max(1, finding.line), "startColumn": max(1, finding.column)},
        },
    }
    if finding.path:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.path_text, "kind": "member"}]
    entry: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": finding.severity,
        "message": {"text": f"{finding.message}{clause}"},
        "locations": [location],
        "partialFingerprints": {"apLintFinding/v1": _fingerprint(finding, occurrence)},
        "properties": properties,
    }
    if finding.waived_by is not None:
        entry["suppressions"] = [{"kind": "external", "status": "accepted",
                                  "justification": f"Waived by the approved waiver '{finding.waived_by}'."}]
    return entry


def format_sarif(result: CheckResult, options: ReportOptions) -> str:
    """A SARIF 2.1.0 log: one run, the pack's rules as reporting descriptors, one result per finding.

    Locations are relative to the register root (``%SRCROOT%``), which is the
    repository root when the register is a repository of its own, as GitHub
    code scanning expects.
    """
    files = [finding.file for finding in result.findings]  # as on disk, for the URIs
    result = visible_result(result)
    descriptors, index = _sarif_rules(result)
    from_pack = _pack_files(result)
    roots = {SARIF_ROOT_BASE: result.root.resolve()}
    if result.pack.root.resolve() != roots[SARIF_ROOT_BASE]:
        roots[SARIF_PACK_BASE] = result.pack.root.resolve()
    seen: dict[tuple[str, str, str], int] = {}
    results = []
    for finding, file in zip(result.findings, files):
        key = (finding.rule, finding.file, finding.path_text)
        seen[key] = seen.get(key, 0) + 1
        base = SARIF_PACK_BASE if finding.file in from_pack else SARIF_ROOT_BASE
        results.append(_sarif_result(finding, index[finding.rule], seen[key], _artifact(file, base, roots)))
    bases = {SARIF_ROOT_BASE: {"uri": roots[SARIF_ROOT_BASE].as_uri() + "/",
                               "description": {"text": "The register root: the folder that holds records/."}}}
    used = {r["locations"][0]["physicalLocation"]["artifactLocation"].get("uriBaseId") for r in results}
    if SARIF_PACK_BASE in roots and (from_pack or SARIF_PACK_BASE in used):
        bases[SARIF_PACK_BASE] = {"uri": roots[SARIF_PACK_BASE].as_uri() + "/",
                                  "description": {"text": "The policy pack the register was checked with."}}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": TOOL_NAME,
            "version": __version__,
            "semanticVersion": __version__,
            "rules": descriptors,
        }},
        "originalUriBaseIds": bases,
        "columnKind": "unicodeCodePoints",
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [{"level": "note", "message": {"text": _sentence(note)}}
                                           for note in result.notes],
        }],
        "results": results,
        "properties": summary(result, options),
    }
    log = {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
