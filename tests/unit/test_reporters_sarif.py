"""The SARIF formatter, checked against the published SARIF 2.1.0 JSON Schema.

tests/data/sarif-schema-2.1.0.json is the schema file shipped in the npm
package @microsoft/sarif-multitool-linux 5.7.0 (sarif-2.1.0.json, MIT
licence), the one Microsoft's SARIF validator uses.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ap_lint.checker import Checker, CheckOptions, CheckResult
from ap_lint.findings import Finding
from ap_lint.pack import KindSpec, load_pack
from ap_lint.load.register import Record
from ap_lint.output.formats import ReportOptions, format_sarif

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
TODAY = "2026-05-01"

RULE_FINDING = Finding(file="records/orders/o-1.yaml", line=4, column=8, rule="order-small", severity="error",
                       message="Order o-1 has 4 items; at most 3 are allowed.", clause="orders.small",
                       path=("items",), record="o-1")
ENGINE_FINDING = Finding(file="records/shops/corner.yaml", line=3, column=7, rule="schema", severity="error",
                         message="'open' must be true or false.", path=("open",), record="corner")
WAIVED = Finding(file="records/shops/mill.yaml", line=3, column=7, rule="order-shop-open", severity="error",
                 message="Mill Shop is closed: choose an open shop.", clause="orders.shop", path=("open",),
                 record="mill", waived_by="x-1")
UNLOCATED = Finding(file="records/orders/new order é.yaml", line=0, column=0, rule="order-item-named",
                    severity="warning", message="Item 1 of o-9 is blank; write what was ordered.")


def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text("utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)  # type: ignore[no-any-return]


def make_result(root: Path, findings: list[Finding]) -> CheckResult:
    checker = Checker.from_pack(load_pack(root))
    checked = checker.check(CheckOptions(root=root, today=TODAY))
    return dataclasses.replace(checked, findings=findings)


def sarif(result: CheckResult, **options: Any) -> dict[str, Any]:
    return json.loads(format_sarif(result, ReportOptions(**options)))  # type: ignore[no-any-return]


@pytest.fixture
def log(tiny_register: Path) -> dict[str, Any]:
    return sarif(make_result(tiny_register, [RULE_FINDING, ENGINE_FINDING, WAIVED, UNLOCATED]))


def test_the_vendored_schema_is_the_sarif_2_1_0_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text("utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


def test_the_log_is_valid_against_the_sarif_schema(log: dict[str, Any]) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in sarif_validator().iter_errors(log)]
    assert errors == []


def test_the_schema_check_would_catch_a_broken_log(log: dict[str, Any]) -> None:
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert [e.message for e in sarif_validator().iter_errors(log)] == ["0 is less than the minimum of 1"]


def test_an_empty_result_is_a_valid_log_with_every_rule(tiny_register: Path) -> None:
    log = sarif(make_result(tiny_register, []))
    assert list(sarif_validator().iter_errors(log)) == []
    run = log["runs"][0]
    assert run["results"] == []
    assert sorted(r["id"] for r in run["tool"]["driver"]["rules"]) == [
        "order-item-named", "order-one-per-customer", "order-shop-open", "order-small"]


def test_rules_carry_title_why_message_and_clause(log: dict[str, Any]) -> None:
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["order-small"] == {
        "id": "order-small",
        "name": "OrderSmall",
        "shortDescription": {"text": "An order holds at most the allowed number of items."},
        "fullDescription": {"text": "Small orders are the policy."},
        "help": {
            "text": "Policy clause orders.small: \"Orders are small.\"\n\nWhy: Small orders are the policy.\n\n"
                    "What to change: Order {record.id} has {size(record.items)} items; at most "
                    "{settings.max_items} are allowed.\n\nRule file: rules/checks/order-small.yaml.",
            "markdown": "**Policy clause `orders.small`:** Orders are small.\n\n**Why:** Small orders are the "
                        "policy.\n\n**What to change:** Order {record.id} has {size(record.items)} items; at "
                        "most {settings.max_items} are allowed.\n\nRule file: `rules/checks/order-small.yaml`; "
                        "run `ap-lint explain order-small` for its examples.",
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {"clause": "orders.small", "category": "policy", "waivable": True,
                       "tags": ["policy", "orders.small"]},
    }
    assert rules["order-item-named"]["defaultConfiguration"] == {"level": "warning"}
    assert rules["order-item-named"]["properties"]["clause"] is None


def test_an_engine_check_gets_a_rule_of_its_own(log: dict[str, Any]) -> None:
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["schema"]["shortDescription"] == {"text": "The record has the structure its JSON Schema describes."}
    assert rules["schema"]["name"] == "Schema"


def test_each_result_points_at_its_rule_file_line_and_column(log: dict[str, Any]) -> None:
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    first = run["results"][0]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"] == "order-small"
    assert first["level"] == "error"
    assert first["message"] == {"text": "Order o-1 has 4 items; at most 3 are allowed. (policy clause orders.small)"}
    assert first["locations"] == [{
        "physicalLocation": {
            "artifactLocation": {"uri": "records/orders/o-1.yaml", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 4, "startColumn": 8},
        },
        "logicalLocations": [{"fullyQualifiedName": "items", "kind": "member"}],
    }]
    assert first["properties"] == {"clause": "orders.small", "severity": "error", "path": "items", "record": "o-1"}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_every_result_has_a_real_region(log: dict[str, Any]) -> None:
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in log["runs"][0]["results"]]
    assert len(regions) == 4
    assert all(region["startLine"] >= 1 and region["startColumn"] >= 1 for region in regions)
    assert regions[3] == {"startLine": 1, "startColumn": 1}, "an unlocated finding points at the file's start"


def test_locations_are_relative_to_the_register_root(log: dict[str, Any], tiny_register: Path) -> None:
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tiny_register.resolve().as_uri() + "/"
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris[3] == "records/orders/new%20order%20%C3%A9.yaml"


def test_a_waived_finding_is_a_suppressed_result(log: dict[str, Any]) -> None:
    waived = log["runs"][0]["results"][2]
    assert waived["suppressions"] == [{"kind": "external", "status": "accepted",
                                       "justification": "Waived by the approved waiver 'x-1'."}]
    assert "suppressions" not in log["runs"][0]["results"][0]


def test_fingerprints_are_stable_and_distinct(tiny_register: Path) -> None:
    twice = [RULE_FINDING, dataclasses.replace(RULE_FINDING, line=9)]
    first = [r["partialFingerprints"] for r in sarif(make_result(tiny_register, twice))["runs"][0]["results"]]
    moved = [dataclasses.replace(f, line=f.line + 5) for f in twice]
    second = [r["partialFingerprints"] for r in sarif(make_result(tiny_register, moved))["runs"][0]["results"]]
    assert first == second, "moving a finding down the file keeps its fingerprint"
    assert first[0] != first[1]


def test_the_run_carries_the_summary_and_notes(tiny_register: Path) -> None:
    result = dataclasses.replace(make_result(tiny_register, [RULE_FINDING]), notes=["3 findings are not shown"])
    run = sarif(result, fail_on="warning", not_shown=3)["runs"][0]
    assert {k: run["properties"][k] for k in ("shown", "failing", "fail_on", "not_shown")} == {
        "shown": 1, "failing": 1, "fail_on": "warning", "not_shown": 3}
    assert run["invocations"][0]["toolExecutionNotifications"] == [
        {"level": "note", "message": {"text": "3 findings are not shown."}}]


def test_files_of_a_pack_outside_the_register_have_their_own_base(tiny_register: Path, tmp_path: Path) -> None:
    pack_kind = Finding(file="policy/tiny.md", line=1, column=1, rule="order-small", severity="error", message="m.")
    result = dataclasses.replace(make_result(tiny_register, [pack_kind]), root=tmp_path)  # the pack is elsewhere
    result.pack.kinds["policy"] = KindSpec(name="policy", files="policy/*.md", from_pack=True, front_matter=True)
    result.records.append(Record("policy", "tiny", "policy/tiny.md", {}, ""))
    run = sarif(result)["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "policy/tiny.md", "uriBaseId": "PACKROOT"}
    assert run["originalUriBaseIds"]["PACKROOT"]["uri"] == tiny_register.resolve().as_uri() + "/"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    assert list(sarif_validator().iter_errors(sarif(result))) == []


def test_a_pack_outside_the_register_is_named_relative_to_its_base_through_the_library_call(
        tiny_register: Path, tmp_path: Path) -> None:
    """``ap_lint.check`` names a borrowed pack's files by their full path (for the text report); SARIF
    must still give them as URI references relative to PACKROOT, never a bare absolute path (which
    Microsoft's validator rejects as SARIF1004: a relative reference must not begin with a slash)."""
    import shutil

    import ap_lint

    register = tmp_path / "register"
    shutil.copytree(tiny_register / "records", register / "records")
    checked = ap_lint.check(register, today=TODAY, pack=tiny_register)
    pack_root = tiny_register.resolve()
    borrowed = Finding(file=(pack_root / "policy" / "tiny.md").as_posix(), line=2, column=3, rule="order-small",
                       severity="warning", message="m.")
    result = dataclasses.replace(checked, findings=[borrowed, RULE_FINDING])
    result.pack.kinds["policy"] = KindSpec(name="policy", files="policy/*.md", from_pack=True, front_matter=True)
    result.records.append(Record("policy", "tiny", "policy/tiny.md", {}, ""))
    run = sarif(result)["runs"][0]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert locations == [{"uri": "policy/tiny.md", "uriBaseId": "PACKROOT"},
                         {"uri": "records/orders/o-1.yaml", "uriBaseId": "%SRCROOT%"}]
    assert run["originalUriBaseIds"]["PACKROOT"]["uri"] == pack_root.as_uri() + "/"


def test_a_file_outside_both_roots_is_an_absolute_file_uri(tiny_register: Path, tmp_path: Path) -> None:
    elsewhere = (tmp_path / "elsewhere" / "notes é.md").as_posix()
    result = make_result(tiny_register, [Finding(file=elsewhere, line=1, column=1, rule="order-small",
                                                 severity="warning", message="m.")])
    location = sarif(result)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": Path(elsewhere).as_uri()}
    assert list(sarif_validator().iter_errors(sarif(result))) == []
