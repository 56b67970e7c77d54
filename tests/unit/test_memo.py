"""The pack memo (parsed and validated pack files, compiled CEL) only ever makes loading faster."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import ap_lint
from ap_lint.checker import Checker, forget_loaded_packs
from ap_lint.errors import PolicyPackError
from ap_lint.memo import PackMemo
from ap_lint.pack import load_pack

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow  # each loads and compiles the whole pack cold, more than once, by design


@pytest.fixture(autouse=True)
def _each_call_loads_the_pack() -> None:
    """Every check below loads its pack: through the memo, or cold (not the checker this process made)."""
    forget_loaded_packs()


def check(root: Path, **options: Any) -> ap_lint.CheckResult:
    forget_loaded_packs()
    return ap_lint.check(root, **options)


def _shape(result: ap_lint.CheckResult) -> list[tuple[object, ...]]:
    return [(f.file, f.line, f.column, f.rule, f.severity, f.clause, f.path, f.message, f.waived_by)
            for f in result.findings]


@pytest.fixture
def register(tmp_path: Path) -> Path:
    """A register with a pack of its own (so that a test may break a rule file)."""
    root = tmp_path / "register"
    for folder in ("records", "rules", "schemas", "policy"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    return root


def test_a_remembered_pack_gives_the_findings_of_a_cold_one_on_any_day(register: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    check(register, today="2026-11-28", cache_dir=cache)
    memo = json.loads((cache / "pack.json").read_text("utf-8"))
    assert {"yaml", "schema", "cel"} <= set(memo["entries"]), "the rule files, schemas and expressions were kept"
    # another day: every record is evaluated again, with the expressions read back from the memo
    for today in ("2026-12-15", "2027-03-01"):
        warm = check(register, today=today, cache_dir=cache)
        cold = check(register, today=today)
        assert _shape(warm) == _shape(cold)
        assert any(f.rule == "policy-review-due" for f in cold.findings)


def test_a_memo_that_is_not_what_ap_lint_wrote_is_never_believed(register: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    check(register, today="2026-11-28", cache_dir=cache)
    memo_file = cache / "pack.json"
    memo = json.loads(memo_file.read_text("utf-8"))
    for key in memo["entries"]["cel"]:
        memo["entries"]["cel"][key] = "bm90IGEgY29tcGlsZWQgZXhwcmVzc2lvbg=="  # base64 of "not a compiled expression"
    for key in memo["entries"]["yaml"]:
        memo["entries"]["yaml"][key] = ["not", "a", "document"]
    memo_file.write_text(json.dumps(memo), "utf-8")
    assert _shape(check(register, today="2026-12-15", cache_dir=cache)) == _shape(
        check(register, today="2026-12-15"))
    memo_file.write_text('{"salt": ', "utf-8")  # a truncated file: an empty memo
    assert _shape(check(register, today="2026-12-16", cache_dir=cache)) == _shape(
        check(register, today="2026-12-16"))


def test_a_pack_file_broken_after_it_was_remembered_is_reported(register: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    check(register, today="2026-11-28", cache_dir=cache)
    rule_file = register / "rules" / "checks" / "behaviour-objectives-set-out.yaml"
    rule_file.write_text(rule_file.read_text("utf-8").replace("severity: error", "severity: fatal", 1), "utf-8")
    with pytest.raises(PolicyPackError) as raised:
        check(register, today="2026-11-28", cache_dir=cache)
    assert raised.value.file == "rules/checks/behaviour-objectives-set-out.yaml"
    assert raised.value.line is not None and raised.value.line > 1
    assert "severity" in raised.value.message


def test_without_a_cache_folder_nothing_is_remembered_or_written(register: Path) -> None:
    memo = PackMemo.none()
    checker = Checker.from_pack(load_pack(register, memo), memo)
    memo.save()
    assert memo.entries == {} and not memo.changed and checker.rules


def test_one_process_compiles_an_unchanged_pack_once_and_a_changed_one_again(register: Path) -> None:
    first = Checker.for_root(register)
    assert Checker.for_root(register) is first, "the same pack: the checker this process made"
    rule_file = register / "rules" / "checks" / "behaviour-objectives-set-out.yaml"
    rule_file.write_text(rule_file.read_text("utf-8").replace("severity: error", "severity: warning", 1), "utf-8")
    changed = Checker.for_root(register)
    assert changed is not first
    assert next(r for r in changed.rules if r.id == "behaviour-objectives-set-out").severity == "warning"
    (register / "rules" / "checks" / "extra-rule.yaml").write_text(rule_file.read_text("utf-8").replace(
        "id: behaviour-objectives-set-out", "id: extra-rule"), "utf-8")
    added = Checker.for_root(register)
    assert added is not changed and any(r.id == "extra-rule" for r in added.rules), "a new rule file is seen"


def test_a_word_list_is_read_from_its_files_once_while_they_are_the_same(
        register: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The names the privacy scan knows come from files an installed package ships; the memo keeps the words by
    those files' paths, sizes and times, so a warm run neither finds the package nor reads them again."""
    import ap_lint.wordlists as wordlists

    reads: list[str] = []
    real = wordlists._read_word_list

    def counting(name: str, spec: dict[str, Any], declared_in: str) -> tuple[list[str], list[str]]:
        reads.append(name)
        return real(name, spec, declared_in)

    monkeypatch.setattr(wordlists, "_read_word_list", counting)
    memo_dir = tmp_path / "cache"
    memo_dir.mkdir()
    cold = load_pack(register)
    assert reads == ["first_names"]
    learning = PackMemo.open(memo_dir)
    load_pack(register, learning)
    learning.save()
    assert reads == ["first_names"] * 2
    warm = load_pack(register, PackMemo.open(memo_dir))
    assert reads == ["first_names"] * 2, "read from the memo, not from the package's files"
    assert warm.word_lists == cold.word_lists and warm.digest == cold.digest
    assert "Olivia" in warm.word_lists["first_names"]


def test_a_word_lists_memo_key_follows_its_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another version of the package (a file of another size or time) is another key: its words are read again."""
    import sys

    import ap_lint.wordlists as wordlists

    spec = {"distribution": "Faker", "files": {"faker/providers/person/en_GB/__init__.py": ["first_names_male"]}}
    original = wordlists._word_files(spec)
    assert original is not None
    copy = tmp_path / "site" / "faker/providers/person/en_GB/__init__.py"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(Path(original[0]).read_bytes())
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site"), *sys.path])
    assert wordlists._word_files(spec) == [str(copy.resolve())]
    before = wordlists._word_files_key(spec, wordlists._word_files(spec))
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert wordlists._word_files_key(spec, wordlists._word_files(spec)) not in (None, before)
    copy.write_bytes(copy.read_bytes() + b"\n")
    assert wordlists._word_files_key(spec, wordlists._word_files(spec)) not in (None, before)
    copy.unlink()
    assert wordlists._word_files(spec) == original  # the installed file again


def test_a_remembered_word_list_that_is_not_a_list_of_words_is_read_again(register: Path, tmp_path: Path) -> None:
    """An empty or odd entry would silently turn the name scan off: it is never believed."""
    memo_dir = tmp_path / "cache"
    memo_dir.mkdir()
    learning = PackMemo.open(memo_dir)
    cold = load_pack(register, learning)
    learning.save()
    for odd in ([], [1, 2], "Olivia", {"Olivia": 1}):
        memo = json.loads((memo_dir / "pack.json").read_text("utf-8"))
        memo["entries"]["words"] = {key: odd for key in memo["entries"]["words"]}
        (memo_dir / "pack.json").write_text(json.dumps(memo), "utf-8")
        again = load_pack(register, PackMemo.open(memo_dir))
        assert again.word_lists == cold.word_lists and again.digest == cold.digest, odd
