"""Golden example records: every file under tests/examples/ is a test case, found automatically.

``positive/<kind>/*.yaml`` must load and validate against the kind's schema
with no finding. ``negative/<kind>/<case>.yaml`` must give exactly one
finding, and its first line says which:

    # expect: <rule> <line>:<column> <clause or ->

for example ``# expect: schema 14:3 behaviour.terms`` or
``# expect: yaml-sexagesimal 20:10 -``. Lines count from 1 and include the
header line itself. Add a case by adding a file; no code changes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from ap_lint.checker import locate_findings
from ap_lint.findings import Finding
from ap_lint.load.loader import load_record
from ap_lint.pack import Pack, load_pack
from ap_lint.load.validate import SchemaValidator

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "tests" / "examples"
POSITIVE = sorted((EXAMPLES / "positive").glob("*/*.yaml"))
NEGATIVE = sorted((EXAMPLES / "negative").glob("*/*.yaml"))
EXPECT = re.compile(r"^# expect: (?P<rule>[a-z][a-z0-9-]*) (?P<line>\d+):(?P<column>\d+) (?P<clause>\S+)$")
RAW_LIBRARY_WORDING = ("is not valid under", "Failed validating", "does not match", "is a required property")


class Expectation(NamedTuple):
    rule: str
    line: int
    column: int
    clause: str | None


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def expectation_of(path: Path) -> Expectation:
    first = path.read_text("utf-8").split("\n", 1)[0]
    match = EXPECT.match(first)
    if match is None:
        raise AssertionError(f"{case_id(path)}: the first line must be '# expect: <rule> <line>:<column> <clause or ->', "
                             f"not {first!r}")
    clause = match["clause"]
    return Expectation(match["rule"], int(match["line"]), int(match["column"]), None if clause == "-" else clause)


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(REPO_ROOT)


@pytest.fixture(scope="module")
def validator(pack: Pack) -> SchemaValidator:
    return SchemaValidator(pack.schemas)


def check_example(path: Path, pack: Pack, validator: SchemaValidator) -> list[Finding]:
    """Load, validate and locate one example file as the checker does for a record of its folder's kind."""
    kind = path.parent.name
    assert kind in pack.kinds and kind in pack.schemas, f"{case_id(path)}: '{kind}' is not a kind with a schema"
    raw = path.read_bytes()
    display = case_id(path)
    loaded = load_record(raw, display)
    found = list(loaded.problems)
    if loaded.data is not None:
        found.extend(validator.findings(kind, display, path.stem, loaded.data))
    return locate_findings(found, lambda _file: raw.decode("utf-8", errors="replace"), {})


def describe(findings: list[Finding]) -> list[str]:
    return [f"{f.rule} {f.line}:{f.column} {f.clause or '-'}: {f.message}" for f in findings]


def test_the_golden_folders_are_found() -> None:
    kinds = {path.parent.name for path in NEGATIVE}
    assert len(NEGATIVE) >= 25
    assert {"placement", "provider", "school", "trust", "calendar", "waiver"} <= kinds
    assert {path.parent.name for path in POSITIVE} == kinds


@pytest.mark.parametrize("path", POSITIVE, ids=case_id)
def test_positive_example_has_no_finding(path: Path, pack: Pack, validator: SchemaValidator) -> None:
    assert describe(check_example(path, pack, validator)) == []


@pytest.mark.parametrize("path", NEGATIVE, ids=case_id)
def test_negative_example_gives_exactly_the_expected_finding(path: Path, pack: Pack,
                                                             validator: SchemaValidator) -> None:
    expected = expectation_of(path)
    findings = check_example(path, pack, validator)
    assert len(findings) == 1, describe(findings)
    finding = findings[0]
    assert Expectation(finding.rule, finding.line, finding.column, finding.clause) == expected, describe(findings)
    assert finding.file == case_id(path)
    assert finding.severity == "error"
    assert finding.message.strip() and not any(words in finding.message for words in RAW_LIBRARY_WORDING)
