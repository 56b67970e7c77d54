"""Rules as documents: the generated reference is current, coverage is complete, explain reads well."""

from __future__ import annotations

from pathlib import Path

from ap_lint.checker import Checker
from ap_lint.output.ruledocs import coverage, rules_markdown
from tests.conftest import checker_for, readme_rule

REPO_ROOT = Path(__file__).resolve().parents[2]


def _checker() -> Checker:
    return checker_for(REPO_ROOT)


def test_docs_rules_md_is_generated_from_the_current_rules() -> None:
    """docs/rules.md is stale when a rule changes without `ap-lint docs`; this fails then."""
    checker = _checker()
    expected = rules_markdown(checker.pack, checker.rules)
    assert (REPO_ROOT / "docs/rules.md").read_text("utf-8") == expected, "run `ap-lint docs` and commit docs/rules.md"


def test_docs_check_command_agrees(run_cli) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("docs", "--check", cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "docs/rules.md is up to date.\n"


def test_every_enforceable_clause_has_a_rule() -> None:
    checker = _checker()
    table = coverage(checker.pack, checker.rules)
    uncovered = [row.clause for row in table if not row.covered and not row.not_checkable]
    assert uncovered == []
    assert [row.clause for row in table if not row.covered] == ["purpose.inclusion"]
    assert len(table) == 16


def test_coverage_command_lists_every_clause_and_passes(run_cli) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("coverage", cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "15 of 16 clauses covered, 1 not machine-checkable, 0 uncovered."
    assert lines[0].startswith("purpose.inclusion: not machine-checkable: A statement of the trust's intent")
    assert any(line.startswith("unregistered.approval: covered by ") for line in lines)


def test_coverage_fails_when_a_clause_loses_its_rules(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    import shutil
    for folder in ("rules", "schemas", "policy"):
        shutil.copytree(REPO_ROOT / folder, tmp_path / folder)
    for rule in (tmp_path / "rules/checks").glob("*.yaml"):
        if "\nclause: medical\n" in rule.read_text("utf-8"):
            rule.unlink()
    (tmp_path / "records").mkdir()
    done = run_cli("coverage", "--pack", tmp_path, cwd=tmp_path)
    assert done.returncode == 1
    assert "medical: NOT COVERED: add a rule with clause: medical" in done.stdout.splitlines()


def test_explain_quotes_the_policy_and_shows_examples(run_cli) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("explain", "behaviour-directed-by-principal", cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ("behaviour-directed-by-principal: A behaviour placement is directed by the Principal in "
                        "post on the decision date, on or before its start")
    assert "Clause:     behaviour.direction" in lines
    assert ('Policy:     "The Principals of the schools in CRST have the power to direct a pupil/student to an '
            'alternative provider to modify and improve their behaviour."') in lines
    assert "  fail: decided by someone else" in lines


def test_explain_an_unknown_rule_is_a_usage_error(run_cli) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("explain", "no-such-rule", cwd=REPO_ROOT)
    assert done.returncode == 2
    assert "There is no rule 'no-such-rule'." in done.stderr


def test_a_new_rule_file_fires_on_a_temporary_register(register_copy: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """Adding a rule is one YAML file: drop it into a copy of the pack and it fires."""
    import shutil
    for folder in ("rules", "schemas", "policy"):
        shutil.copytree(REPO_ROOT / folder, register_copy / folder)
    (register_copy / "rules/checks/placement-year-group-secondary.yaml").write_text(readme_rule(), "utf-8")
    placement = register_copy / "records/placements/oakfield/oakfield-2026-001.yaml"
    placement.write_text(placement.read_text("utf-8").replace("year_group: 9", "year_group: 5"), "utf-8")
    done = run_cli("check", register_copy, "--today", "2026-11-28", "--no-cache", cwd=register_copy)
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("records/placements/oakfield/oakfield-2026-001.yaml:6:15: error [placement-year-group-secondary] "
            "Year 5 is primary age; the trust places only secondary pupils. (purpose.limited)") in done.stdout.splitlines()
    tested = run_cli("test-rules", "--rule", "placement-year-group-secondary", cwd=register_copy)
    assert tested.returncode == 0, tested.stdout
    assert tested.stdout.splitlines()[-1] == "2 passed, 0 failed"


def test_explain_a_misspelt_rule_suggests_the_rule_meant(run_cli) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("explain", "provider-not-inadequat", cwd=REPO_ROOT)
    assert done.returncode == 2
    assert "There is no rule 'provider-not-inadequat'. Did you mean 'provider-not-inadequate'?" in done.stderr
    assert "ap-lint coverage" in done.stderr and "placement-rationale-substantive" not in done.stderr


def test_explain_shows_a_finding_as_it_reads_before_the_cel_that_checks_it(run_cli) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("explain", "behaviour-review-overdue", cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    said = lines.index("What a finding says (on the rule's own examples)")
    authors = lines.index("How it is checked (CEL, for the rule's authors)")
    assert said < authors
    # the message as the data team would read it on the failing example: rendered, with no template left in it
    assert lines[said + 1] == "  last reviewed seven weeks ago:"
    assert lines[said + 2].startswith("    This active placement is overdue for review: its last review was on ")
    assert "{" not in lines[said + 2]
    # the CEL is there for the rule's authors, and only after the plain-English part
    assert all("record." not in line for line in lines[:authors])
    assert "  What must hold:" in lines[authors:]
