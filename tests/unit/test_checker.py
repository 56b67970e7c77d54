"""The checker: waivers turn findings into notes while they are approved and in date; findings are located."""

from __future__ import annotations

from pathlib import Path

from ap_lint.checker import Checker, CheckOptions, CheckResult, locate_findings
from ap_lint.findings import Finding
from ap_lint.load.loader import load_record
from conftest import write_files

BIG_ORDER = "id: o-2\nshop: corner\ncustomer: c-2\nitems: [a, b, c, d]\n"
SECOND_ORDER_OF_C1 = "id: o-3\nshop: corner\ncustomer: c-1\nitems: [jam]\n"


def check(root: Path, today: str = "2026-05-01") -> CheckResult:
    return Checker.for_root(root).check(CheckOptions(root=root, today=today))


def rows(result: CheckResult) -> list[tuple[str, int, int, str, str, str | None]]:
    return [(f.file, f.line, f.column, f.rule, f.severity, f.waived_by) for f in result.findings]


def write(root: Path, relative: str, text: str) -> None:
    write_files(root, {relative: text})


def exemption(rule: str, record: str, approved_on: str | None = "2026-01-10", expires_on: str = "2026-06-30") -> str:
    approved = f"approved_on: {approved_on}\n" if approved_on else ""
    return f"id: x-1\nrule: {rule}\nrecord: {record}\n{approved}expires_on: {expires_on}\n"


def test_a_clean_register_passes(tiny_register: Path) -> None:
    result = check(tiny_register)
    assert result.findings == [] and result.errors == [] and result.warnings == [] and result.waived == []
    assert result.counts_by_kind() == {"shop": 2, "order": 1}
    assert result.today == "2026-05-01"


def test_findings_are_located_and_sorted(tiny_register: Path) -> None:
    write(tiny_register, "records/orders/o-2.yaml", BIG_ORDER)
    write(tiny_register, "records/orders/o-0.yaml", "id: o-0\nshop: corner\ncustomer: c-9\nitems: []\ncolour: red\n")
    assert rows(check(tiny_register)) == [
        ("records/orders/o-0.yaml", 5, 1, "schema", "error", None),  # an unknown field: found at its name
        ("records/orders/o-2.yaml", 4, 8, "order-small", "error", None),
    ]


def test_an_approved_unexpired_waiver_turns_an_error_into_a_waived_note(tiny_register: Path) -> None:
    write(tiny_register, "records/orders/o-2.yaml", BIG_ORDER)
    write(tiny_register, "records/exemptions/x-1.yaml", exemption("order-small", "o-2"))
    result = check(tiny_register)
    assert rows(result) == [("records/orders/o-2.yaml", 4, 8, "order-small", "error", "x-1")]
    assert result.errors == [] and len(result.waived) == 1


def test_a_waiver_applies_on_its_first_and_last_day(tiny_register: Path) -> None:
    write(tiny_register, "records/orders/o-2.yaml", BIG_ORDER)
    write(tiny_register, "records/exemptions/x-1.yaml", exemption("order-small", "o-2"))
    assert len(check(tiny_register, today="2026-01-10").waived) == 1
    assert len(check(tiny_register, today="2026-06-30").waived) == 1


def test_an_expired_waiver_does_not_waive(tiny_register: Path) -> None:
    write(tiny_register, "records/orders/o-2.yaml", BIG_ORDER)
    write(tiny_register, "records/exemptions/x-1.yaml", exemption("order-small", "o-2"))
    result = check(tiny_register, today="2026-07-01")
    assert rows(result) == [("records/orders/o-2.yaml", 4, 8, "order-small", "error", None)]
    assert len(result.errors) == 1


def test_a_waiver_approved_after_today_does_not_waive(tiny_register: Path) -> None:
    write(tiny_register, "records/orders/o-2.yaml", BIG_ORDER)
    write(tiny_register, "records/exemptions/x-1.yaml", exemption("order-small", "o-2"))
    assert len(check(tiny_register, today="2026-01-09").errors) == 1


def test_an_unapproved_waiver_does_not_waive(tiny_register: Path) -> None:
    write(tiny_register, "records/orders/o-2.yaml", BIG_ORDER)
    write(tiny_register, "records/exemptions/x-1.yaml", exemption("order-small", "o-2", approved_on=None))
    assert rows(check(tiny_register)) == [("records/orders/o-2.yaml", 4, 8, "order-small", "error", None)]


def test_a_waiver_covers_only_its_rule_and_record(tiny_register: Path) -> None:
    write(tiny_register, "records/orders/o-2.yaml", BIG_ORDER)
    write(tiny_register, "records/orders/o-4.yaml", BIG_ORDER.replace("o-2", "o-4").replace("c-2", "c-4"))
    write(tiny_register, "records/exemptions/x-1.yaml", exemption("order-small", "o-4"))
    assert rows(check(tiny_register)) == [
        ("records/orders/o-2.yaml", 4, 8, "order-small", "error", None),
        ("records/orders/o-4.yaml", 4, 8, "order-small", "error", "x-1"),
    ]


def test_a_rule_that_is_not_waivable_is_not_waived(tiny_register: Path) -> None:
    write(tiny_register, "records/orders/o-3.yaml", SECOND_ORDER_OF_C1)
    write(tiny_register, "records/exemptions/x-1.yaml", exemption("order-one-per-customer", "o-3"))
    result = check(tiny_register)
    assert rows(result) == [
        ("records/orders/o-1.yaml", 3, 11, "order-one-per-customer", "error", None),
        ("records/orders/o-3.yaml", 3, 11, "order-one-per-customer", "error", None),
    ]
    assert len(result.errors) == 2 and result.waived == []


def test_an_invalid_waiver_waives_nothing(tiny_register: Path) -> None:
    write(tiny_register, "records/orders/o-2.yaml", BIG_ORDER)
    write(tiny_register, "records/exemptions/x-1.yaml", exemption("order-small", "o-2") + "extra: field\n")
    assert rows(check(tiny_register)) == [
        ("records/exemptions/x-1.yaml", 6, 1, "schema", "error", None),
        ("records/orders/o-2.yaml", 4, 8, "order-small", "error", None),
    ]


def test_loader_findings_carry_the_record_id(tiny_register: Path) -> None:
    write(tiny_register, "records/orders/o-2.yaml", "id: o-2\nshop: corner\ncustomer: c-2\nitems: [a]\nitems: [b]\n")
    [finding] = check(tiny_register).findings
    assert (finding.rule, finding.line, finding.column, finding.record) == ("yaml-duplicate-key", 5, 1, "o-2")


def locate(text: str, kind_findings: list[Finding]) -> list[tuple[str, int, int]]:
    loaded = load_record(text.encode(), "f.yaml")
    located = locate_findings([*loaded.problems, *kind_findings], lambda _file: text, {})
    return [(f.rule, f.line, f.column) for f in located]


def unlocated(path: tuple[str | int, ...], rule: str = "schema") -> Finding:
    return Finding(file="f.yaml", line=0, column=0, rule=rule, severity="error", message="m", path=path)


def test_locate_findings_drops_a_schema_finding_at_a_value_the_loader_reported() -> None:
    text = "id: a\nstart: 2026-02-30\n"
    assert locate(text, [unlocated(("start",))]) == [("yaml-invalid-date", 2, 8)]


def test_locate_findings_drops_a_schema_finding_about_a_key_the_loader_reported() -> None:
    text = "id: a\non: monday\n"
    assert locate(text, [unlocated(("on",))]) == [("yaml-boolean-word", 2, 1)]


def test_locate_findings_drops_a_finding_of_a_rule_the_schema_names_at_a_reported_key() -> None:
    text = "id: a\non: Sam Example\n"
    assert locate(text, [unlocated(("on",), rule="privacy-unknown-field")]) == [("yaml-boolean-word", 2, 1)]


def test_locate_findings_keeps_findings_at_other_positions() -> None:
    text = "id: a\nstart: 2026-02-30\nend: x\nlist: [9:00, Monday]\n"
    assert locate(text, [unlocated(("end",)), unlocated(("id",)), unlocated(("list", 1))]) == [
        ("schema", 1, 5), ("yaml-invalid-date", 2, 8), ("schema", 3, 6), ("yaml-sexagesimal", 4, 8),
        ("schema", 4, 14)]


def test_locate_findings_points_a_missing_field_at_its_parent() -> None:
    text = "id: a\nowner:\n  role: x\n"
    assert locate(text, [unlocated(("owner", "name")), unlocated(("reviews", 3, "date"))]) == [
        ("schema", 1, 1), ("schema", 3, 3)]


def test_locate_findings_adds_the_front_matter_offset() -> None:
    text = "---\ntitle: t\nnext: soon\n---\n# Body\n"
    finding = Finding(file="p.md", line=0, column=0, rule="r", severity="warning", message="m", path=("next",))
    [located] = locate_findings([finding], lambda _file: text, {"p.md": 1})
    assert (located.line, located.column) == (3, 7)


def test_locate_findings_in_a_file_that_cannot_be_read_points_at_its_start() -> None:
    [located] = locate_findings([unlocated(("x",))], lambda _file: None, {})
    assert (located.line, located.column) == (1, 1)
