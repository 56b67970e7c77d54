"""The benchmark generator writes compliant, varied and reproducible registers."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from ap_lint.checker import CheckOptions
from tests.conftest import bench_module, checker_for

pytestmark = pytest.mark.slow  # each generates registers of up to 1,000 placements, some with long histories

REPO = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"


generate = bench_module("generate")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "records").rglob("*.yaml"))}


def _placements(root: Path) -> list[dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [yaml.load(p.read_bytes(), Loader=loader) for p in sorted((root / "records" / "placements").glob("*/*.yaml"))]


@pytest.mark.parametrize("placements", [200, 1000])
def test_a_generated_register_passes_the_check_with_no_errors(tmp_path: Path, placements: int) -> None:
    root = tmp_path / "register"
    generate.generate(root, placements, seed=7)

    result = checker_for(root, REPO).check(CheckOptions(root=root, today=TODAY, pack_dir=REPO))

    assert [f"{f.file}:{f.line}:{f.column}: [{f.rule}] {f.message}" for f in result.errors][:5] == []
    counts = result.counts_by_kind()
    assert (counts["placement"], counts["school"], counts["provider"]) == (placements, 20, 60)


def test_the_same_seed_writes_the_same_files_and_another_seed_does_not(tmp_path: Path) -> None:
    generate.generate(tmp_path / "a", 150, seed=3)
    generate.generate(tmp_path / "b", 150, seed=3)
    generate.generate(tmp_path / "c", 150, seed=4)

    first, again, other = (_files(tmp_path / name) for name in "abc")

    assert len(first) == 150 + 20 + 60 + 2 + len(list((tmp_path / "a" / "records" / "waivers").glob("*.yaml")))
    assert first == again
    assert first != other


def test_placements_are_varied(tmp_path: Path) -> None:
    generate.generate(tmp_path, 1000, seed=7)

    placements = _placements(tmp_path)

    assert set(Counter(p["reason"] for p in placements)) == {"behaviour", "medical", "added-value"}
    assert set(Counter(p["status"] for p in placements)) == {"planned", "active", "completed", "ended-early",
                                                              "withdrawn"}
    assert set(Counter(p["attendance_code"] for p in placements)) == {"B", "D", "K"}
    assert {len(p["timetable"]) for p in placements} >= {1, 2, 3, 4, 5}
    assert {len(p.get("reviews", [])) for p in placements} >= {0, 1, 2, 3, 4}
    assert any("review_every_weeks" in p for p in placements)
    assert any("ceo_approval" in p for p in placements)
    assert any(p.get("arranged_by") == "local-authority" for p in placements)
    pupils = Counter(p["pupil"]["ref"] for p in placements)
    assert 0 < sum(1 for count in pupils.values() if count > 1) < len(pupils)


def test_files_replace_only_what_the_generator_wrote_before(tmp_path: Path) -> None:
    generate.generate(tmp_path, 50, seed=1)
    generate.generate(tmp_path, 20, seed=1)

    assert len(_placements(tmp_path)) == 20


def test_it_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "trust.yaml").write_text("name: Someone Else's Trust\n", "utf-8")

    with pytest.raises(SystemExit) as refused:
        generate.generate(tmp_path, 10)

    assert str(refused.value) == (f"generate: {tmp_path} is not empty and was not made by bench/generate.py; "
                                  "name an empty or new folder.")
    assert (tmp_path / "records" / "trust.yaml").read_text("utf-8") == "name: Someone Else's Trust\n"


def test_the_command_line_writes_the_register_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert generate.main(["--placements", "30", "--seed", "2", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    waivers = len(list((tmp_path / "records" / "waivers").glob("*.yaml")))
    assert out.startswith(f"Wrote 1 trust, 1 calendar, 20 school, 60 provider, 30 placement, {waivers} waiver "
                          f"to {tmp_path}/records in ")
    assert out.endswith(" s.\n")
    assert len(_placements(tmp_path)) == 30


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def test_with_git_the_register_is_one_commit_and_a_new_register_starts_a_new_history(tmp_path: Path) -> None:
    generate.generate(tmp_path, 20, seed=5, git=True)
    generate.generate(tmp_path, 10, seed=5, git=True)

    assert _git(tmp_path, "log", "--format=%an|%s") == "Register Editor|Register as generated for benchmarks\n"
    assert _git(tmp_path, "status", "--porcelain", "records") == ""
    assert len(_git(tmp_path, "ls-files", "records/placements").splitlines()) == 10


def test_the_one_commit_holds_exactly_the_files_written(tmp_path: Path) -> None:
    generate.generate(tmp_path, 30, seed=5, git=True)

    committed = {path: _git(tmp_path, "show", f"HEAD:{path}").encode("utf-8")
                 for path in _git(tmp_path, "ls-files").splitlines()}

    assert committed == _files(tmp_path)


def test_a_long_history_has_the_commits_asked_for_a_few_files_each_and_ends_in_the_same_register(
        tmp_path: Path) -> None:
    generate.generate(tmp_path / "one", 200, seed=5, git=True)
    generate.generate(tmp_path / "long", 200, seed=5, commits=150)
    long = tmp_path / "long"

    log = _git(long, "log", "--reverse", "--format=%x00%s", "--name-only").split("\x00")[1:]
    commits = [entry.strip().splitlines() for entry in log]

    assert len(commits) == 150
    assert commits[0][0] == "Set up the register: trust, calendar, schools and providers"
    assert not any("placements/" in path for path in commits[0][1:])
    assert max(len(files) for _, *files in commits[1:]) <= 12
    assert sum(len(files) for _, *files in commits[1:]) > 200  # placements are added, then changed
    assert _git(long, "status", "--porcelain", "records") == ""
    assert _files(long) == _files(tmp_path / "one")


def test_a_placement_is_committed_as_decided_and_then_reviewed_one_review_at_a_time(tmp_path: Path) -> None:
    generate.generate(tmp_path, 200, seed=5, commits=150)
    reviewed = next(p for p in sorted((tmp_path / "records" / "placements").glob("*/*.yaml"))
                    if len(yaml.safe_load(p.read_text("utf-8")).get("reviews", [])) >= 2
                    and yaml.safe_load(p.read_text("utf-8"))["status"] == "completed")
    path = reviewed.relative_to(tmp_path).as_posix()

    versions = [yaml.safe_load(_git(tmp_path, "show", f"{sha}:{path}"))
                for sha in _git(tmp_path, "log", "--reverse", "--format=%H", "--", path).split()]

    final = yaml.safe_load(reviewed.read_text("utf-8"))
    assert [len(v.get("reviews", [])) for v in versions] == [*range(len(final["reviews"]) + 1), len(final["reviews"])]
    assert [v["status"] for v in versions] == ["active"] * (len(versions) - 1) + ["completed"]
    assert "ended" not in versions[-2] and versions[-1] == final
    assert all(v["decision"] == final["decision"] and v["timetable"] == final["timetable"] for v in versions)


def test_the_same_seed_makes_the_same_history_and_another_seed_does_not(tmp_path: Path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate.generate(tmp_path / name, 100, seed=seed, commits=60)

    first, again, other = (_git(tmp_path / name, "rev-parse", "HEAD") for name in "abc")

    assert first == again  # every commit, its date, files and parents the same
    assert first != other


def test_a_register_with_a_long_history_passes_the_check_history_rules_included(tmp_path: Path) -> None:
    generate.generate(tmp_path, 300, seed=7, commits=200)

    result = checker_for(tmp_path, REPO).check(CheckOptions(root=tmp_path, today=TODAY, pack_dir=REPO))

    assert [f"{f.file}:{f.line}:{f.column}: [{f.rule}] {f.message}" for f in result.errors][:5] == []
    assert not [note for note in result.notes if "history checks skipped" in note]
    assert result.counts_by_kind()["placement"] == 300


def test_new_commits_on_top_change_a_few_placements_and_keep_the_register_compliant(tmp_path: Path) -> None:
    generate.generate(tmp_path, 100, seed=7, commits=50)
    before = _git(tmp_path, "rev-parse", "HEAD").strip()

    changed = generate.add_commits(tmp_path, 4, "More")

    assert _git(tmp_path, "rev-list", "--count", f"{before}..HEAD").strip() == "4"
    assert _git(tmp_path, "status", "--porcelain", "records") == ""
    assert 1 <= len(changed) <= 12
    assert set(_git(tmp_path, "diff", "--name-only", before, "HEAD").split()) == set(changed)
    result = checker_for(tmp_path, REPO).check(CheckOptions(root=tmp_path, today=TODAY, pack_dir=REPO))
    assert [f"{f.file}:{f.line}:{f.column}: [{f.rule}] {f.message}" for f in result.errors][:5] == []
