"""A broken policy pack stops the run with exit 2 and one line naming the file, line and column.

Each case copies the pack (rules/, schemas/, policy/) and the example records
into a temporary register root, breaks one file, and runs ``ap-lint check``
there as a user does.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import REPO_ROOT, RunCli

RULE = """\
id: x
title: A rule that the tests break on purpose
clause: null
category: integrity
severity: error
applies_to: school
assert: record.id == file.stem
at: id
message: The school's id must equal the name of its file.
why: The tests break this rule file on purpose, one way at a time.
examples:
  - {name: passes, expect: pass, subject: schools/oakfield}
  - {name: fails, expect: fail, edit: {schools/oakfield: {set: {id: other}}}, at: id}
"""
SCAN = """\
scan:
  pattern: '[a-z'
"""


@pytest.fixture
def pack_root(tmp_path: Path) -> Path:
    """A register root that holds its own copy of the pack, plus the valid rule rules/checks/x.yaml."""
    root = tmp_path / "register"
    for folder in ("rules", "schemas", "policy", "records"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    (root / "rules" / "checks" / "x.yaml").write_text(RULE, "utf-8")
    return root


def rule_edit(old: str, new: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        path = root / "rules" / "checks" / "x.yaml"
        text = path.read_text("utf-8")
        assert old in text
        path.write_text(text.replace(old, new), "utf-8")
    return edit


def write(relative: str, text: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        (root / relative).write_text(text, "utf-8")
    return edit


def replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        text = (root / relative).read_text("utf-8")
        assert old in text
        (root / relative).write_text(text.replace(old, new, 1), "utf-8")
    return edit


POLICY = "policy/offsite-alternative-provision-principles.md"
CLAUSES = ("added-value, behaviour.direction, behaviour.reintegration, behaviour.review, behaviour.terms, medical, "
           "policy.review, provider.quality, provider.registration, provider.safeguarding, provider.staff, "
           "purpose.inclusion, purpose.limited, rationale, statutory-guidance, unregistered.approval")


def move_rule(relative: str) -> Callable[[Path], None]:
    """Move the rule file rules/checks/x.yaml to ``relative`` (its id changed to the new file name's)."""
    def edit(root: Path) -> None:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        (root / "rules" / "checks" / "x.yaml").rename(target)
    return edit


#: case -> (how the pack is broken, the one line ap-lint must print on stderr)
CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "invalid YAML in a rule": (
        rule_edit("message: The school's id must", "message: The school's id: must"),
        "rules/checks/x.yaml:9:25: This is not valid YAML: mapping values are not allowed in this context. A value "
        "contains ': '. Put the whole value in quotes."),
    "unknown field in a rule": (
        rule_edit("severity: error\n", "severity: error\ncolour: red\n"),
        "rules/checks/x.yaml:6:1: 'colour' is not a field here; the fields are: applies_to, assert, at, "
        "category, clause, effective, examples, for_each, history, id, message, scan, severity, title, variables, "
        "waivable, warning_when, when, why. "
        "Check its spelling, or remove it"),
    "CEL syntax error": (
        rule_edit("assert: record.id == file.stem", "assert: record.id == (file.stem"),
        "rules/checks/x.yaml:7:9: assert: a '(' is not closed: add the ')' that closes it, near '= (file.stem'"),
    "a field the schema does not have": (
        rule_edit("assert: record.id == file.stem", "assert: record.principal.nmae != ''"),
        "rules/checks/x.yaml:7:9: assert: school records have no field record.principal.nmae: the schema allows no "
        "other field there. Did you mean record.principal.name?"),
    "a field the schema does not have, in a message": (
        rule_edit("message: The school's id must equal the name of its file.",
                  "message: The school {record.nam} must be named after its file."),
        "rules/checks/x.yaml:9:10: message: school records have no field record.nam: the schema allows no other "
        "field there. Did you mean record.name?"),
    "a field the schema does not have, of another record": (
        rule_edit("assert: record.id == file.stem", "assert: trust.nmae != ''"),
        "rules/checks/x.yaml:7:9: assert: trust records have no field trust.nmae: the schema allows no other field "
        "there. Did you mean trust.name?"),
    "CEL undeclared variable": (
        rule_edit("assert: record.id == file.stem", "assert: record.id == flie.stem"),
        "rules/checks/x.yaml:7:9: assert: 'flie' is not a name this rule can read. Did you mean 'file'? The names it "
        "can read are: calendar, file, placements, policy, record, rule_ids, rules, same_id, settings, today, trust"),
    "bad regular expression": (
        rule_edit("assert: record.id == file.stem\n", SCAN),
        "rules/checks/x.yaml:8:12: scan.pattern is not a valid regular expression: unterminated character set at "
        "position 0"),
    "rule file ending in .yml": (
        move_rule("rules/checks/x.yml"),
        "rules/checks/x.yml:1:1: this rule file is not read: rule files end in .yaml and sit directly in "
        "rules/checks/. Rename it to rules/checks/x.yaml"),
    "rule file in a subfolder": (
        move_rule("rules/checks/extra/x.yaml"),
        "rules/checks/extra/x.yaml:1:1: this rule file is not read: rule files end in .yaml and sit directly in "
        "rules/checks/. Move it to rules/checks/x.yaml"),
    "message that starts with '{' and goes on": (
        rule_edit("message: The school's id must", "message: {record.id} must"),
        "rules/checks/x.yaml:9:10: This is not valid YAML: did not find expected key. message starts with '{', so "
        "YAML reads it as a mapping: put the whole message in quotes, or write it on the next lines after "
        "`message: >-`."),
    "message that is only a '{...}'": (
        rule_edit("message: The school's id must equal the name of its file.", "message: {record.id}"),
        "rules/checks/x.yaml:9:10: message starts with '{', so YAML reads it as a mapping: put the whole message "
        "in quotes, or write it on the next lines after `message: >-`."),
    "at that is only a '{...}'": (
        rule_edit("at: id", "at: {record.id}"),
        "rules/checks/x.yaml:8:5: at starts with '{', so YAML reads it as a mapping: put the whole value in "
        "quotes, or write it on the next lines after `at: >-`."),
    "effective until before from": (
        rule_edit("severity: error\n", "severity: error\neffective:\n  from: 2026-09-01\n  until: 2026-08-01\n"),
        "rules/checks/x.yaml:8:10: effective.until (2026-08-01) is before effective.from (2026-09-01): the rule "
        "would never apply; correct one of them."),
    "schema x-clause that the policy does not have": (
        replace("schemas/placement.schema.json", '"x-clause": "rationale"', '"x-clause": "reasons"'),
        f"schemas/placement.schema.json:93:19: x-clause 'reasons' is not in the policy ({CLAUSES}): use one of "
        "these, or mark the clause in the policy with {#reasons}."),
    "schema x-unknown-field clause that the policy does not have": (
        replace("schemas/placement.schema.json", '"rule": "privacy-unknown-field",',
                '"rule": "privacy-unknown-field",\n        "clause": "nowhere",'),
        f"schemas/placement.schema.json:27:19: x-unknown-field.clause 'nowhere' is not in the policy ({CLAUSES}): "
        "use one of these, or mark the clause in the policy with {#nowhere}."),
    "clause id twice in the policy": (
        replace(POLICY, "{#added-value}", "{#medical}"),
        f"{POLICY}:54:51: clause id 'medical' appears twice in the policy (lines 53 and 54): each clause needs "
        "its own id."),
    "schema that is not JSON": (
        write("schemas/school.schema.json", '{\n  "type": "object",,\n}\n'),
        "ap-lint: error: schemas/school.schema.json:2:20: not valid JSON: Expecting property name enclosed in double "
        "quotes"),
    "schema that is not a valid JSON Schema": (
        write("schemas/school.schema.json", '{\n  "type": "object",\n  "required": "id"\n}\n'),
        "ap-lint: error: schemas/school.schema.json:3:15: not a valid JSON Schema at required: 'id' is not of type "
        "'array'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_pack_file_is_named_with_its_line(case: str, pack_root: Path, run_cli: RunCli) -> None:
    healthy = run_cli("check", "--today", "2026-11-28", pack_root)
    assert healthy.returncode in (0, 1) and healthy.stderr == "", healthy.stderr
    breaks, expected = CASES[case]
    breaks(pack_root)
    done = run_cli("check", "--today", "2026-11-28", pack_root)
    expected = expected if expected.startswith("ap-lint: error: ") else f"ap-lint: error: {expected}"
    assert done.stderr.splitlines() == [expected]
    assert done.returncode == 2
    assert done.stdout == ""


def test_bad_settings_entry_is_named_with_its_line(pack_root: Path, run_cli: RunCli) -> None:
    settings = pack_root / "rules" / "settings.yaml"
    text = settings.read_text("utf-8")
    line = text.count("\n") + 2
    settings.write_text(text + "broken_setting:\n  value: 3\n", "utf-8")
    done = run_cli("check", "--today", "2026-11-28", pack_root)
    assert done.stderr.splitlines() == [
        f"ap-lint: error: rules/settings.yaml:{line}:3: broken_setting: 'description' is a required property"]
    assert done.returncode == 2
