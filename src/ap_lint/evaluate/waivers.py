"""Waivers: an approved, unexpired waiver turns one rule's finding on one record into a waived note."""

from __future__ import annotations

import dataclasses
from typing import Any

from ap_lint.evaluate.rules import Rule
from ap_lint.findings import Finding, parse_path
from ap_lint.load.register import Record, Register, value_at
from ap_lint.pack import Pack


WAIVER_UNUSED = "waiver-unused"


def apply_waivers(findings: list[Finding], register: Register, pack: Pack, rules: list[Rule],
                  today: str) -> list[Finding]:
    """Turn findings covered by an approved, unexpired waiver into waived notes.

    A waiver with no expiry date stays in force once approved (the pack's rules say when one may leave it
    out). A waiver in force that matches no finding is itself reported, as a warning (unlocated: line 0),
    so that stale exceptions do not sit on file unnoticed.
    """
    spec = pack.waivers
    if spec is None:
        return findings
    active: dict[tuple[Any, Any], Record] = {}
    for waiver in register.by_kind.get(spec.kind, []):
        if not waiver.valid:
            continue
        data = waiver.data
        approved = value_at(data, parse_path(spec.approved_on))
        expires = value_at(data, parse_path(spec.expires_on))
        if isinstance(approved, str) and approved <= today and (expires is None or (
                isinstance(expires, str) and today <= expires)):
            key = (value_at(data, parse_path(spec.rule)), value_at(data, parse_path(spec.record)))
            active[key] = waiver
    if not active:
        return findings
    waivable = {rule.id for rule in rules if rule.waivable}
    used: set[tuple[Any, Any]] = set()
    waived: list[Finding] = []
    for finding in findings:
        key = (finding.rule, finding.record)
        if finding.rule in waivable and key in active:
            used.add(key)
            finding = dataclasses.replace(finding, waived_by=active[key].id)
        waived.append(finding)
    checked = {record.id for record in register.records if record.valid}
    for key, waiver in active.items():
        if key in used or key[0] not in waivable or key[1] not in checked:
            continue
        waived.append(Finding(
            file=waiver.file, line=0, column=0, rule=WAIVER_UNUSED, severity="warning", record=waiver.id,
            path=parse_path(spec.rule),
            message=f"This waiver of {key[0]} for {key[1]} matches no finding: that rule finds nothing to "
                    "waive on that record today. If the exception is no longer needed, delete this waiver; "
                    "otherwise check its rule and record ids."))
    return waived
