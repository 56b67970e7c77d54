"""Sub-commands that read the policy pack: explain, coverage, test-rules, docs."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from ap_lint.checker import Checker
from ap_lint.cli.common import EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK, PACK_OPTION
from ap_lint.errors import ApLintError
from ap_lint.evaluate.examples import ExampleRunner
from ap_lint.fsutil import write_atomic
from ap_lint.pack import find_pack, load_pack
from ap_lint.load.register import find_register_root
from ap_lint.output.ruledocs import coverage, explain, rules_markdown


def _checker(pack_dir: Path | None) -> Checker:
    root = find_register_root(Path.cwd()) or Path.cwd()
    return Checker.from_pack(load_pack(find_pack(root, pack_dir)))


@click.command(name="explain")
@click.argument("rule_id")
@PACK_OPTION
def explain_command(rule_id: str, pack_dir: Path | None) -> None:
    """Explain RULE_ID: what it requires, the policy clause, why, and its examples."""
    checker = _checker(pack_dir)
    text = explain(checker.pack, checker.rules, rule_id, _example_findings(checker, rule_id))
    if text is None:
        known = sorted(r.id for r in checker.rules)
        close = difflib.get_close_matches(rule_id, known, n=3, cutoff=0.6)
        if close and difflib.SequenceMatcher(None, rule_id, close[0]).ratio() >= 0.9:
            close = close[:1]  # one spelling mistake away: that is the rule meant
        if close:
            meant = " or ".join(f"'{name}'" for name in close)
            raise click.UsageError(f"There is no rule '{rule_id}'. Did you mean {meant}? "
                                   "(ap-lint coverage lists every rule by clause.)")
        raise click.UsageError(f"There is no rule '{rule_id}'. Rules: {', '.join(known)}.")
    click.echo(text, nl=False)


def _example_findings(checker: Checker, rule_id: str) -> list[tuple[str, str]]:
    """The message the rule gives on each of its failing examples that behaves as documented (the first two)."""
    rules = [r for r in checker.rules if r.id == rule_id]
    if not rules or not checker.pack.examples_register:
        return []
    try:
        outcomes = ExampleRunner(checker).run(rules)
    except ApLintError:
        return []  # the examples cannot be run: explain the rule without them
    shown = []
    for outcome in outcomes:
        mine = [f for f in outcome.findings if f.rule == rule_id]
        if outcome.expect == "fail" and outcome.passed and mine:
            shown.append((outcome.name, mine[0].message))
    return shown[:2]


@click.command(name="coverage")
@PACK_OPTION
def coverage_command(pack_dir: Path | None) -> None:
    """List each policy clause with the rules that enforce it; fail if one is uncovered."""
    checker = _checker(pack_dir)
    table = coverage(checker.pack, checker.rules)
    uncovered = [row for row in table if not row.covered and not row.not_checkable]
    for row in table:
        if row.covered:
            schema = f" (and the schema: {', '.join(row.schema_fields)})" if row.schema_fields else ""
            in_force = {r.id: r.effective_text for r in checker.rules if r.effective_text}
            names = [f"{name} (in force {in_force[name]})" if name in in_force else name for name in row.rules]
            click.echo(f"{row.clause}: covered by {', '.join(names)}{schema}")
        elif row.not_checkable:
            click.echo(f"{row.clause}: not machine-checkable: {' '.join(row.not_checkable.split())}")
        else:
            click.echo(f"{row.clause}: NOT COVERED: add a rule with clause: {row.clause}")
    covered = sum(1 for row in table if row.covered)
    click.echo(f"{covered} of {len(table)} clauses covered, {len(table) - covered - len(uncovered)} not "
               f"machine-checkable, {len(uncovered)} uncovered.")
    sys.exit(EXIT_FINDINGS if uncovered else EXIT_OK)


@click.command(name="test-rules")
@click.option("--rule", "only", multiple=True, help="Test only this rule (repeatable).")
@PACK_OPTION
def test_rules_command(only: tuple[str, ...], pack_dir: Path | None) -> None:
    """Run every rule's passing and failing examples against the example register."""
    checker = _checker(pack_dir)
    rules = [r for r in checker.rules if not only or r.id in only]
    if only and len(rules) != len(set(only)):
        missing = set(only) - {r.id for r in rules}
        raise click.UsageError(f"No such rule: {', '.join(sorted(missing))}.")
    outcomes = ExampleRunner(checker).run(rules)
    failed = [o for o in outcomes if not o.passed]
    for outcome in outcomes:
        mark = "ok  " if outcome.passed else "FAIL"
        click.echo(f"{mark} {outcome.rule.id} [{outcome.expect}] {outcome.name}: {outcome.detail}")
    click.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


@click.command(name="docs")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("docs/rules.md"),
              show_default=True, help="Where to write the rule reference.")
@click.option("--check", "check_only", is_flag=True, help="Do not write; fail if the file is out of date.")
@PACK_OPTION
def docs_command(output: Path, check_only: bool, pack_dir: Path | None) -> None:
    """Write the rule reference (docs/rules.md) from the rule files."""
    checker = _checker(pack_dir)
    text = rules_markdown(checker.pack, checker.rules)
    if check_only:
        current = output.read_text("utf-8") if output.is_file() else ""
        if current != text:
            click.echo(f"{output} is out of date: run `ap-lint docs`.", err=True)
            sys.exit(EXIT_FINDINGS)
        click.echo(f"{output} is up to date.")
        return
    write_atomic(output, text)
    click.echo(f"Wrote {output}.")


__all__ = ["EXIT_FAILURE"]
