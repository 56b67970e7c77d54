"""The package keeps the shape docs/architecture.md describes: no module over 500 lines."""

from __future__ import annotations

from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "ap_lint"
MOST_LINES = 500


def test_no_module_is_over_500_lines() -> None:
    sizes = {path.relative_to(SOURCE).as_posix(): len(path.read_text("utf-8").splitlines())
             for path in SOURCE.rglob("*.py")}
    assert len(sizes) > 50
    assert {name: lines for name, lines in sizes.items() if lines > MOST_LINES} == {}
