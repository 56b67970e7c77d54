"""`ap-lint test-rules` on a copy of the pack with a new rule: it fails an example the rule cannot be
evaluated on, and refuses an example whose subject or edited record the examples register does not have
(or whose subject is of a kind the rule does not apply to), at its line in the rule file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RunCli, readme_rule

RULE_FILE = "rules/checks/placement-year-group-secondary.yaml"


@pytest.fixture
def pack_root(register_with_pack: Path) -> Path:
    """A register root that holds its own copy of the pack and the example records, plus README's new rule."""
    (register_with_pack / RULE_FILE).write_text(readme_rule(), "utf-8")
    return register_with_pack


def _test_rules(root: Path, run_cli: RunCli, old: str = "", new: str = "") -> "object":
    path = root / RULE_FILE
    assert old in path.read_text("utf-8")
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")
    return run_cli("test-rules", "--rule", "placement-year-group-secondary", cwd=root)


def test_the_new_rule_passes_its_examples(pack_root: Path, run_cli: RunCli) -> None:
    done = _test_rules(pack_root, run_cli)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "2 passed, 0 failed"


def test_a_rule_error_on_the_subject_fails_a_pass_example(pack_root: Path, run_cli: RunCli) -> None:
    done = _test_rules(pack_root, run_cli, "assert: record.pupil.year_group >= 7",
                       "assert: record.pupil.year_group >= 7 && settings.review_interval >= 1")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "FAIL placement-year-group-secondary [pass] year 9: the rule could not be evaluated on "
        "records/placements/oakfield/oakfield-2026-001.yaml:1:1: Rule 'placement-year-group-secondary' could not "
        "be checked on this record (NOT_FOUND: Key not found in map : \"review_interval\"). Check the fields it "
        "reads, or report the rule to its owners.")
    assert lines[-1] == "1 passed, 1 failed"


def test_a_rule_error_on_the_subject_is_shown_with_its_location_for_a_fail_example(
        pack_root: Path, run_cli: RunCli) -> None:
    done = _test_rules(pack_root, run_cli, "assert: record.pupil.year_group >= 7",
                       "assert: record.pupil.year_group >= 7 || settings.review_interval >= 1")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith(
        "FAIL placement-year-group-secondary [fail] year 5: the rule could not be evaluated on "
        "records/placements/oakfield/oakfield-2026-001.yaml:1:1: Rule 'placement-year-group-secondary' could not "
        "be checked on this record (NOT_FOUND")
    assert lines[-1] == "1 passed, 1 failed"


def _refused(done: "object") -> list[str]:
    assert done.returncode == 2, done.stdout + done.stderr  # type: ignore[attr-defined]
    assert done.stdout == ""  # type: ignore[attr-defined]
    return done.stderr.splitlines()  # type: ignore[attr-defined]


def test_a_pass_example_of_a_record_the_register_does_not_have_is_refused(pack_root: Path, run_cli: RunCli) -> None:
    done = _test_rules(pack_root, run_cli, "subject: placements/oakfield/oakfield-2026-001",
                       "subject: placements/oakfield-2026-001")
    assert _refused(done) == [
        f"ap-lint: error: {RULE_FILE}:13:5: example 'year 9' names the subject placements/oakfield-2026-001, which "
        "the examples register does not have: write the path of one of its records under records/, without "
        ".yaml (for example placements/oakfield/oakfield-2026-001)"]


def test_a_pass_example_of_a_record_of_another_kind_is_refused(pack_root: Path, run_cli: RunCli) -> None:
    done = _test_rules(pack_root, run_cli, "subject: placements/oakfield/oakfield-2026-001",
                       "subject: schools/oakfield")
    assert _refused(done) == [
        f"ap-lint: error: {RULE_FILE}:13:5: example 'year 9' names the subject schools/oakfield, a school record, "
        "but the rule applies to placement records: name one of those as the subject"]


def test_an_example_editing_a_record_the_register_does_not_have_is_refused_at_its_line(
        pack_root: Path, run_cli: RunCli) -> None:
    done = _test_rules(pack_root, run_cli, "      placements/oakfield/oakfield-2026-001:\n",
                       "      placements/oakfield-2026-001:\n")
    assert _refused(done) == [
        f"ap-lint: error: {RULE_FILE}:16:5: example 'year 5' edits placements/oakfield-2026-001, which the "
        "examples register does not have: write the path of one of its records under records/, without .yaml "
        "(for example placements/oakfield/oakfield-2026-001)"]
