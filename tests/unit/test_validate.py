"""Structure: JSON Schema errors become plain-English findings with the clause the schema cites."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ap_lint.load.validate import SchemaValidator

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "kind"],
    "additionalProperties": False,
    "x-unknown-field": {"message": "'{field}' is not a field of a thing; remove it."},
    "properties": {
        "code": {"type": "string", "title": "Code", "pattern": "^[A-Z]{3}$", "x-clause": "codes"},
        "kind": {"type": "string", "enum": ["small", "large"]},
        "count": {"type": "integer", "minimum": 1, "maximum": 9},
        "share": {"type": "number", "exclusiveMaximum": 1},
        "label": {"type": "string", "title": "Label", "minLength": 1},
        "on_date": {"type": "string", "format": "date"},
        "contact": {"type": "string", "format": "email"},
        "tags": {"type": "array", "title": "Tags", "minItems": 2, "maxItems": 3, "uniqueItems": True,
                 "items": {"type": "string"}},
        "flag": {"type": "boolean"},
        "owner": {"type": "object", "title": "Owner", "x-clause": "ownership",
                  "required": ["name"], "additionalProperties": False,
                  "properties": {"name": {"type": "string", "title": "Owner's name"}}},
        "note": {"type": "string", "x-message": "Write the note as one sentence."},
    },
    "allOf": [{
        "x-clause": "large-things",
        "if": {"properties": {"kind": {"const": "large"}}, "required": ["kind"]},
        "then": {"required": ["owner"], "x-message": "A large thing needs an owner: add `owner:` with a name."},
    }],
}


@pytest.fixture(scope="module")
def validator() -> SchemaValidator:
    return SchemaValidator({"thing": SCHEMA})


def findings(validator: SchemaValidator, **fields: Any) -> list[tuple[str, str | None, str]]:
    data = {"code": "ABC", "kind": "small", **fields}
    data = {key: value for key, value in data.items() if value is not DROP}
    return [(f.path_text, f.clause, f.message) for f in validator.findings("thing", "things/t.yaml", "t", data)]


DROP = object()


def test_a_valid_record_has_no_findings(validator: SchemaValidator) -> None:
    assert validator.is_valid("thing", {"code": "ABC", "kind": "small"})
    assert findings(validator, label="x", tags=["a", "b"], owner={"name": "N"}) == []


def test_findings_are_unlocated_and_carry_file_record_and_rule(validator: SchemaValidator) -> None:
    [finding] = validator.findings("thing", "things/t.yaml", "t", {"code": "ABC", "kind": "odd"})
    assert (finding.file, finding.record, finding.rule, finding.severity) == ("things/t.yaml", "t", "schema", "error")
    assert (finding.line, finding.column, finding.path) == (0, 0, ("kind",))


def test_unknown_kinds_are_not_validated(validator: SchemaValidator) -> None:
    assert validator.is_valid("nothing", 42)
    assert validator.findings("nothing", "x.yaml", "x", 42) == []


def test_required_names_the_field_its_title_and_where(validator: SchemaValidator) -> None:
    assert findings(validator, code=DROP) == [("code", "codes", "'code' (Code) is missing: add it.")]
    assert findings(validator, owner={}) == [
        ("owner.name", "ownership", "'name' (Owner's name) is missing in owner: add it.")]
    assert findings(validator, kind=DROP) == [("kind", None, "'kind' is missing: add it.")]


def test_unknown_field_uses_the_schema_message(validator: SchemaValidator) -> None:
    assert findings(validator, colour="red") == [("colour", None, "'colour' is not a field of a thing; remove it.")]


def test_unknown_field_without_a_schema_message(validator: SchemaValidator) -> None:
    assert findings(validator, owner={"name": "N", "age": 3}) == [
        ("owner.age", "ownership", "'age' is not a field here in owner. Check its spelling against the schema, "
                                   "or remove it.")]


def test_type_text_read_as_a_number_says_to_quote_it(validator: SchemaValidator) -> None:
    assert findings(validator, label=990101) == [
        ("label", None, "'label' (Label) must be text, but 990101 was read as a number. Put it in quotes: \"990101\".")]


def test_type_text_read_as_a_boolean_says_to_quote_it(validator: SchemaValidator) -> None:
    assert findings(validator, label=False) == [
        ("label", None, "'label' (Label) must be text, but was read as false. Put it in quotes.")]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("tags", "a, b", "'tags' (Tags) must be a list: write each entry on its own line starting with '- '."),
    ("owner", "N", "'owner' (Owner) must be a group of fields (name: value) indented below it."),
    ("count", "three", "'count' must be a whole number, not 'three'."),
    ("flag", 1, "'flag' must be true or false, not 1."),
])
def test_type_messages(validator: SchemaValidator, field: str, value: Any, message: str) -> None:
    [(path, _, text)] = findings(validator, **{field: value})
    assert (path, text) == (field, message)


def test_enum_lists_the_allowed_values(validator: SchemaValidator) -> None:
    assert findings(validator, kind="medium") == [
        ("kind", None, "'kind' is 'medium'; it must be one of: small, large.")]


def test_format_date_says_it_is_not_a_real_date(validator: SchemaValidator) -> None:
    assert findings(validator, on_date="2026-02-30") == [
        ("on_date", None, "'on_date' is '2026-02-30', which is not a real date. Write it as YYYY-MM-DD.")]


def test_pattern_shows_the_value_and_the_form(validator: SchemaValidator) -> None:
    assert findings(validator, code="ab1") == [
        ("code", "codes", "'code' (Code) is 'ab1', which is not in the expected form (^[A-Z]{3}$).")]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("tags", ["a"], "'tags' (Tags) needs at least 2 entries."),
    ("tags", ["a", "b", "c", "d"], "'tags' (Tags) has more than 3 entries."),
    ("tags", ["a", "a"], "'tags' (Tags) lists the same entry twice: remove the repeat."),
    ("label", "", "'label' (Label) is empty or too short: write it out in full."),
    ("count", 0, "'count' is 0; it must be at least 1."),
    ("count", 10, "'count' is 10; it must be at most 9."),
    ("share", 1.5, "'share' is 1.5; it must be at most 1."),
])
def test_size_and_range_messages(validator: SchemaValidator, field: str, value: Any, message: str) -> None:
    assert [text for _, _, text in findings(validator, **{field: value})] == [message]


def test_x_message_on_the_property_replaces_the_built_message(validator: SchemaValidator) -> None:
    assert findings(validator, note=7) == [("note", None, "Write the note as one sentence.")]


def test_x_message_and_x_clause_from_an_if_then(validator: SchemaValidator) -> None:
    assert findings(validator, kind="large") == [
        ("", "large-things", "A large thing needs an owner: add `owner:` with a name.")]


def test_a_long_value_is_shortened_in_the_message(validator: SchemaValidator) -> None:
    [(_, _, message)] = findings(validator, kind="x" * 100)
    assert message == f"'kind' is '{'x' * 56}...; it must be one of: small, large."


def test_when_the_fast_validator_alone_rejects_a_value_it_still_explains_it(validator: SchemaValidator) -> None:
    # jsonschema-rs checks e-mail addresses more strictly than jsonschema; the record must not pass silently
    assert not validator.is_valid("thing", {"code": "ABC", "kind": "small", "contact": "a b@example.org"})
    [(path, clause, message)] = findings(validator, contact="a b@example.org")
    assert (path, clause) == ("contact", None)
    assert message.startswith("'contact': ") and "email" in message


def test_every_error_of_a_record_is_reported_once_in_path_order(validator: SchemaValidator) -> None:
    assert [path for path, _, _ in findings(validator, code="x", kind="odd", tags=["a"], colour=1)] == [
        "code", "colour", "kind", "tags"]


def test_x_clause_in_the_placement_schema(repo_root: Path) -> None:
    schema = json.loads((repo_root / "schemas" / "placement.schema.json").read_text("utf-8"))
    validator = SchemaValidator({"placement": schema})
    record = {"id": "oak-2026-001", "school": "oak", "pupil": {"ref": "P-1", "year_group": 9},
              "reason": "behaviour", "rationale": "x", "provider": "p", "site": "s",
              "decision": {"by": "principal", "name": "N", "date": "2026-01-05"},
              "objectives": ["Attend"], "notice": {"parents_on": "2026-01-05", "local_authority_on": "2026-01-05"},
              "reintegration": {"plan": "Return.", "target_date": "2026-03-01"},
              "timetable": [{"day": "monday", "start": "09:00", "end": "12:00"}],
              "start_date": "2026-01-12", "planned_end_date": "2026-03-01", "attendance_code": "B",
              "status": "active", "reviews": [{"date": "2026-02-01", "attendance_percent": 101}]}
    found = {(f.path_text, f.clause) for f in validator.findings("placement", "p.yaml", "p", record)}
    assert found == {("reviews[0].attendance_percent", "behaviour.review")}
    del record["rationale"]
    found = {(f.path_text, f.clause) for f in validator.findings("placement", "p.yaml", "p", record)}
    assert ("rationale", "rationale") in found


@pytest.mark.parametrize(("field", "value", "written"), [
    ("count", "3", "3"), ("count", " 3", "3"), ("share", "0.5", "0.5"), ("share", "1", "1"),
    ("flag", "true", "true"), ("flag", "False", "false"),
])
def test_a_number_or_flag_in_quotes_says_to_remove_the_quotes(validator: SchemaValidator, field: str, value: str,
                                                              written: str) -> None:
    [finding] = validator.findings("thing", "things/t.yaml", "t", {"code": "ABC", "kind": "small", field: value})
    assert (finding.path_text, finding.rule, finding.message) == (
        field, "schema", f"'{field}' is written in quotes, so it is read as text: write {written} without quotes.")
    title = f"Write {written}" if field == "flag" else f"Write the number {written}"
    assert [(fix.title, fix.text) for fix in finding.fixes] == [(title, written)]


def test_a_number_in_quotes_wins_over_the_field_s_message_and_keeps_its_clause() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer", "x-clause": "c", "x-message": "Write 1 to 9."}}}
    [finding] = SchemaValidator({"t": schema}).findings("t", "t.yaml", "t", {"n": "7"})
    assert (finding.clause, finding.message) == ("c", "'n' is written in quotes, so it is read as text: write 7 "
                                                      "without quotes.")
    # text that is no number of the kind asked for keeps the field's message
    for value in ("7.5", "seven", "07"):
        [other] = SchemaValidator({"t": schema}).findings("t", "t.yaml", "t", {"n": value})
        assert other.message == "Write 1 to 9."


@pytest.mark.parametrize(("value", "written"), [
    (["One sentence."], "One sentence."), ([3], "3"), ([True], "true"), (["Note: see"], '"Note: see"'),
    (["42"], '"42"'), ([" padded"], '" padded"'),
])
def test_a_list_of_one_value_where_one_is_expected_says_to_write_it_alone(validator: SchemaValidator, value: Any,
                                                                          written: str) -> None:
    [finding] = validator.findings("thing", "things/t.yaml", "t", {"code": "ABC", "kind": "small", "note": value})
    assert (finding.path_text, finding.rule, finding.message) == (
        "note", "schema", f"'note' holds a list, but it takes a single value: write {written} on its own, "
                          "without square brackets or a dash.")
    assert [(fix.title, fix.text, fix.target) for fix in finding.fixes] == [(f"Write {written}", written, "value")]


def test_a_list_of_several_values_where_one_is_expected_says_only_one_is_allowed(validator: SchemaValidator) -> None:
    assert findings(validator, note=["a", "b", "c"]) == [(
        "note", None, "'note' holds a list of 3 values, but it takes a single value: keep the one that is meant and "
                      "write it on its own, without square brackets or dashes.")]
    # a list of lists or an empty list is no list of values written where one belongs: the field's message
    assert findings(validator, note=[]) == findings(validator, note=[["a"]]) == [
        ("note", None, "Write the note as one sentence.")]


def test_a_value_of_the_wrong_kind_is_not_also_told_the_choices() -> None:
    schema = {"type": "object", "properties": {"size": {
        "type": "string", "enum": ["s", "m"], "x-message": "Write s or m.", "x-messages": {"enum": "Sizes are s or m."}}}}
    validator = SchemaValidator({"t": schema})
    assert [f.message for f in validator.findings("t", "t.yaml", "t", {"size": 4})] == ["Write s or m."]
    assert [f.message for f in validator.findings("t", "t.yaml", "t", {"size": "l"})] == ["Sizes are s or m."]


@pytest.mark.parametrize(("value", "text"), [
    ({"Note": "see the plan"}, "Note: see the plan"), ({"Room": 4}, "Room: 4"), ({"Done": True}, "Done: true"),
    ({"Say": 'he said "no"'}, 'Say: he said "no"'),
])
def test_text_read_as_a_field_because_of_colon_space_says_to_quote_it(validator: SchemaValidator, value: Any,
                                                                      text: str) -> None:
    [finding] = validator.findings("thing", "things/t.yaml", "t", {"code": "ABC", "kind": "small", "label": value})
    key = next(iter(value))
    quoted = json.dumps(text)
    assert (finding.path_text, finding.rule, finding.message) == (
        "label", "schema", f"'label' contains ': ' (after '{key}'), so YAML reads it as a field and its value, not "
                           f"as text. Put the whole text in quotes: {quoted}.")
    assert [(fix.title, fix.text) for fix in finding.fixes] == [(f"Put it in quotes: {quoted}", quoted)]


def test_a_group_of_fields_where_text_belongs_keeps_its_message(validator: SchemaValidator) -> None:
    assert findings(validator, note={"a": 1, "b": 2}) == findings(validator, note={"a": None}) == [
        ("note", None, "Write the note as one sentence.")]


@pytest.mark.parametrize(("record", "path", "says", "fix"), [
    ({"code": "ABC", "kind": "small\u00a0"}, "kind", "non-breaking space (U+00A0)", "small"),
    ({"code": "ABC", "kind": "\u201csmall\u201d"}, "kind", "curly quotes", "small"),
    ({"code": "AB\u200bC", "kind": "small"}, "code", "zero-width space (U+200B)", "ABC"),
], ids=["a non-breaking space", "curly quotes", "a zero-width space"])
def test_a_value_right_but_for_a_character_you_cannot_see_says_which(validator: SchemaValidator, record: dict[str, Any],
                                                                     path: str, says: str, fix: str) -> None:
    [found] = validator.findings("thing", "t.yaml", "t", record)
    assert (found.rule, found.path_text) == ("schema", path)
    assert says in found.message and f"'{fix}'" in found.message
    assert [f.text for f in found.fixes] == [fix]


def test_a_value_wrong_besides_a_hidden_character_keeps_its_own_message(validator: SchemaValidator) -> None:
    [found] = validator.findings("thing", "t.yaml", "t", {"code": "ABC", "kind": "huge\u00a0"})
    assert "U+00A0" not in found.message and "small" in found.message
