"""Output formats as a user runs them: --format, --format auto, --output FORMAT:PATH, --fail-on.

Most tests use the tiny register (its own pack), so rules added to the real
pack do not move them. The slow test runs Microsoft's SARIF validator on the
output for the example register made messy; it needs ``npx`` and the npm
package @microsoft/sarif-multitool installed in AP_LINT_SARIF_MULTITOOL_DIR
(default ~/.cache/ap-lint-ci/node; .ci/run installs it there).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest

from conftest import RunCli

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
TODAY = "2026-05-01"
BIG_ORDER = "id: o-2\nshop: corner\ncustomer: c-2\nitems: [a, b, c, d]\n"
BLANK_ITEM = "id: o-3\nshop: corner\ncustomer: c-3\nitems: [tea, ' ']\n"
ERROR_LINE = ("records/orders/o-2.yaml:4:8: error [order-small] Order o-2 has 4 items; at most 3 are allowed. "
              "(orders.small)")
WARNING_LINE = ("records/orders/o-3.yaml:4:14: warning [order-item-named] Item 2 of o-3 is blank; "
                "write what was ordered.")


def sarif_errors(log: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA_FILE.read_text("utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def regions(log: dict[str, Any]) -> list[tuple[str, int, int]]:
    found = []
    for result in log["runs"][0]["results"]:
        location = result["locations"][0]["physicalLocation"]
        found.append((location["artifactLocation"]["uri"], location["region"]["startLine"],
                      location["region"]["startColumn"]))
    return found


def test_sarif_on_stdout_is_valid_and_points_at_the_finding(run_cli: RunCli, tiny_register: Path) -> None:
    (tiny_register / "records" / "orders" / "o-2.yaml").write_text(BIG_ORDER)
    done = run_cli("check", "--today", TODAY, "--format", "sarif", cwd=tiny_register)
    assert (done.returncode, done.stderr) == (1, "")
    log = json.loads(done.stdout)
    assert sarif_errors(log) == []
    assert regions(log) == [("records/orders/o-2.yaml", 4, 8)]
    result = log["runs"][0]["results"][0]
    assert (result["ruleId"], result["level"], result["properties"]["clause"]) == ("order-small", "error",
                                                                                   "orders.small")


def test_several_formats_in_one_run_each_to_its_own_file(run_cli: RunCli, tiny_register: Path,
                                                          tmp_path: Path) -> None:
    (tiny_register / "records" / "orders" / "o-2.yaml").write_text(BIG_ORDER)
    out = tmp_path / "out"
    done = run_cli("check", "--today", TODAY, "--format", "text", "--output", f"sarif:{out / 'results.sarif'}",
                   "--output", f"junit:{out / 'results.xml'}", "--output", f"json:{out / 'results.json'}",
                   "--output", f"github:{out / 'annotations.txt'}", cwd=tiny_register)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        ERROR_LINE,
        f"Failed: 1 failing of 1 shown (1 error, 0 warnings) with --fail-on error, in 4 records (today is {TODAY}).",
    ]
    assert sorted(p.name for p in out.iterdir()) == ["annotations.txt", "results.json", "results.sarif",
                                                     "results.xml"], "no temporary files are left behind"
    assert sarif_errors(json.loads((out / "results.sarif").read_text("utf-8"))) == []
    suite = ElementTree.parse(out / "results.xml").getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("4", "1")
    assert json.loads((out / "results.json").read_text("utf-8"))["summary"]["failing"] == 1
    assert (out / "annotations.txt").read_text("utf-8").splitlines()[0] == (
        "::error file=records/orders/o-2.yaml,line=4,col=8,title=ap-lint order-small (orders.small)::"
        "Order o-2 has 4 items; at most 3 are allowed. (policy clause orders.small)")


def test_an_output_file_is_replaced_whole(run_cli: RunCli, tiny_register: Path, tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    target.write_text("old content that is longer than nothing" * 100)
    done = run_cli("check", "--today", TODAY, "--output", f"json:{target}", cwd=tiny_register)
    assert done.returncode == 0
    assert json.loads(target.read_text("utf-8"))["summary"]["shown"] == 0


@pytest.mark.parametrize("spec", ["results.sarif", "xml:results.xml", "sarif:"])
def test_a_bad_output_spec_is_a_usage_error(run_cli: RunCli, tiny_register: Path, spec: str) -> None:
    done = run_cli("check", "--today", TODAY, "--output", spec, cwd=tiny_register)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--output': '{spec}' is not FORMAT:PATH with FORMAT one of github, json, "
        "junit, sarif, text (for example sarif:results.sarif).")


def test_an_output_that_cannot_be_written_is_one_line_and_exit_2(run_cli: RunCli, tiny_register: Path,
                                                                 tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = run_cli("check", "--today", TODAY, "--output", f"sarif:{blocker / 'results.sarif'}", cwd=tiny_register)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"ap-lint: error: cannot write {blocker / 'results.sarif'}: File exists"]


@pytest.mark.parametrize(("actions", "first_line"), [
    ("true", "::error file=records/orders/o-2.yaml,line=4,col=8,title=ap-lint order-small (orders.small)::"
             "Order o-2 has 4 items; at most 3 are allowed. (policy clause orders.small)"),
    ("", ERROR_LINE),
])
def test_format_auto_picks_github_inside_github_actions(run_cli: RunCli, tiny_register: Path, actions: str,
                                                        first_line: str) -> None:
    (tiny_register / "records" / "orders" / "o-2.yaml").write_text(BIG_ORDER)
    done = run_cli("check", "--today", TODAY, "--format", "auto", cwd=tiny_register,
                   env={"GITHUB_ACTIONS": actions})
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == first_line


@pytest.mark.parametrize(("fail_on", "code", "summary"), [
    ("error", 0, "Passed: 0 failing of 1 shown (0 errors, 1 warning) with --fail-on error"),
    ("warning", 1, "Failed: 1 failing of 1 shown (0 errors, 1 warning) with --fail-on warning"),
])
def test_fail_on_sets_the_threshold(run_cli: RunCli, tiny_register: Path, fail_on: str, code: int,
                                    summary: str) -> None:
    (tiny_register / "records" / "orders" / "o-3.yaml").write_text(BLANK_ITEM)
    done = run_cli("check", "--today", TODAY, "--fail-on", fail_on, cwd=tiny_register)
    assert done.returncode == code
    assert done.stdout.splitlines() == [WARNING_LINE, f"{summary}, in 4 records (today is {TODAY})."]


# --- Microsoft's SARIF validator ---------------------------------------------------------------------------------

MULTITOOL_DIR = Path(os.environ.get("AP_LINT_SARIF_MULTITOOL_DIR",
                                    Path.home() / ".cache" / "ap-lint-ci" / "node"))


def multitool_missing() -> str | None:
    if shutil.which("npx") is None:
        return "npx is not installed"
    if not (MULTITOOL_DIR / "node_modules" / "@microsoft" / "sarif-multitool").is_dir():
        return f"@microsoft/sarif-multitool is not installed in {MULTITOOL_DIR} (.ci/run installs it)"
    return None


def messy_register(root: Path, repo_root: Path) -> Path:
    """The example register with a broken file, a stray file and a record in an awkwardly named folder."""
    shutil.copytree(repo_root / "records", root / "records")
    (root / "records" / "schools" / "broken.yaml").write_text("id: broken\nname: [unclosed\n")
    (root / "records" / "notes.txt").write_text("not a record\n")
    awkward = root / "records" / "placements" / "new school é"
    awkward.mkdir()
    source = sorted((repo_root / "records" / "placements").glob("*/*.yaml"))[0]
    (awkward / "odd, name: 100%.yaml").write_text(source.read_text("utf-8").replace("\nstart_date:", "\non: yes\n"
                                                                                    "start_date:"))
    return root


@pytest.mark.slow
def test_microsofts_sarif_validator_finds_no_error(run_cli: RunCli, repo_root: Path, tmp_path: Path) -> None:
    missing = multitool_missing()
    if missing:
        pytest.skip(missing)
    register = messy_register(tmp_path / "register", repo_root)
    sarif_file = tmp_path / "results.sarif"
    done = run_cli("check", "--today", "2026-11-28", "--output", f"sarif:{sarif_file}", cwd=register)
    assert done.returncode == 1, done.stderr
    log = json.loads(sarif_file.read_text("utf-8"))
    assert len(log["runs"][0]["results"]) >= 4
    assert all(line >= 1 and column >= 1 for _, line, column in regions(log))
    report = tmp_path / "validation.sarif"
    validated = subprocess.run(
        ["npx", "--no-install", "@microsoft/sarif-multitool", "validate", str(sarif_file),
         "--output", str(report), "--log", "ForceOverwrite"],
        cwd=MULTITOOL_DIR, capture_output=True, text=True, timeout=300, check=False)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    # the validator exits 0 even when it finds errors: read its own SARIF report
    problems = json.loads(report.read_text("utf-8"))["runs"][0].get("results", [])
    errors = [f"{p['ruleId']}: {p['message']}" for p in problems if p.get("level", "warning") == "error"]
    assert errors == []
    assert [line for line in validated.stdout.splitlines() if re.search(r": error [A-Z]+[0-9]+: ", line)] == []
    assert "Done. 1 files scanned." in validated.stdout.splitlines()
