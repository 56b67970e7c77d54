"""Settings: every value the rules read is checked against the schema its setting declares, when the pack loads."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable

import pytest
import yaml

from tests.conftest import copy_with_pack

REPO_ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., "subprocess.CompletedProcess[str]"]


def test_every_setting_of_the_pack_declares_the_schema_its_value_must_match() -> None:
    settings = yaml.safe_load((REPO_ROOT / "rules" / "settings.yaml").read_text("utf-8"))
    assert settings and [name for name, entry in settings.items() if "schema" not in entry] == []


@pytest.mark.parametrize(("setting", "old", "new"), [
    ("planned_warning_days", "  value: 30\n  description: >-\n    Days before", "  value: thirty\n  description: >-\n    Days before"),
    ("count_sen_support_for_registration", "  value: false\n", "  value: no way\n"),
    ("compulsory_school_age_year_groups", "  value: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n", "  value: 1-11\n"),
])
def test_a_setting_value_its_schema_refuses_stops_the_run_at_its_line(run_cli: Run, tmp_path: Path, setting: str,
                                                                      old: str, new: str) -> None:
    root = copy_with_pack(tmp_path / "register")
    path = root / "rules" / "settings.yaml"
    text = path.read_text("utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), "utf-8")
    line = path.read_text("utf-8").split("\n").index(new.split("\n")[0]) + 1
    done = run_cli("check", root, "--today", "2026-11-28", cwd=root)
    assert done.returncode == 2
    assert done.stderr.startswith(f"ap-lint: error: rules/settings.yaml:{line}:"), done.stderr
    assert f"{setting}.value" in done.stderr and "Write a value this setting's schema allows" in done.stderr
