"""The policy pack: the repository's own pack loads; a broken pack file stops the run with its file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ap_lint.errors import PolicyPackError
from ap_lint.load.validate import schema_surely_valid, surely_valid
from ap_lint.pack import Clause, find_pack, load_pack, parse_clauses

POLICY = Path("policy") / "offsite-alternative-provision-principles.md"
CLAUSE_IDS = [
    "purpose.inclusion", "rationale", "purpose.limited", "behaviour.direction", "behaviour.terms",
    "behaviour.review", "behaviour.reintegration", "statutory-guidance", "medical", "added-value",
    "provider.quality", "provider.registration", "provider.staff", "provider.safeguarding",
    "unregistered.approval", "policy.review",
]


def test_the_repository_pack_loads(repo_root: Path) -> None:
    pack = load_pack(repo_root)
    assert {"trust", "calendar", "school", "provider", "placement", "waiver", "policy"} <= set(pack.kinds)
    assert set(pack.schemas) >= {"trust", "calendar", "school", "provider", "placement", "waiver"}
    assert pack.kinds["trust"].single and pack.kinds["calendar"].single and not pack.kinds["calendar"].required
    assert pack.kinds["policy"].from_pack and pack.kinds["policy"].front_matter
    relations = {kind: {r.name: r for r in found} for kind, found in pack.relations.items()}
    assert {"school", "provider", "pupil_placements", "same_id"} <= set(relations["placement"])
    assert relations["placement"]["school"].by == ("school",) and not relations["placement"]["school"].is_group
    assert relations["placement"]["pupil_placements"].field == ("pupil", "ref")
    assert pack.waivers is not None and pack.waivers.kind == "waiver"
    assert pack.policy_document == POLICY.as_posix()
    assert pack.clauses["purpose.inclusion"].not_checkable
    assert pack.rule_documents and all(source.startswith("rules/checks/") for source, _ in pack.rule_documents)
    assert "rules/pack.yaml" in pack.files and len(pack.digest) == 32


def test_settings_hold_the_documented_defaults(repo_root: Path) -> None:
    settings = load_pack(repo_root).settings
    assert settings["review_interval_weeks"] == 6
    assert settings["assurance_max_age_days"] == 365
    assert settings["qa_visit_max_age_days"] == 365
    assert settings["notice_school_days"] == 2
    assert settings["full_time_hours_per_week"] == 18
    assert settings["registration_threshold_pupils"] == 5
    assert settings["registration_threshold_vulnerable_pupils"] == 1


def test_parse_clauses_finds_all_sixteen_clauses_with_their_text(repo_root: Path) -> None:
    clauses = parse_clauses((repo_root / POLICY).read_text("utf-8"))
    assert list(clauses) == CLAUSE_IDS
    assert clauses["rationale"] == (
        "The schools in CRST are able to access a variety of alternative provision placements. However, there "
        "is always a clear rationale in place to ensure that this provision is for the benefit of the "
        "pupil's/student's academic progress.")
    assert clauses["purpose.limited"] == "The use of alternative provision will only be used in the following circumstances:"
    assert clauses["behaviour.direction"] == (
        "The Principals of the schools in CRST have the power to direct a pupil/student to an alternative "
        "provider to modify and improve their behaviour.")
    assert clauses["medical"] == "for students who are unable to attend school because of their medical needs."
    # markers inside one sentence each mark the whole sentence, never a fragment of it
    whole = ("Any alternative provision should be good quality, registered where appropriate, and delivered by "
             "high quality staff with suitable training, experience and safeguarding checks.")
    for clause in ("provider.quality", "provider.registration", "provider.staff", "provider.safeguarding"):
        assert clauses[clause] == whole
    assert clauses["policy.review"] == "The policy itself is due for review in the Spring Term 2026."
    assert all(text and text[0].isalnum() for text in clauses.values())


def test_parse_clauses_skips_front_matter() -> None:
    text = "---\ntitle: x {#not.a.clause}\n---\n\nFirst rule. {#first}\n\n- Second, in a list. {#second}\n"
    assert parse_clauses(text) == {"first": "First rule.", "second": "Second, in a list."}


def test_the_repository_clauses_reach_the_pack(repo_root: Path) -> None:
    clauses = load_pack(repo_root).clauses
    assert list(clauses) == CLAUSE_IDS
    assert clauses["policy.review"] == Clause("policy.review", "The policy itself is due for review in the Spring "
                                                               "Term 2026.", None)


def test_find_pack_prefers_the_register_then_the_installed_pack(tiny_register: Path, tmp_path: Path,
                                                                repo_root: Path) -> None:
    assert find_pack(tiny_register) == tiny_register
    bare = tmp_path / "bare"
    (bare / "records").mkdir(parents=True)
    assert (find_pack(bare) / "rules" / "pack.yaml").is_file()
    with pytest.raises(PolicyPackError, match="is not a policy pack"):
        find_pack(tiny_register, explicit=bare)


def test_the_tiny_pack_loads(tiny_register: Path) -> None:
    pack = load_pack(tiny_register)
    assert list(pack.kinds) == ["shop", "order", "exemption"]
    assert pack.settings == {"max_items": 3}
    assert list(pack.clauses) == ["orders.small", "orders.shop"]
    assert [source for source, _ in pack.rule_documents] == [
        "rules/checks/order-item-named.yaml", "rules/checks/order-one-per-customer.yaml",
        "rules/checks/order-shop-open.yaml", "rules/checks/order-small.yaml"]


def broken(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def load_error(root: Path) -> PolicyPackError:
    with pytest.raises(PolicyPackError) as caught:
        load_pack(root)
    return caught.value


def test_a_yaml_error_in_pack_yaml_names_file_and_line(tiny_register: Path) -> None:
    broken(tiny_register, "rules/pack.yaml", "    schema: schemas/order.schema.json",
           "    schema: schemas/order.schema.json\n  \tbad: tab")
    error = load_error(tiny_register)
    assert (error.file, error.line) == ("rules/pack.yaml", 11)
    assert str(error).startswith("rules/pack.yaml:11:")


def test_a_wrong_field_in_pack_yaml_names_file_line_and_column(tiny_register: Path) -> None:
    broken(tiny_register, "rules/pack.yaml", "    files: records/orders/*.yaml", "    file: records/orders/*.yaml")
    error = load_error(tiny_register)
    assert (error.file, error.line, error.column) == ("rules/pack.yaml", 9, 5)
    assert str(error).startswith("rules/pack.yaml:9:5: kinds.order: ")


def test_a_yaml_trap_in_pack_yaml_is_an_error(tiny_register: Path) -> None:
    broken(tiny_register, "rules/pack.yaml", "    files: records/shops/*.yaml",
           "    files: records/shops/*.yaml\n    single: yes")
    error = load_error(tiny_register)
    assert (error.file, error.line, error.column) == ("rules/pack.yaml", 7, 13)
    assert "'yes' is read by YAML 1.1 as true" in error.message


def test_a_broken_rule_file_names_its_file_and_line(tiny_register: Path) -> None:
    broken(tiny_register, "rules/checks/order-small.yaml", "severity: error", "severity: fatal")
    error = load_error(tiny_register)
    assert (error.file, error.line, error.column) == ("rules/checks/order-small.yaml", 4, 11)
    assert "fatal" in error.message


def test_settings_without_a_description_are_refused(tiny_register: Path) -> None:
    broken(tiny_register, "rules/settings.yaml", "  description: Most items one order may hold.\n", "")
    error = load_error(tiny_register)
    assert (error.file, error.line) == ("rules/settings.yaml", 2)
    assert "description" in error.message


def test_a_schema_that_is_not_json_names_its_line(tiny_register: Path) -> None:
    broken(tiny_register, "schemas/shop.schema.json", '"open": {"type": "boolean"}', '"open": {"type": boolean}')
    error = load_error(tiny_register)
    assert (error.file, error.line) == ("schemas/shop.schema.json", 2)
    assert error.message.startswith("not valid JSON")


def test_a_schema_that_is_not_a_json_schema_is_refused(tiny_register: Path) -> None:
    broken(tiny_register, "schemas/shop.schema.json", '"type": "object"', '"type": "record"')
    error = load_error(tiny_register)
    assert error.file == "schemas/shop.schema.json"
    assert error.message.startswith("not a valid JSON Schema at type:")


@pytest.mark.parametrize(("old", "new", "where"), [
    # jsonschema-rs's meta-schema check accepts these; Python's jsonschema (the judge) does not
    ('"name": {"type": "string"}', '"name": {"type": "string", "pattern": "(("}', "properties/name/pattern"),
    ('"name": {"type": "string"}', '"name": {"type": "object", "patternProperties": {"[a-": {}}}',
     "properties/name/patternProperties"),
])
def test_a_schema_whose_regular_expression_python_cannot_read_is_refused(tiny_register: Path, old: str, new: str,
                                                                           where: str) -> None:
    broken(tiny_register, "schemas/shop.schema.json", old, new)
    error = load_error(tiny_register)
    assert error.file == "schemas/shop.schema.json"
    assert error.message.startswith(f"not a valid JSON Schema at {where}:")


SCHEMAS = [
    {"type": "object"}, {"type": "record"}, {"type": "string", "pattern": "(("}, {"pattern": "^[a-z]+$"},
    {"patternProperties": {"[a-": {}}}, {"patternProperties": {"^x-": {"type": "string"}}},
    {"$ref": "#/$defs/a", "$defs": {"a": {"type": "integer"}}}, {"$ref": "not a uri ref \\ at all"},
    {"minLength": -1}, {"enum": []}, {"required": ["a", "a"]}, {"properties": {"pattern": {"type": "string"}}},
    {"items": {"pattern": "[z-a]"}}, {"format": "date"}, {"type": "integer", "minimum": 1.5},
]
INSTANCES = ["abc", "abc\n", "", 3, 1.5, True, None, [], ["a", "a"], {}, {"a": 1}, {"x-y": 2}, "2026-02-30"]


def test_the_fast_checks_never_accept_what_jsonschema_refuses() -> None:
    """schema_surely_valid and surely_valid only say "certainly valid" when Python's jsonschema agrees (they may
    say "ask jsonschema" of a valid one: that only costs time)."""
    import jsonschema

    accepted = []
    for schema in SCHEMAS:
        if not schema_surely_valid(schema):
            continue
        jsonschema.Draft202012Validator.check_schema(schema)  # raises if the fast check was wrong
        for instance in INSTANCES:
            if surely_valid(schema, instance):
                assert jsonschema.Draft202012Validator(schema).is_valid(instance), (schema, instance)
                accepted.append((json.dumps(schema), json.dumps(instance)))
    assert len({schema for schema, _ in accepted}) >= 6 and len(accepted) >= 30  # the fast path was taken
    assert not schema_surely_valid({"type": "string", "pattern": "(("})
    assert not schema_surely_valid({"$ref": "https://example.invalid/other.schema.json"})  # never fetched
    assert not surely_valid({"pattern": "^[a-z]+$"}, "abc\n")  # jsonschema-rs is stricter here: jsonschema judges


def test_a_relation_to_an_unknown_kind_is_refused(tiny_register: Path) -> None:
    broken(tiny_register, "rules/pack.yaml", "lookup: shop", "lookup: store")
    error = load_error(tiny_register)
    assert str(error) == "rules/pack.yaml: relation order.shop names the unknown kind 'store'"


def test_not_checkable_must_name_a_clause_of_the_policy(tiny_register: Path) -> None:
    broken(tiny_register, "rules/pack.yaml", "  document: policy/tiny.md\n",
           "  document: policy/tiny.md\n  not_checkable:\n    orders.fast: Speed is not recorded anywhere.\n")
    error = load_error(tiny_register)
    assert str(error) == "rules/pack.yaml: not_checkable names 'orders.fast', which the policy does not have"


def test_a_missing_pack_file_is_reported(tiny_register: Path) -> None:
    (tiny_register / "schemas" / "order.schema.json").unlink()
    error = load_error(tiny_register)
    assert error.file == "schemas/order.schema.json"
    assert error.message.startswith("cannot read this pack file")


def test_the_fast_checks_never_follow_a_reference_to_another_document() -> None:
    remote = {"$ref": "https://example.invalid/other.schema.json"}
    assert not schema_surely_valid(remote)
    assert not surely_valid(remote, "anything")
    assert surely_valid({"$ref": "#/$defs/a", "$defs": {"a": {"type": "string"}}}, "text")
