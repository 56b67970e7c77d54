"""CEL expressions and message templates: compile once, fail with a position, render plainly."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ap_lint.evaluate.expressions import Environment, EvaluationError, ExpressionError, Template


@pytest.fixture(scope="module")
def env() -> Environment:
    return Environment(["record", "today", "settings"])


def activation(env: Environment, record: dict[str, Any] | None = None, today: str = "2026-11-28") -> Any:
    return env.activation({"record": record or {}, "today": today, "settings": {"limit": 3}})


def test_environment_declares_its_variables_once_each() -> None:
    assert Environment(["b", "a", "b"]).variables == ("a", "b")


@pytest.mark.parametrize(("source", "message"), [
    ("recrd.x", "'recrd' is not a name this rule can read. Did you mean 'record'? The names it can read are: record, "
                "settings, today"),
    ("size(record", "a '(' is not closed: add the ')' that closes it, near 'size(record'"),
    ("record.x >= 7)", "there is a ')' that nothing opened: remove it, or add the bracket it closes, near 'ecord.x >= 7)'"),
    ("record.x >= 7 and record.y", "'and' is not a word CEL knows: write && for and, || for or, and ! for not, near "
                                   "'cord.x >= 7 and reco'"),
    ("record.x = 'a'", "a single '=' does not compare: write == (or != for not equal), near 'record.x = 'a''"),
    ("record.x == 'a", "a quote is not closed: end the text with the quote it starts with, near 'record.x == 'a'"),
    ("days_betwen(record.x, today)", "'days_betwen' is not a function rules can call. Did you mean 'days_between'? "
                                     "docs/rules.md lists the helper functions"),
])
def test_compile_errors_are_one_plain_line_with_the_text_near_the_mistake(env: Environment, source: str,
                                                                          message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        env.compile(source)
    assert str(caught.value) == message


def test_a_truncated_expression_is_a_syntax_error_at_its_end(env: Environment) -> None:
    with pytest.raises(ExpressionError) as caught:
        env.compile("record.x +")
    assert str(caught.value) == ("the expression stops before it is complete: something is missing after its last "
                                 "operator or comma, near 'record.x +'")
    assert "\n" not in str(caught.value)


def test_programs_evaluate_to_plain_python_values(env: Environment) -> None:
    values = activation(env, {"a": [1, 2], "d": "2026-01-01"})
    assert env.compile("record.a.map(x, x * 2)").evaluate(values) == [2, 4]
    assert env.compile("record.d < today").evaluate(values) is True
    assert env.compile("settings.limit").evaluate(values) == 3
    assert env.compile("record.?missing.orValue('none')").evaluate(values) == "none"
    assert env.compile("cel.bind(n, size(record.a), n * n)").evaluate(values) == 4
    assert env.compile("math.greatest(record.a)").evaluate(values) == 2
    assert env.compile("'a, b'.split(', ')").evaluate(values) == ["a", "b"]


def test_the_helper_functions_are_declared(env: Environment) -> None:
    values = activation(env, {"sessions": [{"start": "09:00", "end": "12:30"}]})
    assert env.compile("days_between('2026-11-18', today)").evaluate(values) == 10
    assert env.compile("add_days(today, 3)").evaluate(values) == "2026-12-01"
    assert env.compile("weekday(today)").evaluate(values) == "saturday"
    assert env.compile("weekly_hours(record.sessions)").evaluate(values) == 3.5


def test_a_missing_field_is_an_evaluation_error(env: Environment) -> None:
    with pytest.raises(EvaluationError, match='Key not found in map : "missing"'):
        env.compile("record.missing == 1").evaluate(activation(env))


def test_a_type_mismatch_is_an_evaluation_error(env: Environment) -> None:
    with pytest.raises(EvaluationError, match="No matching overloads"):
        env.compile("record.a + 1").evaluate(activation(env, {"a": "text"}))


def test_a_helper_given_a_bad_date_is_an_evaluation_error(env: Environment) -> None:
    with pytest.raises(EvaluationError, match="days_between: day is out of range for month"):
        env.compile("days_between('2026-02-30', today)").evaluate(activation(env))


def test_holds_needs_a_boolean(env: Environment) -> None:
    assert env.compile("size(record) == 0").holds(activation(env)) is True
    with pytest.raises(EvaluationError) as caught:
        env.compile("record.a").holds(activation(env, {"a": "s"}))
    assert str(caught.value) == "'record.a' gave 's', not true or false"


def render(env: Environment, text: str, record: dict[str, Any]) -> str:
    return Template.compile(text, env).render(activation(env, record))


def test_template_fills_placeholders_and_keeps_doubled_braces(env: Environment) -> None:
    assert render(env, "{{id}} is {record.id} on { today }.", {"id": "a-1"}) == "{id} is a-1 on 2026-11-28."
    assert render(env, "no placeholders", {}) == "no placeholders"
    assert render(env, "}}{{", {}) == "}{"


@pytest.mark.parametrize(("value", "text"), [
    (None, "(none)"),
    (True, "true"),
    (False, "false"),
    (["a", 1, 2.5], "a, 1, 2.5"),
    ([], ""),
    (18.0, "18"),
    (91.5, "91.5"),
    (2 / 3, "0.67"),
    (12345678.0, "12345678"),
    (7, "7"),
    ("text", "text"),
])
def test_template_renders_values_plainly(env: Environment, value: Any, text: str) -> None:
    assert render(env, "[{record.v}]", {"v": value}) == f"[{text}]"


def test_template_shows_a_value_it_cannot_evaluate_as_not_recorded(env: Environment) -> None:
    assert render(env, "Ended on {record.ended.date}.", {}) == "Ended on (not recorded)."


def test_template_compile_errors_are_expression_errors(env: Environment) -> None:
    with pytest.raises(ExpressionError, match="^'recrd' is not a name this rule can read. Did you mean 'record'?"):
        Template.compile("Hello {recrd}", env)


def test_list_arguments_reach_helper_functions_as_fresh_copies() -> None:
    """The engine empties list arguments after a helper function returns, to stop a leak in the CEL binding.

    That is only safe while the binding hands each call a converted copy: if it ever passes the record's
    own list, this test fails before any record could be emptied.
    """
    from ap_lint.evaluate.expressions import Environment
    from ap_lint.evaluate.functions import FUNCTIONS

    seen: list[int] = []
    implementation, returns, params = FUNCTIONS["weekly_hours"]

    def spy(sessions: list[object]) -> float:
        seen.append(id(sessions))
        return float(implementation(sessions))

    FUNCTIONS["weekly_hours"] = (spy, returns, params)
    try:
        environment = Environment(["record"])
        sessions = [{"day": "monday", "start": "09:00", "end": "12:30"}]
        record = {"timetable": sessions}
        program = environment.compile("weekly_hours(record.timetable)")
        assert program.evaluate(environment.activation({"record": record})) == 3.5
    finally:
        FUNCTIONS["weekly_hours"] = (implementation, returns, params)
    assert seen and seen[0] != id(sessions)
    assert record["timetable"] == [{"day": "monday", "start": "09:00", "end": "12:30"}]


def test_word_count_counts_words_between_any_white_space(env: Environment) -> None:
    values = activation(env, {"text": "  Small-group\tteaching\n\nin   English. ", "long": "word " * 100_000})
    assert env.compile("word_count(record.text)").evaluate(values) == 4
    assert env.compile("word_count('')").evaluate(values) == 0
    assert env.compile("word_count(record.long)").evaluate(values) == 100_000


@pytest.mark.parametrize(("source", "text"), [
    ("plural(1, 'day')", "1 day"), ("plural(0, 'day')", "0 days"), ("plural(3, 'day')", "3 days"),
    ("plural(1, 'child', 'children')", "1 child"), ("plural(2, 'child', 'children')", "2 children"),
])
def test_plural_says_a_count_with_its_word(env: Environment, source: str, text: str) -> None:
    assert env.compile(source).evaluate(env.activation({})) == text


def _placeholders_by_definition(text: str) -> list[tuple[str, bool]] | None:
    """The template grammar read one character at a time (None: a '{' that is never closed)."""
    parts: list[tuple[str, bool]] = []
    literal, index = "", 0
    while index < len(text):
        char = text[index]
        if char in "{}" and text[index:index + 2] == char * 2:
            literal, index = literal + char, index + 2
            continue
        if char != "{":
            literal, index = literal + char, index + 1
            continue
        depth, end, quote = 0, index, ""
        while end < len(text):
            current = text[end]
            if quote:
                if current == "\\":
                    end += 1
                elif current == quote:
                    quote = ""
            elif current in "'\"":
                quote = current
            elif current == "{":
                depth += 1
            elif current == "}":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        if depth != 0:
            return None
        if literal:
            parts.append((literal, False))
            literal = ""
        parts.append((text[index + 1:end], True))
        index = end + 1
    if literal:
        parts.append((literal, False))
    return parts


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="{}'\"\\ab.", max_size=40))
def test_template_text_splits_as_the_grammar_reads_it_one_character_at_a_time(text: str) -> None:
    from ap_lint.evaluate.expressions import _placeholders

    expected = _placeholders_by_definition(text)
    if expected is None:
        with pytest.raises(ExpressionError, match="is never closed"):
            _placeholders(text)
    else:
        assert _placeholders(text) == expected
