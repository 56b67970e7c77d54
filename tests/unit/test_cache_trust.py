"""The cache is an accelerator only: whatever a cache file holds, the findings are those of a cold run."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from ap_lint.cache import cache_directory, cache_problem, user_cache_home
from ap_lint.checker import CheckOptions, CheckResult
from ap_lint.git.runner import commit_snapshot
from tests.conftest import checker_for

TODAY = "2026-11-28"
PLACEMENT = "records/placements/oakfield/oakfield-2026-001.yaml"
RULE = "placement-rationale-substantive"


def _check(root: Path, cache: Path | None = None) -> CheckResult:
    return checker_for(root).check(CheckOptions(root=root, today=TODAY, jobs=1, cache_dir=cache))


def _shape(result: CheckResult) -> list[tuple[object, ...]]:
    return [(f.file, f.line, f.column, f.rule, f.severity, f.message, f.waived_by) for f in result.findings]


@pytest.fixture
def register(register_copy: Path) -> Path:
    """The example register with one placement whose rationale breaks a rule."""
    path = register_copy / PLACEMENT
    text = path.read_text("utf-8")
    start = text.index("rationale: ")
    path.write_text(text[:start] + "rationale: Behaviour." + text[text.index("\n", start):], "utf-8")
    return register_copy


def _placement_entry(document: dict[str, Any]) -> list[Any]:
    return next(item for item in document["records"] if item[2] == PLACEMENT)


def _forget_results(document: dict[str, Any]) -> None:
    document["result"]["key"] = ""
    document["evaluations"] = {}


def _data_null(document: dict[str, Any]) -> None:
    _placement_entry(document)[3] = None
    _forget_results(document)


def _bogus_severity(document: dict[str, Any]) -> None:
    document["result"]["findings"][0][4] = "catastrophic"


def _list_as_id(document: dict[str, Any]) -> None:
    _placement_entry(document)[1] = ["oakfield-2026-001"]
    _forget_results(document)


def _string_line(document: dict[str, Any]) -> None:
    document["result"]["findings"][0][1] = "8"


def _data_a_list(document: dict[str, Any]) -> None:
    _placement_entry(document)[3] = ["rationale", "Behaviour."]
    _forget_results(document)


def _evaluation_not_a_pair(document: dict[str, Any]) -> None:
    document["result"]["key"] = ""
    document["evaluations"][PLACEMENT] = {"key": "x"}


TAMPERING: dict[str, Callable[[dict[str, Any]], None]] = {
    "data: null": _data_null, "a bogus severity": _bogus_severity, "a list as id": _list_as_id,
    "a line as text": _string_line, "data that is a list": _data_a_list,
    "an evaluation that is not a pair": _evaluation_not_a_pair,
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_a_tampered_cache_entry_means_a_cold_run(register: Path, tmp_path: Path, case: str) -> None:
    cold = _shape(_check(register))
    assert any(f[0] == PLACEMENT and f[3] == RULE and f[1] == 8 for f in cold)
    cache = tmp_path / "cache"
    _check(register, cache)
    document = json.loads((cache / "check.json").read_text("utf-8"))
    TAMPERING[case](document)
    (cache / "check.json").write_text(json.dumps(document), "utf-8")
    assert _shape(_check(register, cache)) == cold


@pytest.mark.parametrize("keep", [0, 100, -2])
def test_a_truncated_cache_file_means_a_cold_run(register: Path, tmp_path: Path, keep: int) -> None:
    cold = _shape(_check(register))
    cache = tmp_path / "cache"
    _check(register, cache)
    text = (cache / "check.json").read_text("utf-8")
    (cache / "check.json").write_text(text[:keep], "utf-8")
    assert _shape(_check(register, cache)) == cold


@pytest.mark.parametrize("encode", [lambda text: text.encode("utf-16"),
                                    lambda text: text.encode("utf-8").replace(b'"salt"', b'"s\xffalt"', 1)],
                         ids=["utf-16", "a byte that is not utf-8"])
def test_a_cache_file_that_is_not_utf8_means_a_cold_run(register: Path, tmp_path: Path,
                                                         encode: Callable[[str], bytes]) -> None:
    cold = _shape(_check(register))
    cache = tmp_path / "cache"
    _check(register, cache)
    (cache / "check.json").write_bytes(encode((cache / "check.json").read_text("utf-8")))
    assert _shape(_check(register, cache)) == cold
    json.loads((cache / "check.json").read_bytes().decode("utf-8"))  # written again, as ap-lint writes it


def test_a_cache_folder_that_is_a_link_is_neither_read_nor_written(register: Path, tmp_path: Path) -> None:
    real = tmp_path / "real"
    _check(register, real)
    before = (real / "check.json").read_bytes()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    (register / PLACEMENT).write_text((register / PLACEMENT).read_text("utf-8") + "\n", "utf-8")
    result = _check(register, link)
    assert (real / "check.json").read_bytes() == before
    assert f"The cache folder {link} was not used: it is a symbolic link." in result.notes


def test_a_cache_file_that_is_a_link_is_not_read(register: Path, tmp_path: Path) -> None:
    cold = _shape(_check(register))
    elsewhere = tmp_path / "elsewhere"
    _check(register, elsewhere)
    document = json.loads((elsewhere / "check.json").read_text("utf-8"))
    _data_null(document)
    (elsewhere / "check.json").write_text(json.dumps(document), "utf-8")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "check.json").symlink_to(elsewhere / "check.json")
    assert _shape(_check(register, cache)) == cold


def test_a_cache_in_records_is_refused_and_writes_nothing_there(register: Path) -> None:
    before = sorted(p.relative_to(register) for p in (register / "records").rglob("*"))
    for folder in (register / "records", register / "records" / "cache", register):
        result = _check(register, folder)
        assert any(note.startswith(f"The cache folder {folder} was not used: it is in, or holds, the register's "
                                   "records/ folder") for note in result.notes)
    assert not (register / ".gitignore").exists()
    assert sorted(p.relative_to(register) for p in (register / "records").rglob("*")) == before


def test_a_cache_folder_git_tracks_is_refused(register: Path) -> None:
    cache = register / ".ap-lint-cache"
    _check(register, cache)
    (cache / ".gitignore").unlink()
    commit_snapshot(register, "Commit the cache by mistake", "2026-10-20")
    assert cache_problem(cache, register) == "git tracks files in it (a cache from a commit is not trusted)"
    result = _check(register, cache)
    assert f"The cache folder {cache} was not used: git tracks files in it (a cache from a commit is not " \
           "trusted)." in result.notes


def test_an_untracked_cache_folder_in_the_work_tree_is_used(register: Path) -> None:
    commit_snapshot(register, "Register", "2026-10-20")
    cache = register / ".ap-lint-cache"
    first = _check(register, cache)
    assert cache_problem(cache, register) is None and (cache / "check.json").is_file()
    assert _shape(_check(register, cache)) == _shape(first)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=register, capture_output=True, text=True,
                            check=True)
    assert status.stdout == ""  # the folder ap-lint made ignores itself


def test_the_default_cache_folder_is_the_users_one_per_register(tmp_path: Path) -> None:
    environ = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    one = cache_directory(tmp_path / "a" / "register", environ)
    other = cache_directory(tmp_path / "b" / "register", environ)
    assert one.parent == other.parent == tmp_path / "xdg" / "ap-lint"
    assert one != other and one.name.startswith("register-")
    assert cache_directory(tmp_path, {"AP_LINT_CACHE_DIR": "somewhere"}) == Path("somewhere")
    assert user_cache_home({"XDG_CACHE_HOME": "relative/path"}) != Path("relative/path")  # the spec ignores it


def test_ap_lint_cache_dir_records_does_not_hide_records(run_cli: Any, register: Path) -> None:
    done = run_cli("check", "--today", TODAY, cwd=register, env={"AP_LINT_CACHE_DIR": "records"})
    assert done.returncode == 1
    assert "note: The cache folder records was not used: it is in, or holds, the register's records/ folder." \
        in done.stdout.splitlines()
    assert not (register / "records" / ".gitignore").exists()
    assert not (register / "records" / "check.json").exists()
    assert os.listdir(register) == ["records"]
