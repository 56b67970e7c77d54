"""`ap-lint new KIND`: a new record at the right path, with the next free id and its required fields laid out."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Callable

REPO_ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., "subprocess.CompletedProcess[str]"]
TODAY = "2026-11-28"


def register(tmp_path: Path) -> Path:
    root = tmp_path / "register"
    shutil.copytree(REPO_ROOT / "records", root / "records")
    return root


def test_new_placement_takes_the_next_free_id_and_fails_until_filled(run_cli: Run, tmp_path: Path) -> None:
    root = register(tmp_path)
    done = run_cli("new", "placement", "--school", "oakfield", "--today", TODAY, cwd=root)
    assert done.returncode == 0, done.stderr
    relative = "records/placements/oakfield/oakfield-2026-004.yaml"
    assert done.stdout.startswith(f"Wrote {relative}")
    text = (root / relative).read_text("utf-8")
    assert "id: oakfield-2026-004\n" in text and "school: oakfield\n" in text
    assert "# Start date: The first day of the placement" in text and "\nstart_date:\n" in text
    checked = run_cli("check", "--today", TODAY, cwd=root)
    assert checked.returncode == 1
    lines = [line for line in checked.stdout.splitlines() if " error [" in line]
    assert lines and all(line.startswith(relative) for line in lines)
    start = text.split("\n").index("start_date:") + 1
    assert any(line.startswith(f"{relative}:{start}:") and "YYYY-MM-DD" in line for line in lines)


def test_new_never_overwrites(run_cli: Run, tmp_path: Path) -> None:
    root = register(tmp_path)
    original = (root / "records/placements/oakfield/oakfield-2026-001.yaml").read_bytes()
    done = run_cli("new", "placement", "--school", "oakfield", "--id", "oakfield-2026-001", cwd=root)
    assert done.returncode == 2
    assert done.stderr.strip() == ("ap-lint: error: records/placements/oakfield/oakfield-2026-001.yaml already "
                                   "exists; it is left as it is")
    assert (root / "records/placements/oakfield/oakfield-2026-001.yaml").read_bytes() == original


def test_new_needs_the_folder_and_a_known_kind(run_cli: Run, tmp_path: Path) -> None:
    root = register(tmp_path)
    done = run_cli("new", "placement", cwd=root)
    assert done.returncode == 2 and "--school NAME" in done.stderr
    done = run_cli("new", "pupil", cwd=root)
    assert done.returncode == 2 and "'pupil' is not a kind of record" in done.stderr
