"""Formatters: pure functions from a check result to text, chosen by name.

Adding a format means adding one function here and one entry in
``REPORTER_BY_NAME``. Every format shows the same findings; which of them
*fail* the run depends on ``ReportOptions.fail_on`` (``is_failing``), and the
CLI's exit code is decided from the same function.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote
from xml.etree import ElementTree

from ap_lint import __version__
from ap_lint.checker import CheckResult
from ap_lint.findings import SEVERITY_ORDER, Finding
from ap_lint.rules import Rule
from ap_lint.ruledocs import BUILTIN_RULES

TOOL_NAME = "ap-lint"
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: the SARIF uriBaseId that artifact locations are relative to: the register root
SARIF_ROOT_BASE = "%SRCROOT%"
#: the uriBaseId of files from a policy pack kept outside the register (the installed pack)
SARIF_PACK_BASE = "PACKROOT"


@dataclass(frozen=True)
class ReportOptions:
    """How to render: colour (text only), which findings fail the run, and the scope of a scoped run.

    ``scope`` is the set of files a scoped run reports on (None: the whole
    register); ``not_shown`` is how many findings the scope left out.
    """

    color: bool = False
    fail_on: str = "error"
    scope: frozenset[str] | None = None
    not_shown: int = 0


_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "waived": "\033[36m", "bold": "\033[1m", "dim": "\033[2m",
            "green": "\033[32m", "reset": "\033[0m"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def is_failing(finding: Finding, fail_on: str = "error") -> bool:
    """Whether ``finding`` fails the run at threshold ``fail_on`` (``error`` or ``warning``); waived never does."""
    return not finding.is_waived and SEVERITY_ORDER[finding.severity] >= SEVERITY_ORDER[fail_on]


def failing_findings(result: CheckResult, fail_on: str = "error") -> list[Finding]:
    """The findings that fail the run at threshold ``fail_on``."""
    return [f for f in result.findings if is_failing(f, fail_on)]


def summary(result: CheckResult, options: ReportOptions | None = None) -> dict[str, object]:
    """Counts that every format reports the same way: shown (all findings reported) and failing."""
    options = options or ReportOptions()
    failing = len(failing_findings(result, options.fail_on))
    return {
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "waived": len(result.waived),
        "shown": len(result.findings),
        "failing": failing,
        "fail_on": options.fail_on,
        "not_shown": options.not_shown,
        "records": len(result.records),
        "records_by_kind": result.counts_by_kind(),
        "today": result.today,
        "passed": not failing,
    }


def finding_line(finding: Finding, color: bool = False) -> str:
    """``file:line:col: severity [rule] message (clause)``: one finding as one line."""
    label = "waived" if finding.is_waived else finding.severity
    clause = f" ({finding.clause})" if finding.clause else ""
    waiver = f" [waiver {finding.waived_by}]" if finding.waived_by else ""
    where = f"{finding.file}:{finding.line}:{finding.column}:"
    if color:
        paint = _COLOURS[label]
        return (f"{_COLOURS['bold']}{where}{_COLOURS['reset']} {paint}{label}{_COLOURS['reset']} "
                f"[{finding.rule}] {finding.message}{_COLOURS['dim']}{clause}{waiver}{_COLOURS['reset']}")
    return f"{where} {label} [{finding.rule}] {finding.message}{clause}{waiver}"


def summary_line(result: CheckResult, options: ReportOptions | None = None) -> str:
    """``Failed: 2 failing of 3 shown (2 errors, 1 warning) with --fail-on error, in 19 records (today is …).``"""
    options = options or ReportOptions()
    failing = len(failing_findings(result, options.fail_on))
    parts = [_plural(len(result.errors), "error"), _plural(len(result.warnings), "warning")]
    if result.waived:
        parts.append(f"{len(result.waived)} waived")
    verdict = "Failed" if failing else "Passed"
    return (f"{verdict}: {failing} failing of {len(result.findings)} shown ({', '.join(parts)}) "
            f"with --fail-on {options.fail_on}, in {_plural(len(result.records), 'record')} "
            f"(today is {result.today}).")


def format_text(result: CheckResult, options: ReportOptions) -> str:
    lines = [finding_line(f, options.color) for f in result.findings]
    lines.extend(f"note: {note}" for note in result.notes)
    closing = summary_line(result, options)
    if options.color:
        closing = f"{_COLOURS['error' if failing_findings(result, options.fail_on) else 'green']}{closing}" \
                  f"{_COLOURS['reset']}"
    lines.append(closing)
    return "\n".join(lines) + "\n"


def format_json(result: CheckResult, options: ReportOptions) -> str:
    document = {
        "findings": [{**f.as_dict(), "failing": is_failing(f, options.fail_on)} for f in result.findings],
        "notes": result.notes,
        "summary": summary(result, options),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- SARIF 2.1.0 (GitHub code scanning, IDE viewers) -----------------------------------------------------------


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
    return {r.file for r in result.records if r.kind in kinds and kinds[r.kind].from_pack}


def _fingerprint(finding: Finding, occurrence: int) -> str:
    key = "\0".join((finding.rule, finding.file, finding.path_text, finding.record or "", str(occurrence)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _sarif_result(finding: Finding, rule_index: int, base: str, occurrence: int) -> dict[str, Any]:
    properties: dict[str, Any] = {"clause": finding.clause, "severity": finding.severity}
    if finding.path:
        properties["path"] = finding.path_text
    if finding.record is not None:
        properties["record"] = finding.record
    clause = f" (policy clause {finding.clause})" if finding.clause else ""
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(finding.file, safe="/"), "uriBaseId": base},
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
    descriptors, index = _sarif_rules(result)
    from_pack = _pack_files(result)
    seen: dict[tuple[str, str, str], int] = {}
    results = []
    for finding in result.findings:
        key = (finding.rule, finding.file, finding.path_text)
        seen[key] = seen.get(key, 0) + 1
        base = SARIF_PACK_BASE if finding.file in from_pack else SARIF_ROOT_BASE
        results.append(_sarif_result(finding, index[finding.rule], base, seen[key]))
    bases = {SARIF_ROOT_BASE: {"uri": result.root.resolve().as_uri() + "/",
                               "description": {"text": "The register root: the folder that holds records/."}}}
    if from_pack:
        bases[SARIF_PACK_BASE] = {"uri": result.pack.root.resolve().as_uri() + "/",
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


# --- GitHub Actions workflow commands (annotations on the pull request's diff) --------------------------------


def github_escape_data(text: str) -> str:
    """Escape a workflow command's message: ``%``, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_escape_property(text: str) -> str:
    """Escape a workflow command's property value: as data, plus ``:`` and ``,``."""
    return github_escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning"}


def github_annotation(finding: Finding) -> str:
    """``::error file=…,line=…,col=…,title=…::message``: one finding as one annotation."""
    level = "notice" if finding.is_waived else _GITHUB_LEVEL[finding.severity]
    title = f"{TOOL_NAME} {finding.rule}" + (f" ({finding.clause})" if finding.clause else "")
    message = finding.message + (f" (policy clause {finding.clause})" if finding.clause else "")
    if finding.waived_by:
        message += f" [waived by {finding.waived_by}]"
    properties = {"file": finding.file, "line": str(max(1, finding.line)), "col": str(max(1, finding.column)),
                  "title": title}
    rendered = ",".join(f"{name}={github_escape_property(value)}" for name, value in properties.items())
    return f"::{level} {rendered}::{github_escape_data(message)}"


def format_github(result: CheckResult, options: ReportOptions) -> str:
    """One workflow command per finding, the notes as notices, then the summary line as plain log text."""
    lines = [github_annotation(f) for f in result.findings]
    lines.extend(f"::notice title={github_escape_property(TOOL_NAME)}::{github_escape_data(note)}"
                 for note in result.notes)
    lines.append(summary_line(result, options))
    return "\n".join(lines) + "\n"


# --- JUnit XML (CI test reports) -----------------------------------------------------------------------------

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _junit_cases(result: CheckResult, options: ReportOptions) -> list[tuple[str, str]]:
    """(file, classname) of every test case: each record checked (in scope), and each other file with findings."""
    cases = {r.file: r.kind for r in result.records if options.scope is None or r.file in options.scope}
    for finding in result.findings:
        cases.setdefault(finding.file, "file")
    return sorted((file, kind) for file, kind in cases.items())


def format_junit(result: CheckResult, options: ReportOptions) -> str:
    """JUnit XML: one test case per record checked, one ``<failure>`` per failing finding.

    Findings that do not fail the run (warnings below ``--fail-on``, waived
    ones) are listed in the test case's ``<system-out>``.
    """
    by_file: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_file.setdefault(finding.file, []).append(finding)
    cases = _junit_cases(result, options)
    failures = len(failing_findings(result, options.fail_on))
    top = ElementTree.Element("testsuites", name=TOOL_NAME, tests=str(len(cases)), failures=str(failures),
                              errors="0", skipped="0", time="0")
    suite = ElementTree.SubElement(top, "testsuite", name=TOOL_NAME, tests=str(len(cases)),
                                   failures=str(failures), errors="0", skipped="0", time="0")
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in (("today", result.today), ("fail_on", options.fail_on),
                        ("not_shown", str(options.not_shown))):
        ElementTree.SubElement(properties, "property", name=name, value=value)
    for file, kind in cases:
        case = ElementTree.SubElement(suite, "testcase", classname=kind, name=_xml(file), file=_xml(file), time="0")
        passing: list[str] = []
        for finding in by_file.get(file, []):
            if is_failing(finding, options.fail_on):
                failure = ElementTree.SubElement(case, "failure", type=finding.rule, message=_xml(finding.message))
                failure.text = _xml(finding_line(finding))
            else:
                passing.append(_xml(finding_line(finding)))
        if passing:
            ElementTree.SubElement(case, "system-out").text = "\n".join(passing)
    if result.notes:
        ElementTree.SubElement(suite, "system-out").text = _xml("\n".join(result.notes))
    ElementTree.indent(top)
    return ElementTree.tostring(top, encoding="unicode", xml_declaration=True) + "\n"


Reporter = Callable[[CheckResult, ReportOptions], str]

REPORTER_BY_NAME: dict[str, Reporter] = {
    "text": format_text,
    "json": format_json,
    "sarif": format_sarif,
    "github": format_github,
    "junit": format_junit,
}
