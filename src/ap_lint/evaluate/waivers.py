"""Waivers: an approved, unexpired waiver turns one rule's finding on one record into a waived note."""

from __future__ import annotations

import dataclasses
from typing import Any

from ap_lint.evaluate.rules import Rule
from ap_lint.findings import Finding, parse_path
from ap_lint.load.register import Register, value_at
from ap_lint.pack import Pack


def apply_waivers(findings: list[Finding], register: Register, pack: Pack, rules: list[Rule],
                  today: str) -> list[Finding]:
    """Turn findings covered by an approved, unexpired waiver into waived notes."""
    spec = pack.waivers
    if spec is None:
        return findings
    active: dict[tuple[Any, Any], str] = {}
    for waiver in register.by_kind.get(spec.kind, []):
        if not waiver.valid:
            continue
        data = waiver.data
        approved = value_at(data, parse_path(spec.approved_on))
        expires = value_at(data, parse_path(spec.expires_on))
        if isinstance(approved, str) and isinstance(expires, str) and approved <= today <= expires:
            key = (value_at(data, parse_path(spec.rule)), value_at(data, parse_path(spec.record)))
            active[key] = waiver.id
    if not active:
        return findings
    waivable = {rule.id for rule in rules if rule.waivable}
    return [
        dataclasses.replace(f, waived_by=active[(f.rule, f.record)])
        if f.rule in waivable and (f.rule, f.record) in active else f
        for f in findings
    ]
