"""The evaluator: rules with when, for_each, at and message over a tiny pack (shops and orders)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ap_lint.checker import Checker
from ap_lint.evaluate.engine import RULE_ERROR, EvaluationContext, Evaluator
from ap_lint.errors import PolicyPackError
from ap_lint.pack import load_pack
from ap_lint.load.register import Register, discover
from conftest import write_files

Row = tuple[str, str, str | None, str, str, str]


def evaluate(root: Path, today: str = "2026-05-01") -> list[Row]:
    """Every rule finding on the register at ``root``: (rule, severity, clause, file, path, message)."""
    checker = Checker.from_pack(load_pack(root))
    sources, _ = discover(root, checker.pack)
    records = checker.load(sources)
    evaluator = Evaluator(checker.compiler, checker.rules, EvaluationContext(
        today=today, settings=checker.pack.settings, rule_ids=[r.id for r in checker.rules]))
    findings = evaluator.evaluate(Register(checker.pack, records))
    assert all(f.line == 0 and f.column == 0 for f in findings), "the engine leaves locating to the checker"
    return sorted((f.rule, f.severity, f.clause, f.file, f.path_text, f.message) for f in findings)


def add(root: Path, relative: str, text: str) -> None:
    write_files(root, {relative: text})


def test_a_clean_register_has_no_findings(tiny_register: Path) -> None:
    assert evaluate(tiny_register) == []


def test_an_assertion_that_fails_reports_its_rule_clause_path_and_message(tiny_register: Path) -> None:
    add(tiny_register, "records/orders/o-2.yaml", "id: o-2\nshop: corner\ncustomer: c-2\nitems: [a, b, c, d]\n")
    assert evaluate(tiny_register) == [
        ("order-small", "error", "orders.small", "records/orders/o-2.yaml", "items",
         "Order o-2 has 4 items; at most 3 are allowed."),
    ]


def test_settings_come_from_the_pack(tiny_register: Path) -> None:
    add(tiny_register, "rules/settings.yaml", "max_items:\n  value: 1\n  description: Most items one order may hold.\n")
    assert evaluate(tiny_register) == [
        ("order-small", "error", "orders.small", "records/orders/o-1.yaml", "items",
         "Order o-1 has 2 items; at most 1 are allowed."),
    ]


def test_a_relation_is_seen_by_name(tiny_register: Path) -> None:
    add(tiny_register, "records/orders/o-2.yaml", "id: o-2\nshop: mill\ncustomer: c-2\nitems: [a]\n")
    assert evaluate(tiny_register) == [
        ("order-shop-open", "error", "orders.shop", "records/orders/o-2.yaml", "shop",
         "Mill Shop is closed: choose an open shop."),
    ]


def test_when_false_skips_the_rule(tiny_register: Path) -> None:
    # shop is null (no such shop), so `when: shop != null` is false and `shop.open` is never read
    add(tiny_register, "records/orders/o-2.yaml", "id: o-2\nshop: nowhere\ncustomer: c-2\nitems: [a]\n")
    assert evaluate(tiny_register) == []


def test_for_each_checks_every_item_and_points_at_it(tiny_register: Path) -> None:
    add(tiny_register, "records/orders/o-2.yaml", "id: o-2\nshop: corner\ncustomer: c-2\nitems: [' ', jam, '']\n")
    assert evaluate(tiny_register) == [
        ("order-item-named", "warning", None, "records/orders/o-2.yaml", "items[0]",
         "Item 1 of o-2 is blank; write what was ordered."),
        ("order-item-named", "warning", None, "records/orders/o-2.yaml", "items[2]",
         "Item 3 of o-2 is blank; write what was ordered."),
    ]


def test_a_group_relation_excludes_the_record_itself(tiny_register: Path) -> None:
    add(tiny_register, "records/orders/o-2.yaml", "id: o-2\nshop: corner\ncustomer: c-1\nitems: [jam]\n")
    assert evaluate(tiny_register) == [
        ("order-one-per-customer", "error", None, "records/orders/o-1.yaml", "customer",
         "c-1 also has o-2: merge the orders."),
        ("order-one-per-customer", "error", None, "records/orders/o-2.yaml", "customer",
         "c-1 also has o-1: merge the orders."),
    ]


def test_today_is_a_parameter(tiny_register: Path) -> None:
    add(tiny_register, "rules/checks/order-not-in-future.yaml", """\
id: order-not-in-future
title: Orders are not dated after today
clause: null
severity: error
applies_to: order
when: has(record.due)
assert: record.due <= today
at: due
message: The order is due on {record.due}, after today ({today}).
why: Nobody can deliver in the past.
examples: [{name: a, expect: pass}, {name: b, expect: fail}]
""")
    add(tiny_register, "schemas/order.schema.json", (tiny_register / "schemas/order.schema.json").read_text()
        .replace('"items": {', '"due": {"type": "string"}, "items": {'))
    add(tiny_register, "records/orders/o-2.yaml", "id: o-2\nshop: corner\ncustomer: c-2\nitems: [a]\ndue: 2026-06-01\n")
    assert evaluate(tiny_register, today="2026-07-01") == []
    assert evaluate(tiny_register, today="2026-05-01") == [
        ("order-not-in-future", "error", None, "records/orders/o-2.yaml", "due",
         "The order is due on 2026-06-01, after today (2026-05-01)."),
    ]


def test_at_is_a_template(tiny_register: Path) -> None:
    add(tiny_register, "rules/checks/order-first-item-short.yaml", """\
id: order-first-item-short
title: The first item of an order has a short name
clause: orders.small
severity: warning
applies_to: order
assert: size(record.items) == 0 || size(record.items[0]) <= 5
at: "{size(record.items) > 0 ? 'items[0]' : 'items'}"
message: "'{record.items[0]}' is too long a name."
why: Labels are small.
examples: [{name: a, expect: pass}, {name: b, expect: fail}]
""")
    add(tiny_register, "records/orders/o-2.yaml", "id: o-2\nshop: corner\ncustomer: c-2\nitems: [marmalade]\n")
    assert evaluate(tiny_register) == [
        ("order-first-item-short", "warning", "orders.small", "records/orders/o-2.yaml", "items[0]",
         "'marmalade' is too long a name."),
    ]


def test_a_rule_that_cannot_be_evaluated_is_reported_as_a_rule_error(tiny_register: Path) -> None:
    add(tiny_register, "rules/checks/order-has-note.yaml", """\
id: order-has-note
title: Orders carry a note
clause: null
severity: error
applies_to: order
assert: record[file.stem] != ''
message: Add a note to the order.
why: Notes help the shop.
examples: [{name: a, expect: pass}, {name: b, expect: fail}]
""")
    [row] = evaluate(tiny_register)
    assert row[:5] == (RULE_ERROR, "error", None, "records/orders/o-1.yaml", "")
    assert row[5] == ("Rule 'order-has-note' could not be checked on this record "
                      "(NOT_FOUND: Key not found in map : \"o-1\"). Check the fields it reads, "
                      "or report the rule to its owners.")


def test_records_that_fail_their_schema_are_not_evaluated(tiny_register: Path) -> None:
    add(tiny_register, "records/orders/o-2.yaml", "id: o-2\nshop: corner\ncustomer: c-2\nitems: [a, b, c, d]\nx: 1\n")
    assert evaluate(tiny_register) == []


def test_a_rule_error_caused_by_an_invalid_related_record_is_not_reported(tiny_register: Path) -> None:
    # the shop lacks `open` (a schema error reported on the shop), so the order's rule cannot read shop.open
    add(tiny_register, "records/shops/corner.yaml", "id: corner\nname: Corner Shop\n")
    assert evaluate(tiny_register) == []


def test_a_rule_with_a_cel_typo_is_a_broken_pack_with_file_and_line(tiny_register: Path) -> None:
    add(tiny_register, "rules/checks/order-small.yaml", (tiny_register / "rules/checks/order-small.yaml").read_text()
        .replace("assert: size(record.items)", "assert: size(recrd.items)"))
    with pytest.raises(PolicyPackError) as caught:
        Checker.from_pack(load_pack(tiny_register))
    assert str(caught.value).startswith("rules/checks/order-small.yaml:6:9: assert: 'recrd' is not a name this rule "
                                        "can read. Did you mean 'record'?")


def test_a_rule_for_an_unknown_kind_is_a_broken_pack(tiny_register: Path) -> None:
    add(tiny_register, "rules/checks/order-small.yaml", (tiny_register / "rules/checks/order-small.yaml").read_text()
        .replace("applies_to: order", "applies_to: orders"))
    with pytest.raises(PolicyPackError) as caught:
        Checker.from_pack(load_pack(tiny_register))
    assert str(caught.value) == ("rules/checks/order-small.yaml:5:13: applies_to names 'orders', which is not a "
                                 "kind in rules/pack.yaml (exemption, order, shop)")


def test_a_rule_may_apply_to_a_list_of_kinds(tiny_register: Path) -> None:
    add(tiny_register, "rules/checks/named-in-caps.yaml", """\
id: named-in-caps
title: Every shop and order id is lower case
clause: null
category: integrity
severity: warning
applies_to: [shop, order]
assert: record.id == record.id.lowerAscii()
at: id
message: "The {file.kind} id {record.id} must be lower case."
why: Ids are file names, and file names are lower case.
examples:
  - {name: a lower-case id, expect: pass}
  - {name: another, expect: pass}
""")
    add(tiny_register, "records/orders/O-3.yaml", "id: O-3\nshop: corner\ncustomer: c-3\nitems: [a]\n")
    add(tiny_register, "records/shops/BIG.yaml", "id: BIG\nname: Big Shop\nopen: true\n")
    found = [row for row in evaluate(tiny_register) if row[0] == "named-in-caps"]
    assert found == [
        ("named-in-caps", "warning", None, "records/orders/O-3.yaml", "id", "The order id O-3 must be lower case."),
        ("named-in-caps", "warning", None, "records/shops/BIG.yaml", "id", "The shop id BIG must be lower case."),
    ]


def test_a_list_of_kinds_naming_an_unknown_kind_is_a_broken_pack_at_that_item(tiny_register: Path) -> None:
    add(tiny_register, "rules/checks/order-small.yaml", (tiny_register / "rules/checks/order-small.yaml").read_text()
        .replace("applies_to: order", "applies_to: [order, orders]"))
    with pytest.raises(PolicyPackError) as caught:
        Checker.from_pack(load_pack(tiny_register))
    assert str(caught.value) == ("rules/checks/order-small.yaml:5:21: applies_to names 'orders', which is not a "
                                 "kind in rules/pack.yaml (exemption, order, shop)")


RULE_WITH_VARIABLES = """\
id: order-small
title: An order holds at most the allowed number of items
clause: orders.small
severity: error
applies_to: order
variables:
  count: size(record.items)
  over: count - settings.max_items
when: shop != null
assert: over <= 0
at: items
message: "Order {record.id} has {plural(count, 'item')}, {plural(over, 'item')} too many: remove {over == 1 ? 'one' : 'some'}."
why: Small orders are the policy.
examples:
  - {name: passes, expect: pass}
  - {name: fails, expect: fail}
"""


def test_variables_are_said_once_and_seen_by_when_assert_and_message(tiny_register: Path) -> None:
    add(tiny_register, "rules/checks/order-small.yaml", RULE_WITH_VARIABLES)
    add(tiny_register, "records/orders/o-2.yaml", "id: o-2\nshop: corner\ncustomer: c-2\nitems: [a, b, c, d]\n")
    add(tiny_register, "records/orders/o-3.yaml", "id: o-3\nshop: corner\ncustomer: c-3\nitems: [a, b, c, d, e]\n")
    assert evaluate(tiny_register) == [
        ("order-small", "error", "orders.small", "records/orders/o-2.yaml", "items",
         "Order o-2 has 4 items, 1 item too many: remove one."),
        ("order-small", "error", "orders.small", "records/orders/o-3.yaml", "items",
         "Order o-3 has 5 items, 2 items too many: remove some."),
    ]


def test_pack_variables_are_seen_by_every_rule_of_their_kind(tiny_register: Path) -> None:
    pack = (tiny_register / "rules/pack.yaml").read_text("utf-8")
    add(tiny_register, "rules/pack.yaml", pack + "variables:\n  order:\n    count: size(record.items)\n")
    add(tiny_register, "rules/checks/order-small.yaml",
        RULE_WITH_VARIABLES.replace("  count: size(record.items)\n", ""))
    add(tiny_register, "records/orders/o-2.yaml", "id: o-2\nshop: corner\ncustomer: c-2\nitems: [a, b, c, d]\n")
    assert [row[5] for row in evaluate(tiny_register)] == ["Order o-2 has 4 items, 1 item too many: remove one."]


def test_a_variable_that_does_not_compile_is_a_broken_rule_at_its_line(tiny_register: Path) -> None:
    add(tiny_register, "rules/checks/order-small.yaml", RULE_WITH_VARIABLES.replace("count - settings", "count - nope"))
    with pytest.raises(PolicyPackError) as raised:
        Checker.from_pack(load_pack(tiny_register))
    assert raised.value.file == "rules/checks/order-small.yaml"
    assert raised.value.line == 8
    assert "variables.over" in str(raised.value) and "nope" in str(raised.value)


def test_a_variable_may_not_hide_a_name_every_rule_sees(tiny_register: Path) -> None:
    add(tiny_register, "rules/checks/order-small.yaml", RULE_WITH_VARIABLES.replace("  over:", "  record:"))
    with pytest.raises(PolicyPackError, match="'record' is already a name"):
        Checker.from_pack(load_pack(tiny_register))
