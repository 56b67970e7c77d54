"""Attacks on the check, each run the way it would meet the check: the attack must fail, not pass.

All data is fictional: the UPN uses the local authority number 999 (no authority has it), the phone number is
from the range Ofcom keeps for drama.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from ap_lint.git.history import commit_snapshot
from tests.acceptance.test_privacy import upn_with_check_letter
from tests.conftest import RunCli

TODAY = "2026-11-28"
PLACEMENT = "records/placements/oakfield/oakfield-2026-001.yaml"
UPN = upn_with_check_letter("999205011001")  # 999 is no local authority's number
PHONE = "07700 900123"
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "Ann Example",
           "GIT_AUTHOR_EMAIL": "ann@example.invalid", "GIT_COMMITTER_NAME": "Ann Example",
           "GIT_COMMITTER_EMAIL": "ann@example.invalid"}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV})
    return done.stdout


def digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def add_personal_data(root: Path) -> None:
    path = root / PLACEMENT
    text = path.read_text("utf-8")
    start = text.index("rationale: ")
    end = text.index("\n", start)
    path.write_text(text[:start] + f"rationale: Pupil {UPN} needs small-group teaching in English and maths; "
                    f"call mum on {PHONE} before each session." + text[end:], "utf-8")


@pytest.fixture
def origin(register_copy: Path) -> Path:
    """The register's repository, as the server holds it: a clean main branch."""
    commit_snapshot(register_copy, "Register as at October", "2026-10-20", "Ann Example")
    return register_copy


@pytest.mark.slow
def test_a_forged_cache_committed_to_a_branch_does_not_pass_personal_data_in_ci(
        run_cli: RunCli, origin: Path, tmp_path: Path) -> None:
    # The attacker: a branch with a placement holding a UPN and a phone number, and a cache that says the new
    # file is the old clean one (the old record filed under the new file's digest), committed with git add -f.
    attacker = tmp_path / "attacker"
    git(tmp_path, "clone", "-q", str(origin), str(attacker))
    git(attacker, "checkout", "-q", "-b", "pupil-data")
    forged = attacker / ".ap-lint-cache"
    built = run_cli("check", "--today", TODAY, attacker, env={"AP_LINT_CACHE_DIR": str(forged)})
    assert built.returncode == 0, built.stdout + built.stderr
    clean = digest(attacker / PLACEMENT)
    add_personal_data(attacker)
    cache_file = forged / "check.json"
    cache_file.write_text(cache_file.read_text("utf-8").replace(clean, digest(attacker / PLACEMENT)), "utf-8")
    git(attacker, "add", PLACEMENT)
    git(attacker, "add", "-f", ".ap-lint-cache/check.json")
    git(attacker, "commit", "-q", "-m", "Update the rationale")
    git(attacker, "push", "-q", "origin", "pupil-data")
    # CI: a fresh clone of the branch, checked since the base branch, with the default cache and with a cache
    # folder set inside the work tree (where the forged file is).
    ci = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "-b", "pupil-data", str(origin), str(ci))
    assert (ci / ".ap-lint-cache" / "check.json").is_file()
    for env in ({}, {"AP_LINT_CACHE_DIR": str(ci / ".ap-lint-cache")}, {"AP_LINT_CACHE_DIR": ".ap-lint-cache"}):
        done = run_cli("check", "--since", "origin/main", "--today", TODAY, cwd=ci, env=env)
        assert done.returncode == 1, (env, done.stdout, done.stderr)
        lines = done.stdout.splitlines()
        assert any(line.startswith(f"{PLACEMENT}:8:") and "error [privacy-upn]" in line for line in lines), lines
        assert any(line.startswith(f"{PLACEMENT}:8:") and "error [privacy-phone]" in line for line in lines), lines
        assert lines[-1].startswith("Failed:")


def test_the_ci_workflow_checks_without_a_cache(repo_root: Path) -> None:
    workflow = (repo_root / ".github" / "workflows" / "ap-lint.yml").read_text("utf-8")
    commands = [line.strip() for line in workflow.splitlines() if line.strip().startswith("ap-lint check")]
    assert commands and all("--no-cache" in command for command in commands)
