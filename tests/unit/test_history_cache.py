"""The history pass costs what changed: folds of the main line cached by commit id, each version parsed once.

The repositories are built with ``git fast-import`` (tests/long_history.py):
the example register, then commits that each add a placement and review the
one before; every tenth also moves a decision date (a finding to find).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from ap_lint.checker import Checker
from ap_lint.findings import Finding
from ap_lint.git import runner
from ap_lint.git.history import HistoryPass
from ap_lint.git.history_cache import FOLDER, HistoryCache, HistoryMemory
from ap_lint.git.runner import Repository
from ap_lint.load.register import Record, discover
from tests import long_history
from tests.conftest import checker_for

REPO_ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"
COMMITS = 30


@pytest.fixture(scope="module")
def checker() -> Checker:
    return checker_for(REPO_ROOT)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "register"
    long_history.build(root, COMMITS, breach_every=10)
    return root


def records_of(checker: Checker, root: Path) -> list[Record]:
    sources, _ = discover(root, checker.pack)
    return checker.load(sources)


def history_pass(checker: Checker, root: Path, cache: Path | None) -> HistoryPass:
    rules = [rule for rule in checker.rules if rule.history is not None]
    return HistoryPass(Repository.open(root), checker.compiler, rules, records_of(checker, root), TODAY,
                       [rule.id for rule in checker.rules], cache)


def shape(findings: list[Finding]) -> list[tuple[object, ...]]:
    return sorted((f.file, f.rule, f.severity, f.clause, f.path, f.message) for f in findings)


def git_calls(monkeypatch: pytest.MonkeyPatch, action: Callable[[], object]) -> list[list[str]]:
    """The git commands ``action`` runs (each without git's fixed options)."""
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args: list[str], *rest: object, **options: object) -> object:
        if args and args[0] == "git":
            calls.append([a for a in args[1:] if a != "-c" and "=" not in a and not a.startswith("--no-pager")
                          and a != "--literal-pathspecs"])
        return real_run(args, *rest, **options)  # type: ignore[call-overload]

    monkeypatch.setattr(runner.subprocess, "run", counting_run)
    action()
    monkeypatch.undo()
    return calls


def cold(checker: Checker, root: Path) -> list[tuple[object, ...]]:
    return shape(history_pass(checker, root, None).run(None, None))


def test_the_long_history_has_its_findings(checker: Checker, repo: Path) -> None:
    found = history_pass(checker, repo, None).run(None, None)
    assert sorted((f.file, f.rule, f.path_text) for f in found) == [
        (long_history.placement_path(number - 1), "history-decision-date-fixed", "decision.date")
        for number in (10, 20, 30)]
    assert all(": decision.date: 2026-09-03 → 2026-08-28. " in f.message for f in found)


def test_a_cached_fold_gives_the_cold_findings_and_a_new_commit_costs_its_own_changes(
        checker: Checker, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    expected = cold(checker, repo)
    first = history_pass(checker, repo, cache)
    assert shape(first.run(None, None)) == expected
    assert first.versions.parsed == COMMITS - 1  # every version once; the files on disk are not parsed again
    assert len(list((cache / FOLDER).glob("*.json"))) == 1

    warm = history_pass(checker, repo, cache)
    calls = git_calls(monkeypatch, lambda: warm.run(None, None))
    assert shape(warm.run(None, None)) == expected
    assert warm.versions.parsed == 0
    # the changes on disk, and the versions the findings quote (the files on disk: read, not parsed): no log
    assert [call[0] for call in calls] == ["diff", "ls-files", "cat-file"]

    number = COMMITS + 1
    long_history.add_commit(repo, number, "Add one more placement and review the last", {
        long_history.placement_path(number): long_history.placement_text(number),
        long_history.placement_path(number - 1): long_history.placement_text(number - 1, reviews=1,
                                                                            decision="2026-08-28")})
    later = history_pass(checker, repo, cache)
    calls = git_calls(monkeypatch, lambda: later.run(None, None))
    logs = [call for call in calls if call[0] == "log"]
    assert len(logs) == 1 and any(".." in argument for argument in logs[0])  # only the commits after the cached one
    assert later.versions.parsed == 1  # the reviewed placement's previous version; the new ones are on disk
    after = cold(checker, repo)
    assert shape(later.run(None, None)) == after
    assert len(after) == len(expected) + 1


def test_folds_kept_in_memory_give_the_cold_findings_and_a_new_commit_costs_its_own_changes(
        checker: Checker, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An audit keeps the folds in a HistoryMemory: what a run folds on top of one it got is not written back
    into it, nothing is written to disk, and a new commit is folded on its own."""
    memory = HistoryMemory()
    rules = [rule for rule in checker.rules if rule.history is not None]

    def run() -> list[Finding]:
        return HistoryPass(Repository.open(repo), checker.compiler, rules, records_of(checker, repo), TODAY,
                           [rule.id for rule in checker.rules], None, memory=memory).run(None, None)

    expected = cold(checker, repo)
    assert shape(run()) == expected
    assert memory.commits() == {Repository.open(repo).head}
    kept = memory.load(Repository.open(repo).head)
    assert kept is not None and len(kept.breaches) >= len(expected)  # before each rule's `when` is asked
    kept.breaches.clear()  # a copy: what the memory keeps is not changed
    assert shape(run()) == expected

    number = COMMITS + 1
    long_history.add_commit(repo, number, "Add one more placement and review the last", {
        long_history.placement_path(number): long_history.placement_text(number),
        long_history.placement_path(number - 1): long_history.placement_text(number - 1, reviews=1,
                                                                            decision="2026-08-28")})
    calls = git_calls(monkeypatch, run)
    logs = [call for call in calls if call[0] == "log"]
    assert len(logs) == 1 and any(".." in argument for argument in logs[0])  # only the commit after the kept one
    after = cold(checker, repo)
    assert shape(run()) == after
    assert len(after) == len(expected) + 1
    assert not (tmp_path / "cache").exists() and not any((repo / ".git").glob("ap-lint*"))


def _corruptions() -> list[tuple[str, Callable[[dict[str, Any]], object]]]:
    def set_key(key: str, value: object) -> Callable[[dict[str, Any]], object]:
        return lambda document: document.__setitem__(key, value)

    def breach(index: int, value: object) -> Callable[[dict[str, Any]], object]:
        return lambda document: document["breaches"][0].__setitem__(index, value)

    return [
        ("another format", set_key("format", 999)),
        ("another pack", set_key("salt", "1:0.1.0:another-pack:")),
        ("another commit", set_key("commit", "0" * 40)),
        ("a step count that is not a number", set_key("steps", True)),
        ("breaches that are not a list", set_key("breaches", {"a": 1})),
        ("deleted files with a bad blob id", set_key("deleted", {"records/x.yaml": "not-a-blob"})),
        ("a breach of an unknown rule", breach(0, "no-such-rule")),
        ("a breach of an unknown kind", breach(1, "forgotten")),
        ("a breach from a step not folded", breach(2, 10**6)),
        ("a breach with a bad field path", breach(7, [{"a": 1}])),
        ("a breach with no commit", breach(3, None)),
        ("a breach cut short", lambda document: document["breaches"][0].pop()),
        ("late additions of an unknown rule", set_key("late", {"records/x.yaml": {"no-such-rule": []}})),
    ]


@pytest.mark.parametrize(("name", "corrupt"), _corruptions(), ids=[name for name, _ in _corruptions()])
def test_an_odd_cache_entry_is_recomputed_never_trusted(checker: Checker, repo: Path, tmp_path: Path, name: str,
                                                        corrupt: Callable[[dict[str, Any]], object]) -> None:
    cache = tmp_path / "cache"
    expected = cold(checker, repo)
    history_pass(checker, repo, cache).run(None, None)
    (entry,) = (cache / FOLDER).glob("*.json")
    document = json.loads(entry.read_text("utf-8"))
    corrupt(document)
    if name == "another format":  # and one that is not JSON at all
        entry.write_text("{not json", "utf-8")
        again = history_pass(checker, repo, cache)
        assert shape(again.run(None, None)) == expected
        assert again.versions.parsed + again.versions.read_back == COMMITS - 1
    entry.write_text(json.dumps(document), "utf-8")
    again = history_pass(checker, repo, cache)
    assert shape(again.run(None, None)) == expected
    # folded again from the first commit: every version read again (parsed, or read back by blob id)
    assert again.versions.parsed + again.versions.read_back == COMMITS - 1


def test_a_cache_folder_that_git_tracks_is_not_read(checker: Checker, repo: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A forged fold committed into the repository (git add -f) cannot hide a finding."""
    cache = repo / ".ap-lint-cache"
    expected = cold(checker, repo)
    history_pass(checker, repo, cache).run(None, None)
    (entry,) = (cache / FOLDER).glob("*.json")
    document = json.loads(entry.read_text("utf-8"))
    document["breaches"] = []  # a fold of the same commit that claims the history is clean
    entry.write_text(json.dumps(document), "utf-8")
    subprocess.run(["git", "add", "-f", ".ap-lint-cache"], cwd=repo, check=True)  # past the .gitignore it made
    long_history.add_commit(repo, COMMITS + 1, "Add the cache", {})
    assert "ap-lint-cache" in subprocess.run(
        ["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True,
        env={**os.environ, **long_history.GIT_ENVIRONMENT}).stdout
    forged = history_pass(checker, repo, cache)
    assert forged.cache is None
    assert shape(forged.run(None, None)) == expected


def test_another_pack_or_register_folder_does_not_read_the_fold(checker: Checker, repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    history_pass(checker, repo, cache).run(None, None)
    rules = frozenset(rule.id for rule in checker.rules if rule.history is not None)
    head = Repository.open(repo).head
    assert head is not None
    assert HistoryCache(cache, checker.pack.digest, "", rules).commits() == {head}
    assert HistoryCache(cache, "another-digest", "", rules).commits() == set()
    assert HistoryCache(cache, checker.pack.digest, "register/", rules).load(head) is None


def test_a_scoped_run_reads_the_history_of_its_files_only(checker: Checker, repo: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    reviewed = long_history.placement_path(COMMITS - 1)  # its decision date was moved in the last commit
    scoped = history_pass(checker, repo, None)
    calls = git_calls(monkeypatch, lambda: scoped.run(None, {reviewed, "rules/settings.yaml"}))
    assert [call[-1] for call in calls if call[0] in ("log", "diff", "ls-files")] == [reviewed] * 3
    found = history_pass(checker, repo, None).run(None, {reviewed})
    assert [(f.file, f.rule) for f in found] == [(reviewed, "history-decision-date-fixed")]
