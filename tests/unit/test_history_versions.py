"""Old versions of record files, parsed once and kept by git blob id: a run after new commits parses only new ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ap_lint.checker import Checker
from ap_lint.git.history import HistoryPass
from ap_lint.git.history_cache import FOLDER, HistoryCache
from ap_lint.git.runner import Repository
from ap_lint.load.register import discover
from ap_lint.pack import load_pack
from tests.unit.test_bench_generate import generate

REPO_ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker.from_pack(load_pack(REPO_ROOT))


def run(checker: Checker, root: Path, cache: Path | None) -> tuple[list[tuple[object, ...]], HistoryPass]:
    sources, _ = discover(root, checker.pack)
    rules = [rule for rule in checker.rules if rule.history is not None]
    history = HistoryPass(Repository.open(root), checker.compiler, rules, checker.load(sources), TODAY,
                          [rule.id for rule in checker.rules], cache)
    found = history.run(None, None)
    return sorted((f.file, f.rule, f.path, f.message) for f in found), history


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 placements added and reviewed over 200 commits (the benchmark's generator): judging the main line
    reads many first versions that later commits replaced."""
    root = tmp_path_factory.mktemp("grown") / "register"
    generate.generate(root, 150, 7, git=True, commits=200)
    return root


def test_versions_parsed_by_one_run_are_read_back_by_the_next(checker: Checker, grown: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cold, _ = run(checker, grown, None)
    first, first_pass = run(checker, grown, cache)
    assert first == cold and first_pass.versions.parsed > 0
    assert list((cache / FOLDER).glob("*.versions"))
    again, again_pass = run(checker, grown, cache)
    assert again == cold
    assert again_pass.versions.parsed == 0, "every old version was read back, none parsed again"
    monkeypatch.setattr(HistoryCache, "load_versions", lambda self, max_bytes: {})
    assert run(checker, grown, cache)[1].versions.parsed > 0, "without them, the fold's cache alone parses again"


def test_a_versions_file_that_is_not_what_ap_lint_wrote_is_never_believed(checker: Checker, grown: Path,
                                                                          tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold, _ = run(checker, grown, None)
    run(checker, grown, cache)
    kept = next((cache / FOLDER).glob("*.versions"))
    document = json.loads(kept.read_text("utf-8"))
    emptied = dict.fromkeys(document["versions"])  # no version a readable record
    for odd in (json.dumps({"salt": "another engine or pack", "versions": emptied}),  # the right shape, not its salt
                '{"salt": ',  # truncated
                json.dumps({"salt": document["salt"], "versions": {"not a blob id": {}}}),
                json.dumps({"salt": document["salt"], "versions": {next(iter(emptied)): ["not", "a", "record"]}})):
        kept.write_text(odd, "utf-8")
        found, history = run(checker, grown, cache)
        assert found == cold
        assert history.versions.parsed > 0, f"not read back: {odd[:40]}"
        kept.write_text(json.dumps(document), "utf-8")
