"""Discovery and the register index: which files are records, and how records find each other."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ap_lint.pack import Pack, Relation, load_pack
from ap_lint.load.register import Record, Register, discover, find_register_root, read_source, value_at


def problems_of(root: Path) -> list[tuple[str, str, int, int]]:
    _, problems = discover(root, load_pack(root))
    return [(p.file, p.rule, p.line, p.column) for p in problems]


def test_discover_finds_every_record_of_every_kind(tiny_register: Path) -> None:
    sources, problems = discover(tiny_register, load_pack(tiny_register))
    assert problems == []
    assert [(s.kind, s.display) for s in sources] == [
        ("shop", "records/shops/corner.yaml"), ("shop", "records/shops/mill.yaml"),
        ("order", "records/orders/o-1.yaml")]


def test_a_file_where_no_kind_lives_is_misplaced(tiny_register: Path) -> None:
    (tiny_register / "records" / "notes.yaml").write_text("id: notes\n")
    _, problems = discover(tiny_register, load_pack(tiny_register))
    assert [(p.file, p.rule, p.line, p.column) for p in problems] == [("records/notes.yaml", "file-misplaced", 1, 1)]
    assert problems[0].message == (
        "This file is not where any kind of record lives, so it was not checked. Records live in: "
        "records/shops/*.yaml, records/orders/*.yaml, records/exemptions/*.yaml.")


def test_a_yml_file_is_told_to_end_in_yaml(tiny_register: Path) -> None:
    (tiny_register / "records" / "orders" / "o-2.yml").write_text("id: o-2\n")
    _, problems = discover(tiny_register, load_pack(tiny_register))
    assert [(p.file, p.rule) for p in problems] == [("records/orders/o-2.yml", "file-misplaced")]
    assert problems[0].message.endswith("so it was not checked. Record files end in .yaml, not .yml.")


def test_hidden_files_are_findings_never_skipped_silently(tiny_register: Path) -> None:
    # git commits a dot-file like any other: a draft or a swap file may hold what the check would refuse
    (tiny_register / "records" / ".editor-backup").write_text("x")
    (tiny_register / "records" / ".git-crypt").mkdir()
    (tiny_register / "records" / ".git-crypt" / "key.yaml").write_text("x")
    (tiny_register / "records" / "shops" / ".draft.yaml").write_text("id: draft\n")
    (tiny_register / "records" / "shops" / ".s-1.yaml.swp").write_bytes(b"\x00binary")
    sources, problems = discover(tiny_register, load_pack(tiny_register))
    assert sorted((p.file, p.rule, p.line, p.column) for p in problems) == [
        ("records/.editor-backup", "file-hidden", 1, 1), ("records/.git-crypt", "file-hidden", 1, 1),
        ("records/shops/.draft.yaml", "file-hidden", 1, 1), ("records/shops/.s-1.yaml.swp", "file-hidden", 1, 1)]
    assert all(p.severity == "error" and "git commits it" in p.message for p in problems)
    assert not [s for s in sources if "/." in s.display]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_link_out_of_the_register_is_not_read(tiny_register: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.yaml"
    outside.write_text("id: secret\nname: Secret\nopen: true\n")
    (tiny_register / "records" / "shops" / "secret.yaml").symlink_to(outside)
    sources, problems = discover(tiny_register, load_pack(tiny_register))
    assert [(p.file, p.rule, p.line, p.column) for p in problems] == [
        ("records/shops/secret.yaml", "file-link-outside", 1, 1)]
    assert problems[0].message.startswith("This file is a link to somewhere outside the register; it was not read.")
    assert "records/shops/secret.yaml" not in [s.display for s in sources]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_link_inside_the_register_is_read(tiny_register: Path) -> None:
    (tiny_register / "records" / "shops" / "corner-copy.yaml").symlink_to(
        tiny_register / "records" / "shops" / "corner.yaml")
    sources, problems = discover(tiny_register, load_pack(tiny_register))
    assert problems == []
    assert "records/shops/corner-copy.yaml" in [s.display for s in sources]


def test_find_register_root_walks_up_to_the_folder_with_records(tiny_register: Path, tmp_path: Path) -> None:
    assert find_register_root(tiny_register / "records" / "orders") == tiny_register.resolve()
    assert find_register_root(tiny_register) == tiny_register.resolve()
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    assert find_register_root(lonely) in (None, *[p for p in lonely.resolve().parents if (p / "records").is_dir()])


def test_read_source_records_problems_instead_of_raising(tiny_register: Path) -> None:
    (tiny_register / "records" / "orders" / "o-2.yaml").write_text("id: o-2\nshop: corner\nshop: mill\n")
    sources, _ = discover(tiny_register, load_pack(tiny_register))
    by_file = {s.display: read_source(s, 1024) for s in sources}
    broken = by_file["records/orders/o-2.yaml"]
    assert not broken.valid
    assert [(p.rule, p.line, p.column) for p in broken.problems] == [("yaml-duplicate-key", 3, 1)]
    clean = by_file["records/orders/o-1.yaml"]
    assert clean.valid and clean.problems == [] and clean.data == {
        "id": "o-1", "shop": "corner", "customer": "c-1", "items": ["tea", "milk"]}
    assert len(clean.digest) == 32


def test_read_source_refuses_a_file_over_the_size_limit(tiny_register: Path) -> None:
    sources, _ = discover(tiny_register, load_pack(tiny_register))
    record = read_source(sources[0], 10)
    assert record.data is None
    assert [p.rule for p in record.problems] == ["file-too-large"]


@pytest.mark.parametrize(("path", "expected"), [
    ((), {"a": [{"b": 1}, {"b": 2}], "c": None}),
    (("a", 1, "b"), 2),
    (("a", 2, "b"), None),
    (("a", -1), None),
    (("a", "b"), None),
    (("c", "d"), None),
    (("missing",), None),
])
def test_value_at(path: tuple[str | int, ...], expected: object) -> None:
    assert value_at({"a": [{"b": 1}, {"b": 2}], "c": None}, path) == expected


def record(kind: str, record_id: str, **data: object) -> Record:
    return Record(kind, record_id, f"records/{kind}s/{record_id}.yaml", {"id": record_id, **data}, digest="")


@pytest.fixture
def register(tiny_register: Path) -> Register:
    pack: Pack = load_pack(tiny_register)
    records = [
        record("shop", "corner", name="Corner", open=True),
        record("order", "o-1", shop="corner", customer="c-1", items=[]),
        record("order", "o-2", shop="mill", customer="c-1", items=[]),
        record("order", "o-3", shop="corner", customer="c-2", items=[]),
        record("order", "o-4", shop=7, customer=["c-1"], items=[]),
        Record("order", "broken", "records/orders/broken.yaml", None, digest=""),
    ]
    return Register(pack, records)


def relation(register: Register, name: str) -> Relation:
    return next(r for r in register.pack.relations["order"] if r.name == name)


def test_the_register_indexes_loaded_records_by_kind_and_id(register: Register) -> None:
    assert [r.id for r in register.records] == ["corner", "o-1", "o-2", "o-3", "o-4"]
    assert [r.id for r in register.by_kind["order"]] == ["o-1", "o-2", "o-3", "o-4"]
    assert register.by_kind["exemption"] == []
    assert register.by_id[("shop", "corner")].id == "corner"


def test_a_lookup_finds_the_named_record(register: Register) -> None:
    o1 = register.by_id[("order", "o-1")]
    value, members = register.related(o1, relation(register, "shop"))
    assert value == {"id": "corner", "name": "Corner", "open": True}
    assert [m.id for m in members] == ["corner"]


def test_a_lookup_of_a_missing_record_is_null(register: Register) -> None:
    assert register.related(register.by_id[("order", "o-2")], relation(register, "shop")) == (None, [])
    assert register.related(register.by_id[("order", "o-4")], relation(register, "shop")) == (None, [])


def test_a_group_lists_the_others_not_the_record_itself(register: Register) -> None:
    value, members = register.related(register.by_id[("order", "o-1")], relation(register, "customer_orders"))
    assert [m.id for m in members] == ["o-2"]
    assert value == [register.by_id[("order", "o-2")].data]
    assert register.related(register.by_id[("order", "o-3")], relation(register, "customer_orders")) == ([], [])


def test_a_group_keyed_by_a_list_is_empty(register: Register) -> None:
    assert register.related(register.by_id[("order", "o-4")], relation(register, "customer_orders")) == ([], [])
