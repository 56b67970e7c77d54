"""Which fields of a variable an expression reads, and giving it only those.

CEL converts the whole of a variable's value when an expression first reads it. A screen (one program of
all of a kind's checks) is given each mapping cut down to the fields it selects by name (``narrowed``).
That must never change what an expression gives: whenever a variable may be read in any other way, it is
given whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ap_lint.checker import Checker
from ap_lint.evaluate.expressions import Environment, EvaluationError, Program, fields_read, narrowed, values_key
from ap_lint.load.register import Register, discover
from tests.conftest import REPO_ROOT, checker_for

TODAY = "2026-11-28"


@pytest.mark.parametrize(("source", "expected"), [
    ("s.a > 1 && s.?b.orValue(0) == 2 && has(s.c)", {"s": {"a", "b", "c"}}),
    ("s != null && null != s && s == null ? s.a : 0", {"s": {"a"}}),
    ("s.a.b.size() > 0", {"s": {"a"}}),  # a method on a field reads that field only
    ("size(s) == 2", {"s": None}),
    ("s.all(k, k != '')", {"s": None}),  # a method (or macro) of the variable itself reads it all
    ("s['a'] == 1 || s[?'a'].hasValue()", {"s": None}),
    ("'a' in s", {"s": None}),
    ("s == {'a': 1}", {"s": None}),
    ("s == null.x", {"s": None}),
    ("[s][0].a == 1", {"s": None}),
    ("cel.bind(s, t, s.a)", {"s": None, "t": None}),  # a name bound inside the expression is another value
    ("[t].map(s, s.a)[0] == s.b", {"s": None, "t": None}),
    ("t.s.a == 'x.s.b' && t.q == 1", {"t": {"s", "q"}}),  # a field named like a variable is not the variable
    ("t.a == 's.x' && t.b == \"s[0]\" && t.c == r'''s\\'''", {"t": {"a", "b", "c"}}),  # nor is text in a string
    ("t.a == 1 // s.b\n && t.b == 2", {"t": {"a", "b"}}),  # nor a comment
    ("today > '2026'", {"today": None}),
])
def test_fields_read_are_the_fields_selected_by_name(source: str, expected: dict[str, set[str] | None]) -> None:
    found = fields_read(source, ["s", "t", "today"])
    assert {name: set(keep) if keep is not None else None for name, keep in found.items()} == expected


CONTEXT: dict[str, Any] = {
    "s": {"a": 1, "b": 2, "c": {"d": [1, 2]}, "e": "text"},
    "t": {"s": {"a": "x", "b": "y"}, "q": 1, "a": 1, "b": 2, "c": 3},
    "today": TODAY,
}


@pytest.mark.parametrize("source", [
    "s.a + s.b", "has(s.z)", "s.?z.orValue(7)", "s.c.d.size()", "size(s)", "s.all(k, k != 'e')",
    "s.exists(k, k == 'e')", "'e' in s", "s == {'a': 1}", "[s][0].b", "cel.bind(x, s, size(x))",
    "[t].map(s, s.q)[0]", "t.s.a", "s != null && s.a == 1", "s.z", "s['e']", "string(s.e) + t.s.b",
    "t.map(k, k).size()", "s.filter(k, k in t).size()",
])
def test_an_expression_gives_the_same_with_only_the_fields_it_reads(source: str) -> None:
    environment = Environment(["s", "t", "today"])
    program = environment.compile(source)
    assert outcome(program, environment, narrowed(CONTEXT, fields_read(source, environment.variables))) == \
        outcome(program, environment, CONTEXT)


def outcome(program: Program, environment: Environment, variables: dict[str, Any]) -> Any:
    try:
        return program.evaluate(environment.activation(variables))
    except EvaluationError as error:
        return ("error", str(error))


@pytest.fixture(scope="module")
def checked() -> tuple[Checker, Register]:
    checker = checker_for(REPO_ROOT)
    sources, _ = discover(Path(REPO_ROOT), checker.pack)
    register = Register(checker.pack, checker.load(sources, checker.run_context(TODAY)))
    register.build_indexes()
    return checker, register


def test_every_program_of_the_pack_gives_the_same_with_only_the_fields_it_reads(
        checked: tuple[Checker, Register]) -> None:
    """Each kind's screen, each rule's condition and assertion and each history rule's condition, over
    every record of the example register: the same value, or the same error, with the variables narrowed
    as with them whole."""
    checker, register = checked
    evaluator = checker.evaluator(TODAY)
    singles = {name: register.single(spec) for name, spec in checker.pack.kinds.items() if spec.single}
    compared = 0
    for record in register.records:
        if record.kind not in evaluator.rules_by_kind or not record.valid:
            continue
        variables, _ = evaluator.record_variables(register, record, singles)
        environment = checker.compiler.environment(record.kind)
        screen = evaluator.screens[record.kind]
        programs = [program for rule in evaluator.rules_by_kind[record.kind] if rule.for_each is None
                    for program in (rule.when, rule.assertion) if program is not None]
        programs += [screen.program] if screen.program is not None else []
        programs += [rule.when for rule in checker.rules  # the history pass asks a history rule's condition
                     if rule.history is not None and rule.kind == record.kind and rule.when is not None]
        for program in programs:
            reads = fields_read(program.source, environment.variables)
            assert outcome(program, environment, narrowed(variables, reads)) == \
                outcome(program, environment, variables), (record.file, program.source)
            compared += 1
        for rule in screen.screened:  # a rule the screen checks is asked on the screen's own variables
            for program in (rule.when, rule.for_each, rule.assertion):
                if program is not None:
                    assert outcome(program, environment, narrowed(variables, screen.reads)) == \
                        outcome(program, environment, variables), (record.file, program.source)
                    compared += 1
    assert compared > 100


def test_values_key_tells_apart_every_value_an_expression_could_tell_apart() -> None:
    fields = fields_read("s.a == 1 && t == 'x'", ["s", "t"])
    keys = [values_key({"s": {"a": value}, "t": "x"}, fields) for value in (1, 1.0, True, "1", None)]
    keys += [values_key({"s": {}, "t": "x"}, fields), values_key({"s": None, "t": "x"}, fields),
             values_key({"s": {"a": 1}}, fields), values_key({"s": {"a": 1}, "t": None}, fields)]
    assert None not in keys
    assert len(set(keys)) == len(keys)
    assert values_key({"s": {"a": 1}, "t": "x"}, fields) == values_key({"s": {"a": 1}, "t": "x", "u": [1]}, fields)


def test_values_key_gives_none_for_what_is_not_plain() -> None:
    assert values_key({"s": {"a": [1]}}, fields_read("s.a == [1]", ["s"])) is None
    assert values_key({"s": {"a": 1}}, fields_read("size(s) == 1", ["s"])) is None  # read whole
    assert values_key({"s": [1]}, fields_read("s == [1]", ["s"])) is None
