"""The package keeps the shape docs/architecture.md describes: no module over 500 lines."""

from __future__ import annotations

from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "ap_lint"
MOST_LINES = 500


def test_no_module_is_over_500_lines() -> None:
    sizes = {path.relative_to(SOURCE).as_posix(): len(path.read_text("utf-8").splitlines())
             for path in SOURCE.rglob("*.py")}
    assert len(sizes) > 50
    assert {name: lines for name, lines in sizes.items() if lines > MOST_LINES} == {}


def test_every_rule_of_the_pack_with_an_assertion_is_screened() -> None:
    # A rule left out of its kind's screen is evaluated alone on every record (a rule whose assertion uses `index`
    # is screened by its `when` only): give such a rule a `when` that holds only where it may fail.
    from ap_lint.checker import Checker
    from ap_lint.pack import load_pack

    checker = Checker.from_pack(load_pack(SOURCE.parents[1]))
    alone = {}
    for kind in checker.pack.kinds:
        rules = [checker.compiler.for_kind(r, kind) for r in checker.rules if kind in (r.kinds or (r.kind,))]
        screen = checker.compiler.screen(kind, rules)
        alone[kind] = [r.id for r in screen.unscreened if r.assertion is not None]
    assert {kind: ids for kind, ids in alone.items() if ids} == {}
