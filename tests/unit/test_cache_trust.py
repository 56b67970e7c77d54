"""The cache is an accelerator only: whatever a cache file holds, the findings are those of a cold run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from ap_lint import cache as cache_module
from ap_lint.cache import cache_directory, cache_problem, user_cache_home
from ap_lint.load import register as register_module
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


def _read_cache(cache: Path) -> dict[str, Any]:
    """check.json, with the records of the placement's shard under "records" (as one document to tamper with)."""
    document: dict[str, Any] = json.loads((cache / "check.json").read_text("utf-8"))
    shard = json.loads((cache / _placement_shard()).read_text("utf-8"))
    document["records"] = shard["records"]
    return document


def _write_cache(cache: Path, document: dict[str, Any]) -> None:
    records = document.pop("records")
    shard = json.loads((cache / _placement_shard()).read_text("utf-8"))
    shard["records"] = records
    (cache / _placement_shard()).write_text(json.dumps(shard), "utf-8")
    (cache / "check.json").write_text(json.dumps(document), "utf-8")


def _placement_shard() -> str:
    return cache_module._shard_name(cache_module._shard_of(PLACEMENT))


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


def _signature_of_words(document: dict[str, Any]) -> None:
    _placement_entry(document)[9] = ["size", "time", "time", "inode", "device"]
    _forget_results(document)


def _comment_without_a_line(document: dict[str, Any]) -> None:
    _placement_entry(document)[8] = [["one", 1, "a comment"]]
    _forget_results(document)


TAMPERING: dict[str, Callable[[dict[str, Any]], None]] = {
    "data: null": _data_null, "a bogus severity": _bogus_severity, "a list as id": _list_as_id,
    "a line as text": _string_line, "data that is a list": _data_a_list,
    "an evaluation that is not a pair": _evaluation_not_a_pair, "a signature of words": _signature_of_words,
    "a comment without a line": _comment_without_a_line,
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_a_tampered_cache_entry_means_a_cold_run(register: Path, tmp_path: Path, case: str) -> None:
    cold = _shape(_check(register))
    assert any(f[0] == PLACEMENT and f[3] == RULE and f[1] == 8 for f in cold)
    cache = tmp_path / "cache"
    _check(register, cache)
    document = _read_cache(cache)
    TAMPERING[case](document)
    _write_cache(cache, document)
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


@pytest.mark.parametrize("linked", ["check.json", "the placement's shard"])
def test_a_cache_file_that_is_a_link_is_not_read(register: Path, tmp_path: Path, linked: str) -> None:
    cold = _shape(_check(register))
    elsewhere = tmp_path / "elsewhere"
    _check(register, elsewhere)
    document = _read_cache(elsewhere)
    _data_null(document)
    _write_cache(elsewhere, document)
    cache = tmp_path / "cache"
    shutil.copytree(elsewhere, cache)
    name = "check.json" if linked == "check.json" else _placement_shard()
    (cache / name).unlink()
    (cache / name).symlink_to(elsewhere / name)
    assert _shape(_check(register, cache)) == cold


def test_a_record_in_another_files_shard_means_a_cold_run(register: Path, tmp_path: Path) -> None:
    cold = _shape(_check(register))
    cache = tmp_path / "cache"
    _check(register, cache)
    document = _read_cache(cache)
    entry = _placement_entry(document)
    document["records"].remove(entry)
    _forget_results(document)
    _write_cache(cache, document)
    # the placement's record, moved to another shard, with a rationale that would pass
    entry[3] = {**entry[3], "rationale": "Weekly sessions will rebuild attendance and maths fluency before "
                "the pupil returns to lessons full time."}
    other = next(name for name in sorted(p.name for p in cache.glob("records-*.json")) if name != _placement_shard())
    shard = json.loads((cache / other).read_text("utf-8"))
    shard["records"].append(entry)
    (cache / other).write_text(json.dumps(shard), "utf-8")
    assert _shape(_check(register, cache)) == cold


def test_a_run_that_changed_one_file_writes_its_shard_and_no_other(register: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _check(register, cache)
    shards = sorted(cache.glob("records-*.json"))
    assert len(shards) > 2
    before = {p.name: p.stat().st_ino for p in shards}
    path = register / PLACEMENT
    path.write_text(path.read_text("utf-8") + "# reviewed\n", "utf-8")
    _check(register, cache)
    after = {p.name: p.stat().st_ino for p in cache.glob("records-*.json")}  # written atomically: a new inode
    assert {name for name in before if after[name] != before[name]} == {_placement_shard()}


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


def _files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    read: list[str] = []
    real = register_module.read_file

    def counting(path: Path, max_bytes: int) -> Any:
        read.append(path.relative_to(path.parents[3]).as_posix() if len(path.parents) > 3 else str(path))
        return real(path, max_bytes)

    monkeypatch.setattr(register_module, "read_file", counting)
    monkeypatch.setattr(cache_module, "read_file", counting)
    return read


def _as_if_seconds_passed(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    now = time.time_ns

    monkeypatch.setattr(register_module.time, "time_ns", lambda: now() + int(seconds * 1e9))


def test_a_settled_file_whose_signature_is_unchanged_is_not_read_again(register: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    cold = _shape(_check(register))
    cache = tmp_path / "cache"
    _as_if_seconds_passed(monkeypatch, 10)  # every file of the register was written long ago
    _check(register, cache)
    read = _files_read(monkeypatch)
    assert _shape(_check(register, cache)) == cold
    assert read == []


def test_a_file_rewritten_with_its_size_and_modification_time_is_read_again(register: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    _as_if_seconds_passed(monkeypatch, 10)
    before = _shape(_check(register, cache))
    assert any(f[0] == PLACEMENT and f[3] == RULE for f in before)
    path = register / PLACEMENT
    info = path.stat()
    time.sleep(0.05)  # past the file system clock's tick: a later write is a later time
    text = path.read_text("utf-8")
    fixed = text.replace("rationale: Behaviour.", "rationale: Attendance", 1)  # as long, and as bad
    assert len(fixed) == len(text) and fixed != text
    path.write_text(fixed, "utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # the same size and modification time as before
    read = _files_read(monkeypatch)
    after = _check(register, cache)
    assert PLACEMENT in read
    assert _shape(after) == _shape(_check(register))  # what a cold run finds in the new text


def test_a_file_changed_moments_ago_is_read_every_time(register: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    _as_if_seconds_passed(monkeypatch, 10)
    _check(register, cache)
    path = register / PLACEMENT
    path.write_text(path.read_text("utf-8") + "# reviewed\n", "utf-8")
    monkeypatch.undo()  # now is now again: the placement was written moments ago
    _check(register, cache)
    read = _files_read(monkeypatch)
    _check(register, cache)
    assert read == [PLACEMENT]  # its cached record is found by the digest of its bytes, read again
    document = _read_cache(cache)
    assert _placement_entry(document)[9] is None
    assert _placement_entry(document)[8][-1] == [len(path.read_text("utf-8").splitlines()), 1, "reviewed"]
