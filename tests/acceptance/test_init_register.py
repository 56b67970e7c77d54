"""`ap-lint init DIR`: a register of its own that passes once its placeholders are filled, with a working hook."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., "subprocess.CompletedProcess[str]"]
TODAY = "2026-11-28"


def init(run_cli: Run, tmp_path: Path, *extra: str) -> Path:
    target = tmp_path / "our-register"
    done = run_cli("init", target, "--today", TODAY, *extra, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Fill in the empty fields of records/trust.yaml" in done.stdout
    return target


def fill_placeholders(target: Path) -> None:
    (target / "records" / "trust.yaml").write_text(
        "name: Example Valley Trust\nexecutive_principal:\n  name: Dr Sam Placeholder\n", "utf-8")


def test_init_copies_the_pack_and_fails_until_the_placeholders_are_filled(run_cli: Run, tmp_path: Path) -> None:
    target = init(run_cli, tmp_path)
    for folder in ("rules", "schemas", "policy"):
        assert sorted(p.name for p in (target / folder).rglob("*")) == sorted(
            p.name for p in (REPO_ROOT / folder).rglob("*")), folder
    settings = json.loads((target / ".vscode" / "settings.json").read_text("utf-8"))
    assert settings["yaml.schemas"]["./schemas/editor/placement.schema.json"] == ["records/placements/*/*.yaml"]
    assert all((target / schema).is_file() for schema in settings["yaml.schemas"])
    workflow = (target / ".github" / "workflows" / "ap-lint.yml").read_text("utf-8")
    assert "{{AP_LINT_SOURCE}}" not in workflow and "pip install --quiet \"ap-lint" in workflow
    assert (target / ".github" / "dependabot.yml").is_file()
    hook = yaml.safe_load((target / ".pre-commit-config.yaml").read_text("utf-8"))["repos"][0]
    assert hook["repo"] == "local" and hook["hooks"][0]["language"] == "python"
    assert hook["hooks"][0]["additional_dependencies"][0].startswith("ap-lint")

    done = run_cli("check", "--today", TODAY, cwd=target)
    assert done.returncode == 1
    errors = [line for line in done.stdout.splitlines() if " error [" in line]
    assert errors and all(line.startswith("records/trust.yaml:") for line in errors)
    assert "no policy pack of its own" not in done.stdout

    fill_placeholders(target)
    done = run_cli("check", "--today", TODAY, cwd=target)
    assert done.returncode == 0, done.stdout
    # every finding is on a file the register has
    for line in done.stdout.splitlines():
        if "warning [" in line or "error [" in line:
            assert (target / line.split(":", 1)[0]).is_file(), line


def test_init_never_writes_into_a_folder_that_has_files(run_cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine", "utf-8")
    done = run_cli("init", target, cwd=tmp_path)
    assert done.returncode == 2
    assert "is not empty" in done.stderr
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


def test_a_register_without_a_pack_names_the_pack_s_files_where_they_are(run_cli: Run, tmp_path: Path) -> None:
    root = tmp_path / "register"
    shutil.copytree(REPO_ROOT / "records", root / "records")
    done = run_cli("check", "--today", TODAY, cwd=root)
    assert "no policy pack of its own" in done.stdout
    for line in done.stdout.splitlines():
        if "warning [" in line or "error [" in line:
            path = Path(line.split(":", 1)[0])
            assert (path if path.is_absolute() else root / path).is_file(), line


@pytest.mark.slow
def test_pre_commit_runs_in_the_new_register(run_cli: Run, tmp_path: Path) -> None:
    if shutil.which("git") is None or shutil.which("pre-commit") is None and not (
            Path(sys.executable).parent / "pre-commit").is_file():
        pytest.skip("needs git and pre-commit")
    if subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.skip("needs this project as a git repository (the hook installs ap-lint from a commit)")
    head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    target = init(run_cli, tmp_path, "--ap-lint-source", f"ap-lint @ git+file://{REPO_ROOT}@{head}")
    fill_placeholders(target)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "AP_LINT_TODAY": TODAY}
    git = ["git", "-c", "user.name=Test Editor", "-c", "user.email=editor@example.org"]
    subprocess.run([*git, "add", "."], cwd=target, check=True)
    pre_commit = str(Path(sys.executable).parent / "pre-commit")
    done = subprocess.run([pre_commit, "run", "--all-files"], cwd=target, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ap-lint" in done.stdout and "Passed" in done.stdout
    # and it refuses a record that breaks the policy
    (target / "records" / "trust.yaml").write_text("name: Example Valley Trust\n", "utf-8")
    subprocess.run([*git, "add", "."], cwd=target, check=True)
    done = subprocess.run([pre_commit, "run", "--all-files"], cwd=target, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 1
    assert "records/trust.yaml:1:1: error [schema]" in done.stdout
