"""write_atomic: a reader sees the old file or the new one, never half of one, and no litter is left."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from ap_lint.fsutil import write_atomic


def test_writes_text_as_utf8_and_bytes_as_they_are(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.md", "Café £5\n")
    write_atomic(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "a.md").read_bytes() == "Café £5\n".encode("utf-8")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"


def test_creates_missing_folders_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "deep" / "rules.md"
    write_atomic(target, "x")
    assert sorted(p.name for p in target.parent.iterdir()) == ["rules.md"]


def test_replaces_an_existing_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old " * 1000, "utf-8")
    write_atomic(target, "new")
    assert target.read_text("utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_the_new_file_is_written_beside_the_target_and_synced_before_it_replaces_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.json"
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", ""))
        real_fsync(fd)

    def replace(source: str | Path, destination: str | Path) -> None:
        events.append(("replace", str(Path(source).parent)))
        assert Path(source).read_text("utf-8") == "{}"  # complete before it takes the target's place
        real_replace(source, destination)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomic(target, "{}")
    assert events == [("fsync", ""), ("replace", str(tmp_path))]  # same folder: same file system, atomic rename


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "rules.md"
    target.write_text("old", "utf-8")

    def fail(source: str | Path, destination: str | Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "new")
    assert target.read_text("utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules.md"]


def test_an_interrupted_write_removes_the_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "x.txt", "data")
    assert list(tmp_path.iterdir()) == []


def test_the_file_gets_the_usual_permissions_not_the_private_ones_of_a_temporary_file(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_atomic(tmp_path / "page.html", "<p>report</p>")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "page.html").stat().st_mode) == 0o644


def test_a_write_that_need_not_survive_a_power_cut_does_not_wait_for_the_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    write_atomic(tmp_path / "cache.json", "{}", durable=False)
    assert synced == [] and (tmp_path / "cache.json").read_text("utf-8") == "{}"
    write_atomic(tmp_path / "rules.md", "# Rules\n")
    assert len(synced) == 1


def test_the_caches_never_wait_for_the_disk(register_copy: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from ap_lint.checker import CheckOptions
    from ap_lint.git.runner import commit_snapshot
    from tests.conftest import checker_for

    commit_snapshot(register_copy, "The register", "2026-09-01")
    cache = tmp_path / "cache"
    options = CheckOptions(root=register_copy, today="2026-11-28", jobs=1, cache_dir=cache)
    checker_for(register_copy).check(options)  # makes the folder (its .gitignore is written to last)
    record = next((register_copy / "records" / "placements").glob("*/*.yaml"))
    record.write_text(record.read_text("utf-8") + "# reviewed\n", "utf-8")
    commit_snapshot(register_copy, "Reviewed", "2026-09-02")
    written = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    checker_for(register_copy).check(options)
    rewritten = {p.name for p in cache.rglob("*") if p.is_file() and written.get(p) != p.stat().st_mtime_ns}
    # the result, the changed record's shard, the fold of the main line at the new commit
    assert "check.json" in rewritten and any(name.startswith("records-") for name in rewritten)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=register_copy, capture_output=True, text=True,
                          check=True).stdout.strip()
    assert f"{head}.json" in {name.rpartition("-")[2] for name in rewritten}, rewritten
    assert synced == []
