"""The mechanical fixes findings carry (offered by `ap-lint lsp` as quick fixes)."""

from __future__ import annotations

import json

import pytest

from ap_lint.findings import Fix
from ap_lint.load.loader import load_record
from ap_lint.load.validate import SchemaValidator
from tests.conftest import REPO_ROOT


@pytest.mark.parametrize(("line", "rule", "fixes"), [
    ('end: 15:00', "yaml-sexagesimal", [Fix('Put the time in quotes: "15:00"', '"15:00"')]),
    ("year_group: 07", "yaml-leading-zero", [Fix('Put it in quotes: "07"', '"07"'), Fix("Write the number 7", "7")]),
    ("flag: yes", "yaml-boolean-word", [Fix("Write true", "true"), Fix('Put it in quotes: "yes"', '"yes"')]),
    ("on_date: 2026-09-07 10:00:00", "yaml-invalid-date",
     [Fix("Write the date alone: 2026-09-07", "2026-09-07")]),
    ("start_date: 2026-02-30", "yaml-invalid-date", []),
])
def test_yaml_traps_carry_their_fix(line: str, rule: str, fixes: list[Fix]) -> None:
    loaded = load_record(f"id: x\n{line}\n".encode(), "x.yaml")
    [problem] = loaded.problems
    assert (problem.rule, problem.line, problem.column) == (rule, 2, line.index(":") + 3)
    assert list(problem.fixes) == fixes


def _placement_findings(edit: dict[str, object]) -> list[object]:
    schema = json.loads((REPO_ROOT / "schemas/placement.schema.json").read_text("utf-8"))
    data = load_record((REPO_ROOT / "records/placements/riverside/riverside-2026-001.yaml").read_bytes(),
                       "p.yaml").data
    data.update(edit)
    for key in [k for k, v in edit.items() if v is None]:
        del data[key]
    return list(SchemaValidator({"placement": schema}).findings("placement", "p.yaml", "p", data))


def test_a_date_in_another_form_offers_the_iso_date() -> None:
    found = [f for f in _placement_findings({"start_date": "14 October 2026"}) if f.path == ("start_date",)]
    assert [(f.rule, list(f.fixes)) for f in found] == [("schema", [Fix("Write the date as 2026-10-14",
                                                                        "2026-10-14")])]
    ambiguous = [f for f in _placement_findings({"start_date": "05/06/2026"}) if f.path == ("start_date",)]
    assert ambiguous and all(f.fixes == () for f in ambiguous)


def test_a_number_written_with_a_leading_zero_offers_the_number() -> None:
    """`year_group: 08` is text to YAML (08 is no octal number): the schema's finding offers 8."""
    data = load_record(b"year_group: 08\n", "p.yaml").data
    assert data == {"year_group": "08"}
    found = [f for f in _placement_findings({"pupil": {"ref": "CRST-P-20214", "year_group": "08"}})
             if f.path == ("pupil", "year_group")]
    assert [(f.rule, list(f.fixes)) for f in found] == [("schema", [Fix("Write the number 8", "8")])]


def test_a_misspelt_field_offers_the_nearest_name_and_a_strange_one_none() -> None:
    near = [f for f in _placement_findings({"planned_end_date": None, "planed_end_date": "2027-02-12"})
            if f.path == ("planed_end_date",)]
    assert [list(f.fixes) for f in near] == [[Fix("Rename to 'planned_end_date'", "planned_end_date", "key")]]
    far = [f for f in _placement_findings({"favourite_colour": "blue"}) if f.path == ("favourite_colour",)]
    assert far and all(f.fixes == () for f in far)


@pytest.mark.parametrize(("text", "line", "column", "fixed"), [
    ("provider: [a-b]\nsite: main\n", 1, 11, "provider: a-b\nsite: main\n"),
    ("provider:\n  - a-b\nsite: main\n", 2, 3, "provider: a-b\nsite: main\n"),
    ("provider:\n- a-b\nsite: main\n", 2, 1, "provider: a-b\nsite: main\n"),
    ("provider:\n  - a-b  # the one\nsite: main\n", 2, 3, "provider: a-b  # the one\nsite: main\n"),
    ("items:\n  - Note: it\n  - b\n", 2, 5, 'items:\n  - "Note: it"\n  - b\n'),
    ("items:\n  - Note: it\n", 2, 5, 'items:\n  - "Note: it"\n'),
])
def test_a_fix_replacing_a_block_list_or_mapping_keeps_the_lines_around_it(text: str, line: int, column: int,
                                                                         fixed: str) -> None:
    """A block list or mapping ends, to YAML, where the next line starts: a fix replaces only what it holds, and a
    block list below its field's name is replaced on the name's line (a value at the margin would not be its value)."""
    from ap_lint.findings import Finding
    from ap_lint.lsp.server import _FixFinder

    replacement = "a-b" if "provider" in text else '"Note: it"'
    finding = Finding("x.yaml", line, column, "schema", "error", "m", fixes=(Fix("Write it", replacement),))
    [edit] = _FixFinder(text).edits(finding)
    lines = text.split("\n")
    start, end = edit["range"]["start"], edit["range"]["end"]
    before = "\n".join(lines[:start["line"]] + [lines[start["line"]][:start["character"]]])
    after = "\n".join([lines[end["line"]][end["character"]:]] + lines[end["line"] + 1:])
    assert before + edit["text"] + after == fixed
