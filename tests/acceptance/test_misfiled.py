"""A record saved in another kind's folder is one finding that says where it belongs, not a schema error per field."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., "subprocess.CompletedProcess[str]"]
TODAY = "2026-11-28"


def register_with(tmp_path: Path, source: str, target: str, edit: tuple[str, str] | None = None) -> Path:
    """A copy of the example register with the record at ``source`` copied to ``target`` (and edited)."""
    root = tmp_path / "register"
    shutil.copytree(REPO_ROOT / "records", root / "records")
    text = (root / source).read_text("utf-8")
    if edit is not None:
        assert edit[0] in text
        text = text.replace(edit[0], edit[1])
    (root / target).write_text(text, "utf-8")
    (root / source).unlink()
    return root


def errors_on(run_cli: Run, root: Path, file: str) -> list[dict[str, Any]]:
    done = run_cli("check", root, "--today", TODAY, "--format", "json", cwd=root)
    assert done.returncode == 1, done.stderr
    found: list[dict[str, Any]] = json.loads(done.stdout)["findings"]
    return [f for f in found if f["file"] == file and f["severity"] == "error"]


def test_a_placement_saved_among_providers_is_told_where_it_belongs(run_cli: Run, tmp_path: Path) -> None:
    misfiled = "records/providers/oakfield-2026-001.yaml"
    root = register_with(tmp_path, "records/placements/oakfield/oakfield-2026-001.yaml", misfiled)
    found = errors_on(run_cli, root, misfiled)
    assert [(f["rule"], f["line"], f["column"], f["clause"]) for f in found] == [("file-misplaced", 1, 1, None)]
    assert "placement" in found[0]["message"]
    assert "records/placements/oakfield/oakfield-2026-001.yaml" in found[0]["message"]


def test_a_record_with_mistakes_of_its_own_kind_keeps_its_schema_findings(run_cli: Run, tmp_path: Path) -> None:
    # a provider with a misspelt field is still a provider: its own finding, at its line
    root = tmp_path / "register"
    shutil.copytree(REPO_ROOT / "records", root / "records")
    original = root / "records/providers/hillcrest-learning-centre.yaml"
    text = original.read_text("utf-8").replace("\nsites:", "\nsitez:", 1)
    original.write_text(text, "utf-8")
    found = errors_on(run_cli, root, "records/providers/hillcrest-learning-centre.yaml")
    assert found and all(f["rule"] != "file-misplaced" for f in found)
