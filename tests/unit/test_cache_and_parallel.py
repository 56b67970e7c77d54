"""A cached or parallel run gives exactly the findings of a cold serial run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

import pytest

from ap_lint.checker import CheckOptions, CheckResult
from ap_lint.evaluate.engine import Evaluator
from ap_lint.git.runner import commit_snapshot
from ap_lint import parallel
from ap_lint.parallel import WorkerDied, map_chunks
from tests.conftest import checker_for

TODAY = "2026-11-28"
COPIES = 40  # a tiny register: the fork threshold is lowered for these tests
MIN_PARALLEL_ITEMS = 8  # so that 40 copies are evaluated (and loaded) by the forked workers


def _grow(root: Path) -> None:
    """Add COPIES placements modelled on one of the example register's, some of them broken."""
    model = (root / "records/placements/oakfield/oakfield-2026-001.yaml").read_text("utf-8")
    folder = root / "records/placements/oakfield"
    for number in range(2, COPIES + 2):
        placement_id = f"oakfield-2026-{number + 100:03d}"
        text = model.replace("oakfield-2026-001", placement_id).replace("CRST-P-10482", f"CRST-P-{50000 + number}")
        if number % 17 == 0:
            text = text.replace('end: "15:00"', "end: 15:00", 1)  # a YAML trap: strict loader
        if number % 13 == 0:
            text = text.replace("attendance_code: D", "attendance_code: Z")  # a schema error
        if number % 11 == 0:
            text = text.replace("name: Ms Robin Testwood", "name: Someone Else")  # a rule error
        (folder / f"{placement_id}.yaml").write_text(text, "utf-8")


@pytest.fixture
def big_register(register_copy: Path) -> Path:
    _grow(register_copy)
    return register_copy


def _check(root: Path, **options: object) -> CheckResult:
    return checker_for(root).check(CheckOptions(root=root, today=TODAY, min_parallel_items=MIN_PARALLEL_ITEMS,
                                                     **options))  # type: ignore[arg-type]


def _shape(result: CheckResult) -> list[tuple[object, ...]]:
    return [(f.file, f.line, f.column, f.rule, f.severity, f.clause, f.path, f.message, f.waived_by)
            for f in result.findings]


def test_parallel_run_equals_serial_run(big_register: Path) -> None:
    serial = _check(big_register, jobs=1)
    parallel = _check(big_register, jobs=2)
    assert _shape(parallel) == _shape(serial)
    rules = {f.rule for f in serial.findings}
    assert {"yaml-sexagesimal", "schema"} <= rules  # the broken copies were reported
    assert len(serial.records) == len(parallel.records) > COPIES


def test_cached_runs_equal_cold_serial_run(big_register: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = _shape(_check(big_register, jobs=1))
    first = _check(big_register, jobs=2, cache_dir=cache)
    assert (cache / "check.json").is_file()
    warm = _check(big_register, jobs=2, cache_dir=cache)
    assert _shape(first) == cold
    assert _shape(warm) == cold

    changed = big_register / "records/placements/oakfield/oakfield-2026-001.yaml"
    changed.write_text(changed.read_text("utf-8").replace("principal\n", "someone-else\n", 1), "utf-8")
    after_change = _check(big_register, jobs=2, cache_dir=cache)
    cold_after_change = _check(big_register, jobs=1)
    assert _shape(after_change) == _shape(cold_after_change)
    assert _shape(after_change) != cold  # the change is seen, not served from the cache



def test_the_context_keys_a_first_run_makes_in_its_workers_let_the_next_run_reuse_every_unchanged_record(
        big_register: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    _check(big_register, jobs=2, cache_dir=cache)  # a first run: each record's key is made where it is evaluated
    changed = big_register / "records/placements/oakfield/oakfield-2026-001.yaml"
    changed.write_text(changed.read_text("utf-8").replace("principal\n", "someone-else\n", 1), "utf-8")
    evaluated: list[str] = []
    original = Evaluator.evaluate_record

    def counting(self: Evaluator, register: Any, record: Any, *args: Any) -> Any:
        evaluated.append(record.file)
        return original(self, register, record, *args)

    monkeypatch.setattr(Evaluator, "evaluate_record", counting)
    after_change = _check(big_register, jobs=1, cache_dir=cache)
    monkeypatch.undo()
    assert _shape(after_change) == _shape(_check(big_register, jobs=1))
    assert len(evaluated) < 10  # the changed placement and the few records that see it, not all of them

def test_cache_is_ignored_when_today_changes(big_register: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _check(big_register, cache_dir=cache)
    later = checker_for(big_register).check(CheckOptions(root=big_register, today="2027-06-30",
                                                              cache_dir=cache, jobs=1))
    cold_later = checker_for(big_register).check(CheckOptions(root=big_register, today="2027-06-30", jobs=1))
    assert _shape(later) == _shape(cold_later)


def test_a_corrupt_cache_is_a_cold_run(big_register: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "check.json").write_text('{"salt": 1, "records": [[', "utf-8")
    assert _shape(_check(big_register, cache_dir=cache, jobs=1)) == _shape(_check(big_register, jobs=1))


def test_the_cache_folder_ignores_itself_in_git(big_register: Path) -> None:
    cache = big_register / ".ap-lint-cache"
    _check(big_register, cache_dir=cache, jobs=1)
    assert (cache / ".gitignore").read_text("utf-8").splitlines()[-1] == "*"


def test_the_cache_is_not_written_into_records(register_copy: Path, tmp_path: Path) -> None:
    before = sorted(p.relative_to(register_copy) for p in (register_copy / "records").rglob("*"))
    _check(register_copy, cache_dir=register_copy / ".ap-lint-cache")
    assert sorted(p.relative_to(register_copy) for p in (register_copy / "records").rglob("*")) == before


def test_map_chunks_keeps_order_across_workers() -> None:
    items = list(range(MIN_PARALLEL_ITEMS * 3))
    assert map_chunks(lambda chunk: [i * 2 for i in chunk], items, jobs=2, min_items=MIN_PARALLEL_ITEMS) == [
        i * 2 for i in items]


def test_map_chunks_forks_at_the_threshold_it_is_given() -> None:
    seen: list[int] = []
    items = list(range(MIN_PARALLEL_ITEMS))
    assert map_chunks(lambda chunk: seen.extend(chunk) or list(chunk), items, jobs=2, min_items=MIN_PARALLEL_ITEMS) \
        == items
    assert seen == []  # the work was done by forked workers, whose side effects are not seen here


def test_a_worker_makes_way_for_a_new_one_after_its_share(monkeypatch: pytest.MonkeyPatch) -> None:
    # a worker keeps what it gathers (pages it copied, memory it could not give back) until it exits: so it
    # takes chunks only until it has done WORKER_ITEMS items, and a new worker takes the rest
    monkeypatch.setattr(parallel, "MAX_CHUNK_ITEMS", 3)
    monkeypatch.setattr(parallel, "WORKER_ITEMS", 6)
    items = list(range(60))
    found = map_chunks(lambda chunk: [(i, os.getpid()) for i in chunk], items, jobs=2, min_items=MIN_PARALLEL_ITEMS)
    assert [i for i, _ in found] == items
    by_worker: dict[int, int] = {}
    for _, pid in found:
        by_worker[pid] = by_worker.get(pid, 0) + 1
    assert os.getpid() not in by_worker
    assert len(by_worker) >= 60 // 6 and max(by_worker.values()) <= 6


def test_a_small_input_is_done_by_one_fork_a_worker() -> None:
    found = map_chunks(lambda chunk: [os.getpid() for _ in chunk], list(range(100)), jobs=2, min_items=8)
    assert len(set(found)) <= 2 and os.getpid() not in found


def test_an_exception_in_a_worker_is_raised_here() -> None:
    def fail_on_seven(chunk: Sequence[int]) -> list[int]:
        if 7 in chunk:
            raise KeyError("seven")
        return list(chunk)

    with pytest.raises(KeyError, match="seven") as raised:
        map_chunks(fail_on_seven, list(range(MIN_PARALLEL_ITEMS * 4)), jobs=2, min_items=MIN_PARALLEL_ITEMS)
    assert isinstance(raised.value.__cause__, parallel.WorkerTraceback)
    assert "fail_on_seven" in str(raised.value.__cause__)


def test_a_result_that_cannot_be_sent_back_is_an_error_not_a_hang() -> None:
    with pytest.raises(RuntimeError, match="could not be sent back"):
        map_chunks(lambda chunk: [lambda: item for item in chunk], list(range(MIN_PARALLEL_ITEMS * 2)), jobs=2,
                   min_items=MIN_PARALLEL_ITEMS)


def test_map_chunks_runs_small_inputs_in_process() -> None:
    seen: list[int] = []
    map_chunks(lambda chunk: seen.extend(chunk) or [], [1, 2, 3], jobs=2)
    assert seen == [1, 2, 3]  # a forked worker's side effects would not be visible here


@pytest.mark.parametrize("jobs", [1, 2])
def test_copying_the_register_keeps_findings(big_register: Path, tmp_path: Path, jobs: int) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(big_register, copy)
    assert _shape(_check(copy, jobs=jobs)) == _shape(_check(big_register, jobs=jobs))


def test_the_history_pass_gives_the_same_findings_cached_parallel_and_cold(big_register: Path,
                                                                          tmp_path: Path) -> None:
    """The history pass too: its fold cached by commit id changes no finding, before or after a new commit."""
    placements = big_register / "records/placements/oakfield"
    commit_snapshot(big_register, "The register", "2026-10-20", "Ann Example")
    moved = placements / "oakfield-2026-105.yaml"
    moved.write_text(moved.read_text("utf-8").replace("  date: 2026-09-03", "  date: 2026-08-28", 1), "utf-8")
    (placements / "oakfield-2026-106.yaml").unlink()
    commit_snapshot(big_register, "Tidy two placements", "2026-11-02", "Ben Sample")
    cache = tmp_path / "cache"
    cold = _shape(_check(big_register, jobs=1))
    history = [row[3] for row in cold if str(row[3]).startswith("history-")]
    assert sorted(history) == ["history-decision-date-fixed", "history-placement-never-deleted"]
    assert _shape(_check(big_register, jobs=2, cache_dir=cache)) == cold
    assert any((cache / "history").glob("*.json"))  # the fold was cached
    assert _shape(_check(big_register, jobs=2, cache_dir=cache)) == cold

    review = placements / "oakfield-2026-107.yaml"
    review.write_text(review.read_text("utf-8").replace("attendance_percent: 88", "attendance_percent: 99"), "utf-8")
    commit_snapshot(big_register, "Improve a review", "2026-11-03", "Ben Sample")
    after = _shape(_check(big_register, jobs=2, cache_dir=cache))
    assert after == _shape(_check(big_register, jobs=1))
    assert len([row for row in after if str(row[3]).startswith("history-")]) == 3


def _notes(result: CheckResult) -> list[str]:
    return [note for note in result.notes if "cache" not in note]


def test_a_history_that_changed_under_the_same_files_is_not_served_from_the_cache(big_register: Path,
                                                                                   tmp_path: Path) -> None:
    """The files end as they began, but two new commits changed a decision's date and put it back: the
    warm run must judge the new history, as a cold run does (the result is keyed by the commit too)."""
    placements = big_register / "records/placements/oakfield"
    commit_snapshot(big_register, "The register", "2026-10-20", "Ann Example")
    cache = tmp_path / "cache"
    before = _check(big_register, jobs=1, cache_dir=cache)
    moved = placements / "oakfield-2026-105.yaml"
    original = moved.read_text("utf-8")
    moved.write_text(original.replace("  date: 2026-09-03", "  date: 2026-08-28", 1), "utf-8")
    commit_snapshot(big_register, "Move a decision", "2026-11-02", "Ben Sample")
    moved.write_text(original, "utf-8")
    commit_snapshot(big_register, "Move it back", "2026-11-03", "Ben Sample")
    warm = _check(big_register, jobs=1, cache_dir=cache)
    cold = _check(big_register, jobs=1)
    assert _shape(warm) == _shape(cold) and _notes(warm) == _notes(cold)
    fixed = [row for row in _shape(cold) if row[3] == "history-decision-date-fixed"]
    assert fixed and fixed[0][0] == "records/placements/oakfield/oakfield-2026-105.yaml"
    assert _shape(cold) != _shape(before)


def test_a_staged_check_gives_the_same_findings_with_a_warm_cache(big_register: Path, tmp_path: Path) -> None:
    """Pre-commit's check (--staged) reuses the cache for what the register held before the change too; it
    must report exactly what a cold scoped run reports, the findings the change causes elsewhere included."""
    import ap_lint

    placements = big_register / "records/placements/oakfield"
    commit_snapshot(big_register, "The register", "2026-10-20", "Ann Example")
    cache = tmp_path / "cache"
    ap_lint.check(big_register, today=TODAY, cache_dir=cache)  # warm
    copy = placements / "oakfield-2026-199.yaml"
    copy.write_text((placements / "oakfield-2026-105.yaml").read_text("utf-8"), "utf-8")  # same id, sessions
    subprocess.run(["git", "add", str(copy)], cwd=big_register, check=True, capture_output=True)
    warm = ap_lint.check(big_register, today=TODAY, staged=True, cache_dir=cache)
    cold = ap_lint.check(big_register, today=TODAY, staged=True)
    assert _shape(warm) == _shape(cold) and warm.not_shown == cold.not_shown > 0
    assert warm.scope == cold.scope == frozenset({"records/placements/oakfield/oakfield-2026-199.yaml"})
    elsewhere = [row for row in _shape(cold) if row[0] != "records/placements/oakfield/oakfield-2026-199.yaml"]
    assert elsewhere, "the clash the copy causes is reported on the record it clashes with too"


def test_a_worker_that_dies_ends_the_run_with_a_message() -> None:
    def die_in_one_worker(chunk: Sequence[int]) -> list[int]:
        if 0 in chunk:
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        return list(chunk)

    with pytest.raises(WorkerDied, match="a worker process stopped before it finished") as raised:
        map_chunks(die_in_one_worker, list(range(MIN_PARALLEL_ITEMS * 2)), jobs=2, min_items=MIN_PARALLEL_ITEMS)
    assert raised.value.exit_code == 2


def test_a_dead_worker_is_exit_2_from_the_command_line(big_register: Path) -> None:
    script = ("import os, signal, sys\n"
              "from ap_lint.evaluate import engine\n"
              "from ap_lint.cli import main\n"
              "parent = os.getpid()\n"
              "real = engine.Evaluator.evaluate\n"
              "def evaluate(self, register, records):\n"
              "    if os.getpid() != parent:\n"
              "        os.kill(os.getpid(), signal.SIGKILL)\n"
              "    return real(self, register, records)\n"
              "engine.Evaluator.evaluate = evaluate\n"
              "import dataclasses\n"
              "from ap_lint.checker import Checker\n"
              "real_run = Checker.run_context\n"
              "def run_context(self, *args, **kwargs):\n"  # the tiny register forks, as the tests' checks do
              f"    return dataclasses.replace(real_run(self, *args, **kwargs), min_parallel_items={MIN_PARALLEL_ITEMS})\n"
              "Checker.run_context = run_context\n"
              "sys.argv = ['ap-lint', 'check', '--no-cache', '--jobs', '2', '--today', '2026-11-28', sys.argv[1]]\n"
              "main()\n")
    done = subprocess.run([sys.executable, "-c", script, str(big_register)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("ap-lint: error: a worker process stopped before it finished")
    assert "Traceback" not in done.stderr
