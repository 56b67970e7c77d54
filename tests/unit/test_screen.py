"""A kind's screen (one CEL program of all its checks) only ever saves work: evaluating a register with the
screens gives exactly the findings of applying every rule to every record, one by one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ap_lint.checker import Checker
from ap_lint.evaluate.engine import Evaluator
from ap_lint.evaluate.expressions import Environment, EvaluationError, filter_call
from ap_lint.evaluate.rules import Rule, Screen, _every_item
from ap_lint.load.register import Register, discover
from tests.conftest import REPO_ROOT, bench_module, checker_for

TODAY = "2026-11-28"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated register whose providers and schools list many placements, some broken on purpose."""
    root = tmp_path_factory.mktemp("screen") / "register"
    bench_module("generate").generate(root, 400, seed=11)
    for number, path in enumerate(sorted((root / "records/placements").rglob("*.yaml"))[:60]):
        text = path.read_text("utf-8")
        if number % 3 == 0:
            text = text.replace("status: active", "status: planned", 1)
        if number % 4 == 0:
            text = text.replace("site: main", "site: nowhere", 1)
        if number % 5 == 0:
            text = text.replace("reason: added-value", "reason: behaviour", 1)
        path.write_text(text, "utf-8")
    for number, path in enumerate(sorted((root / "records/providers").glob("*.yaml"))[:12]):
        text = path.read_text("utf-8")
        if number % 2 == 0:  # agreements and assurance that no longer cover the placements' start
            text = re.sub(r"(signed_on|received_on): [0-9-]+", r"\1: 2026-11-20", text)
        if number % 3 == 0:  # visits after the placements started
            text = re.sub(r"(    - date: )[0-9-]+", r"\g<1>2026-11-20", text)
        path.write_text(text, "utf-8")
    return root


def _findings(checker: Checker, root: Path) -> list[tuple[Any, ...]]:
    sources, _ = discover(root, checker.pack)
    register = Register(checker.pack, checker.load(sources, checker.run_context(TODAY)))
    register.build_indexes()
    found = checker.evaluator(TODAY).evaluate(register)
    return sorted((f.file, f.rule, f.severity, f.path, f.message) for f in found)


@pytest.mark.parametrize("where", ["example", "generated"])
def test_the_screens_give_the_findings_of_every_rule_applied_alone(where: str, generated: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = REPO_ROOT if where == "example" else generated
    checker = checker_for(root)
    screened = _findings(checker, root)
    monkeypatch.setattr(Screen, "suspects", lambda self, activation: self.rules)
    monkeypatch.setattr(Evaluator, "__init__", _without_reuse(Evaluator.__init__))
    alone = _findings(checker, root)
    assert screened == alone
    rules = {finding[1] for finding in alone}
    assert len(rules) >= 3
    if where == "generated":  # rules over a provider's many placements (for_each) among them
        assert {"provider-agreement-signed-before-start", "provider-assurance-before-start",
                "placement-site-exists"} <= rules, rules


def _without_reuse(init: Any) -> Any:
    """Evaluators whose rules are never asked on the screen's activation (each gets a context of its own)."""
    def made(self: Evaluator, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.screened = {kind: frozenset() for kind in self.screens}
    return made


@pytest.mark.parametrize(("source", "expected"), [
    ("placements.filter(p, p.status in settings.live)", ("placements", "p", " p.status in settings.live")),
    (" record.visits . filter(v, v.note != 'a)b') ", ("record.visits", "v", " v.note != 'a)b'")),
    ("items.filter(p, [p][0] == {'k': (1)})", ("items", "p", " [p][0] == {'k': (1)}")),
    ("items.filter(p, true).map(q, q)", None),  # more follows the call
    ("items.filter(p, true) + other", None),
    ("size(items.filter(p, true))", None),
    ("record.?visits.filter(p, true)", None),
])
def test_filter_call_reads_only_a_whole_filter_of_a_list(source: str, expected: Any) -> None:
    assert filter_call(source) == expected


LISTS: list[Any] = [[], [{"a": 1, "b": 2}, {"a": 0}], [{"a": 1, "b": 0}], [{"a": 1, "b": 2}, {"a": 1, "b": 3}],
                    [{"a": "x", "b": 1}], [{"b": 1}], [{"a": 1}], [1, 2], "text", None, [{"a": 0}, {"a": 1, "b": 0}]]


@pytest.mark.parametrize("items", LISTS)
@pytest.mark.parametrize(("condition", "check"), [
    ("p.a > 0", "item.b > 1"), ("p.a == 1", "item.b > 1 && size(items) > 0"), ("has(p.a)", "item.b != 0"),
])
def test_a_check_over_a_filter_is_exactly_true_when_it_is_over_the_list(items: Any, condition: str,
                                                                        check: str) -> None:
    """The screen checks `check` of every item of `items.filter(p, condition)` in one pass over `items`."""
    environment = Environment(["items"])
    rule = Rule(id="r", title="", clause=None, category="policy", severity="error", waivable=True, kind="k",
                message_text="", why="", source="", document={})
    filtered = environment.compile(f"(items.filter(p, {condition})).all(item, {check})")
    one_pass = environment.compile(_every_item(rule, f"items.filter(p, {condition})", check))
    assert "filter" not in one_pass.source
    assert (_outcome(one_pass, environment, items) is True) == (_outcome(filtered, environment, items) is True)


def _outcome(program: Any, environment: Environment, items: Any) -> Any:
    try:
        return program.evaluate(environment.activation({"items": items}))
    except EvaluationError:
        return "error"
