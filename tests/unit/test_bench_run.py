"""The benchmark's targets (bench/run.py) judge issue 16's goals from the measured runs."""

from __future__ import annotations

from typing import Any

from tests.conftest import bench_module

run = bench_module("run")


def _result(placements: int, commits: int, cpu: dict[str, float], wall: float = 1.0) -> Any:
    series = {name: run.Series([run.Measurement(wall, 80 << 20, 80 << 20, 0, seconds)])
              for name, seconds in cpu.items()}
    return run.SizeResult(run.Register(placements, commits), placements, 0.0, series, [], [])


def _targets(history_cpu: dict[str, float], precommit_wall: float = 0.3) -> dict[str, tuple[float, str]]:
    one = _result(1000, 1, {"cold": 4.0, "warm": 2.0})
    long = _result(1000, 1000, history_cpu)
    long.series["precommit"] = run.Series([run.Measurement(precommit_wall, 0, 0, 0, precommit_wall)])
    found = run.ratios({"1000": one, "1000x1000": long})
    return {t["target"].split(": ", 1)[1]: (round(t["value"], 3), t["result"]) for t in found}


def test_a_history_pass_that_costs_what_is_new_passes_the_linear_targets() -> None:
    targets = _targets({"cold": 6.0, "warm": 2.05, "edits_10": 2.5, "new_10": 2.56, "edits_100": 3.0, "new_100": 3.3})

    assert targets["CPU time the history adds to a warm run"] == (0.05, "PASS")
    # limits: 2 x 10/1000 x 2 s + 0.1 s, and 2 x 100/1000 x 2 s + 0.1 s
    assert targets["CPU time 10 new commits add over the same edits uncommitted"] == (0.06, "PASS")
    assert targets["CPU time 100 new commits add over the same edits uncommitted"] == (0.3, "PASS")


def test_a_history_pass_that_reads_the_whole_history_on_every_run_fails_them() -> None:
    targets = _targets({"cold": 6.0, "warm": 4.0, "edits_10": 4.5, "new_10": 6.5, "edits_100": 5.0, "new_100": 7.0})

    assert targets["CPU time the history adds to a warm run"] == (2.0, "FAIL")
    assert targets["CPU time 10 new commits add over the same edits uncommitted"] == (2.0, "FAIL")
    assert targets["CPU time 100 new commits add over the same edits uncommitted"] == (2.0, "FAIL")


def test_what_new_commits_add_to_the_whole_run_is_shown_beside_the_history_target() -> None:
    one = _result(1000, 1, {"cold": 4.0, "warm": 2.0})
    long = _result(1000, 1000, {"cold": 6.0, "warm": 2.0, "edits_10": 2.5, "new_10": 2.56})
    row = next(t for t in run.ratios({"1000": one, "1000x1000": long}) if "10 new commits" in t["target"])
    assert run.fmt_cpu_ratio(row) == "cpu 0.56 s over a warm run"


def test_the_pre_commit_run_on_the_long_history_must_take_under_half_a_second() -> None:
    history = {"cold": 6.0, "warm": 2.0, "edits_10": 2.0, "new_10": 2.0, "edits_100": 2.0, "new_100": 2.0}

    assert _targets(history, 0.45)["pre-commit (--staged, one file), warm"] == (0.45, "PASS")
    assert _targets(history, 0.55)["pre-commit (--staged, one file), warm"] == (0.55, "FAIL")


def test_history_sizes_are_read_as_placements_and_commits() -> None:
    assert run.parse_history("1000:1000,10_000:500") == [(1000, 1000), (10000, 500)]
    assert [r.title for r in run.registers([10000, 1000], [(1000, 1000)], True)] == [
        "1,000 placements, one commit", "10,000 placements, one commit", "1,000 placements, 1,000 commits"]
    assert [r.title for r in run.registers([1000], [(1000, 1000)], False)] == ["1,000 placements, not in git"]
