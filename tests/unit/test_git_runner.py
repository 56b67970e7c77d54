"""The one git runner and the one blob reader: a clean environment, a timeout, output no user setting changes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ap_lint.checker import CheckOptions
from ap_lint.errors import GitError
from ap_lint.git import runner
from ap_lint.git.blobs import BlobReader
from ap_lint.git.runner import GitRunner, NotARepository, Repository, clean_environment, commit_snapshot
from tests.conftest import checker_for

REPO_ROOT = Path(__file__).resolve().parents[2]
BEHAVIOUR = "records/placements/oakfield/oakfield-2026-001.yaml"


def test_the_environment_keeps_what_locates_the_repository_and_drops_what_changes_output(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {"GIT_EXTERNAL_DIFF": "evil-diff", "GIT_PAGER": "less", "PAGER": "less", "LANG": "de_DE.UTF-8",
                        "LC_ALL": "de_DE.UTF-8", "GIT_TRACE": "1", "GIT_CONFIG_PARAMETERS": "'color.ui'='always'",
                        "GIT_INDEX_FILE": ".git/next-index.lock", "GIT_DIR": ".git", "HOME": "/home/editor"}.items():
        monkeypatch.setenv(name, value)
    environment = clean_environment()
    assert {name: environment.get(name) for name in (
        "GIT_EXTERNAL_DIFF", "GIT_TRACE", "GIT_CONFIG_PARAMETERS", "LANG", "LC_ALL", "GIT_PAGER", "PAGER")} == {
        "GIT_EXTERNAL_DIFF": None, "GIT_TRACE": None, "GIT_CONFIG_PARAMETERS": None, "LANG": "C", "LC_ALL": "C",
        "GIT_PAGER": "cat", "PAGER": "cat"}
    # a hook's relative paths are made absolute: git runs in the register's folder, not where the hook started
    assert environment["GIT_INDEX_FILE"] == str(tmp_path / ".git" / "next-index.lock")
    assert environment["GIT_DIR"] == str(tmp_path / ".git")
    assert environment["HOME"] == "/home/editor"


def test_a_git_command_that_takes_too_long_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match=r"^git version took longer than 1e-06 s; try again\.$"):
        GitRunner(tmp_path, timeout=1e-6).run("version")


def test_no_git_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NotARepository, match="git is not installed"):
        GitRunner(tmp_path).run("version")


def test_a_register_in_a_folder_of_a_repository_knows_its_prefix(tmp_path: Path) -> None:
    (tmp_path / "ap register" / "records").mkdir(parents=True)
    (tmp_path / "ap register" / "records" / "a.yaml").write_text("id: a\n", "utf-8")
    commit_snapshot(tmp_path, "First", "2026-01-02")
    repository = Repository.open(tmp_path / "ap register")
    assert (repository.prefix, repository.boundary) == ("ap register/", frozenset())
    assert repository.head == subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True,
                                             text=True, check=True).stdout.strip()
    assert repository.relative(b"ap register/records/a.yaml") == "records/a.yaml"
    assert repository.relative(b"README.md") is None
    with pytest.raises(NotARepository, match="not a git repository"):
        Repository.open(tmp_path.parent)


def test_the_blob_reader_answers_every_name_in_one_batch(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "new, odd.yaml").write_text("id: odd\n", "utf-8")
    commit_snapshot(tmp_path, "First", "2026-01-02")
    found = BlobReader(GitRunner(tmp_path)).read(
        ["HEAD:records/new, odd.yaml", "HEAD:records/missing file.yaml", "HEAD:records", "HEAD:a\nb", "0" * 40])
    assert found == {"HEAD:records/new, odd.yaml": b"id: odd\n", "HEAD:records/missing file.yaml": None,
                     "HEAD:records": None, "HEAD:a\nb": None, "0" * 40: None}


def test_a_users_git_settings_change_no_finding(register_copy: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    commit_snapshot(register_copy, "Register", "2026-10-20", "Ann Example")
    text = (register_copy / BEHAVIOUR).read_text("utf-8")
    (register_copy / BEHAVIOUR).write_text(text.replace("attendance_percent: 88", "attendance_percent: 95"), "utf-8")
    commit_snapshot(register_copy, "Update attendance", "2026-11-24", "Cal Person")
    subprocess.run(["git", "mv", BEHAVIOUR, "records/placements/oakfield/oakfield-2026-009.yaml"], cwd=register_copy,
                   check=True, env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull})
    checker = checker_for(REPO_ROOT)

    def history() -> list[tuple[object, ...]]:
        result = checker.check(CheckOptions(root=register_copy, today="2026-11-28", jobs=1))
        return [(f.file, f.line, f.rule, f.message) for f in result.findings if f.rule.startswith("history-")]

    plain = history()
    assert [row[2] for row in plain] == ["history-placement-never-deleted", "history-reviews-append-only"]
    settings = tmp_path / "gitconfig"
    settings.write_text("[color]\n\tui = always\n[log]\n\tshowSignature = true\n\tfollow = true\n\tdecorate = full\n"
                        "\tdiffMerges = separate\n[core]\n\tquotepath = true\n\tpager = false\n[diff]\n"
                        "\trenames = copies\n\tnoprefix = true\n\texternal = false\n", "utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(settings))
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", "false")
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert history() == plain
    assert runner.GIT_TIMEOUT_SECONDS >= 60


def _count_git_questions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...], bytes | None]]:
    asked: list[tuple[str, tuple[str, ...], bytes | None]] = []
    real = subprocess.run

    def counting(command: list[str], *args: object, **kwargs: object) -> object:
        if command and command[0] == "git":
            asked.append((str(kwargs.get("cwd")), tuple(command), kwargs.get("input")))  # type: ignore[arg-type]
        return real(command, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", counting)
    return asked


def test_one_check_asks_git_each_read_only_question_once(register_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ap_lint

    commit_snapshot(register_copy, "The register", "2026-09-01")
    path = register_copy / BEHAVIOUR
    path.write_text(path.read_text("utf-8").replace("objectives:", "objectives:\n  # reviewed\n", 1), "utf-8")
    GitRunner(register_copy).output("add", "--", BEHAVIOUR)
    asked = _count_git_questions(monkeypatch)
    # a cache folder in the work tree: whether git tracks it is asked for the pack's memo and the check's cache
    result = ap_lint.check(register_copy, today="2026-11-28", staged=True, cache_dir=register_copy / ".ap-lint-cache")
    assert result.scope == frozenset({BEHAVIOUR})
    read_only = [(folder, _question(command), stdin) for folder, command, stdin in asked
                 if _question(command)[0] in runner._READ_ONLY]
    assert read_only, "the staged check asks git nothing"
    repeated = sorted({q[1] for q in read_only if read_only.count(q) > 1})
    assert repeated == []


def _question(command: tuple[str, ...]) -> tuple[str, ...]:
    """A git command line from its subcommand on (the options before it, -c and -C with their values, dropped)."""
    index = 1
    while index < len(command) and command[index].startswith("-"):
        index += 2 if command[index] in ("-c", "-C") else 1
    return command[index:]


def test_outside_one_check_git_is_asked_again_and_sees_a_change(tmp_path: Path) -> None:
    git = GitRunner(tmp_path)
    git.output("init", "-q")
    assert git.output("ls-files", "--others", "--exclude-standard", "-z") == b""
    (tmp_path / "new.txt").write_text("new\n", "utf-8")
    assert git.output("ls-files", "--others", "--exclude-standard", "-z") == b"new.txt\0"
    with runner.one_check():
        assert git.output("ls-files", "--others", "--exclude-standard", "-z") == b"new.txt\0"
        (tmp_path / "newer.txt").write_text("newer\n", "utf-8")
        # within one check the repository is read as it was when the check began
        assert git.output("ls-files", "--others", "--exclude-standard", "-z") == b"new.txt\0"
    assert git.output("ls-files", "--others", "--exclude-standard", "-z") == b"new.txt\0newer.txt\0"
