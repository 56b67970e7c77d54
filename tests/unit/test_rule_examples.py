"""Every rule's examples, one test each: the rule file's own passing and failing edits of the example register.

A ``pass`` example must give no finding of its rule on its subject; a ``fail``
example must give one with the rule's id and clause, located (line > 0) at the
field the example names in ``at`` (the record itself when it names none).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from ap_lint.checker import Checker
from ap_lint.evaluate.examples import ExampleOutcome, ExampleRunner
from ap_lint.findings import parse_path
from ap_lint.pack import load_pack
from ap_lint.evaluate.rules import Rule

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKER = Checker.from_pack(load_pack(REPO_ROOT))
RULES = {rule.id: rule for rule in CHECKER.rules}


@lru_cache(maxsize=None)
def _runner() -> ExampleRunner:
    return ExampleRunner(CHECKER)


@lru_cache(maxsize=None)
def _outcomes(rule_id: str) -> dict[int, ExampleOutcome]:
    """Each example of one rule, run once and shared by that rule's tests."""
    return {outcome.index: outcome for outcome in _runner().run([RULES[rule_id]])}


def _cases() -> list[Any]:
    cases = []
    for rule in CHECKER.rules:
        # history examples build a git repository each, so they count as slow
        marks = [pytest.mark.slow] if rule.history is not None else []
        for index, example in enumerate(rule.examples):
            cases.append(pytest.param(rule, index, example, marks=marks,
                                      id=f"{rule.id}[{example['expect']}] {example['name']}"))
    return cases


def test_every_rule_has_a_passing_and_a_failing_example() -> None:
    thin = [rule.id for rule in CHECKER.rules
            if {example["expect"] for example in rule.examples} != {"pass", "fail"}]
    assert thin == []


@pytest.mark.parametrize(("rule", "index", "example"), _cases())
def test_rule_example(rule: Rule, index: int, example: dict[str, Any]) -> None:
    outcome = _outcomes(rule.id).get(index)
    assert outcome is not None, f"the example runner did not run example {index} of {rule.id}"
    assert outcome.passed, outcome.detail
    if example["expect"] == "pass":
        assert outcome.findings == ()
        return
    wanted = parse_path(example.get("at", ""))  # no `at`: the record as a whole (a deleted file)
    located = [finding for finding in outcome.findings if finding.path == wanted]
    assert located, f"no finding at {example.get('at', 'the record')}: {outcome.detail}"
    finding = located[0]
    assert (finding.rule, finding.clause) == (rule.id, rule.clause)
    assert finding.line > 0 and finding.column > 0, outcome.detail
