"""The check command's contract: exit codes, --today, colour, errors without tracebacks, the JSON shape.

These run ``python -m ap_lint`` as a user would, on a tiny register with its
own pack, so that other rules being added to the real pack do not move them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Callable

import click
import pytest

from ap_lint.cli import main
from ap_lint.cli.common import resolve_today
from conftest import cli_environment

RUN = "2026-05-01"
FINDING = ("records/orders/o-2.yaml:4:8: error [order-small] Order o-2 has 4 items; at most 3 are allowed. "
           "(orders.small)")
ESC = "\033["
Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``ap-lint ARGS...`` in this process through ``main()`` (fast; same error handling as the command)."""

    def run(*args: str | Path, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        for name in ("AP_LINT_TODAY", "FORCE_COLOR", "AP_LINT_DEBUG"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("NO_COLOR", "1")
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr("sys.argv", ["ap-lint", *(str(a) for a in args)])
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        with pytest.raises(SystemExit) as done:
            main()
        out, err = capsys.readouterr()
        code = done.value.code
        return subprocess.CompletedProcess(list(args), code if isinstance(code, int) else 2, out, err)

    return run


def add_big_order(root: Path) -> None:
    (root / "records" / "orders" / "o-2.yaml").write_text("id: o-2\nshop: corner\ncustomer: c-2\nitems: [a, b, c, d]\n")


def test_exit_0_when_there_are_no_errors(run_main: Run, tiny_register: Path) -> None:
    done = run_main("check", tiny_register, "--today", RUN)
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Passed: ") and lines[0].endswith(f"(today is {RUN}).")


def test_exit_1_when_there_are_errors(run_main: Run, tiny_register: Path) -> None:
    add_big_order(tiny_register)
    done = run_main("check", tiny_register, "--today", RUN)
    assert (done.returncode, done.stderr) == (1, "")
    lines = done.stdout.splitlines()
    assert lines[0] == FINDING
    assert len(lines) == 2 and lines[1].startswith("Failed: ")


def test_warnings_alone_pass(run_main: Run, tiny_register: Path) -> None:
    (tiny_register / "records" / "orders" / "o-2.yaml").write_text("id: o-2\nshop: corner\ncustomer: c-2\nitems: ['']\n")
    done = run_main("check", tiny_register, "--today", RUN)
    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == ("records/orders/o-2.yaml:4:9: warning [order-item-named] Item 1 of o-2 "
                                           "is blank; write what was ordered.")


def test_exit_2_for_a_broken_pack_with_a_one_line_message(run_main: Run, tiny_register: Path) -> None:
    rule = tiny_register / "rules" / "checks" / "order-small.yaml"
    rule.write_text(rule.read_text().replace("severity: error", "severity: fatal"))
    done = run_main("check", tiny_register, "--today", RUN)
    assert (done.returncode, done.stdout) == (2, "")
    [line] = done.stderr.splitlines()
    assert line.startswith("ap-lint: error: rules/checks/order-small.yaml:4:11: ")
    assert "Traceback" not in done.stderr


def test_exit_2_when_no_register_is_found(run_main: Run, tmp_path: Path) -> None:
    done = run_main("check", "--today", RUN, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        f"ap-lint: error: No register here: no records/ folder in {tmp_path.resolve()} or above it. "
        "Run ap-lint inside a register, or name its folder: ap-lint check PATH."]


def test_exit_2_when_the_named_folder_is_not_a_register(run_main: Run, tmp_path: Path) -> None:
    done = run_main("check", tmp_path, "--today", RUN)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [f"ap-lint: error: {tmp_path} is not a register: it has no records/ folder."]


def test_the_register_is_found_from_a_folder_inside_it(run_main: Run, tiny_register: Path) -> None:
    add_big_order(tiny_register)
    done = run_main("check", "--today", RUN, cwd=tiny_register / "records" / "orders")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == FINDING


@pytest.mark.parametrize("today", ["2026-02-30", "28/11/2026", "tomorrow"])
def test_a_bad_today_is_a_usage_error(run_main: Run, tiny_register: Path, today: str) -> None:
    done = run_main("check", tiny_register, "--today", today)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1] == f"Error: --today must be a date written YYYY-MM-DD, not '{today}'."


def test_ap_lint_today_sets_the_date(run_main: Run, tiny_register: Path) -> None:
    done = run_main("check", tiny_register, env={"AP_LINT_TODAY": "2027-01-31"})
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1].endswith("(today is 2027-01-31).")


def test_today_option_wins_over_ap_lint_today(run_main: Run, tiny_register: Path) -> None:
    done = run_main("check", tiny_register, "--today", RUN, env={"AP_LINT_TODAY": "2027-01-31"})
    assert done.stdout.splitlines()[-1].endswith(f"(today is {RUN}).")


def test_a_bad_ap_lint_today_is_a_usage_error(run_main: Run, tiny_register: Path) -> None:
    done = run_main("check", tiny_register, env={"AP_LINT_TODAY": "soon"})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1] == "Error: AP_LINT_TODAY must be a date written YYYY-MM-DD, not 'soon'."


def test_resolve_today_normalises_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AP_LINT_TODAY", raising=False)
    assert resolve_today("2026-05-01") == "2026-05-01"
    assert len(resolve_today(None)) == 10
    monkeypatch.setenv("AP_LINT_TODAY", "2026-06-02")
    assert resolve_today(None) == "2026-06-02"


def test_output_to_a_pipe_has_no_colour(run_main: Run, tiny_register: Path) -> None:
    add_big_order(tiny_register)
    done = run_main("check", tiny_register, "--today", RUN, env={"NO_COLOR": ""})
    assert ESC not in done.stdout


def test_force_color_colours_the_text_report(run_main: Run, tiny_register: Path) -> None:
    add_big_order(tiny_register)
    done = run_main("check", tiny_register, "--today", RUN, env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    first = done.stdout.splitlines()[0]
    assert first.startswith(f"{ESC}1mrecords/orders/o-2.yaml:4:8:{ESC}0m {ESC}31merror{ESC}0m [order-small] ")
    assert done.returncode == 1


def test_no_color_wins_over_force_color(run_main: Run, tiny_register: Path) -> None:
    add_big_order(tiny_register)
    done = run_main("check", tiny_register, "--today", RUN, env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert ESC not in done.stdout
    assert done.stdout.splitlines()[0] == FINDING


def test_json_is_never_coloured(run_main: Run, tiny_register: Path) -> None:
    add_big_order(tiny_register)
    done = run_main("check", tiny_register, "--today", RUN, "--format", "json", env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert ESC not in done.stdout
    json.loads(done.stdout)


def test_json_shape(run_main: Run, tiny_register: Path) -> None:
    add_big_order(tiny_register)
    done = run_main("check", tiny_register, "--today", RUN, "--format", "json")
    assert (done.returncode, done.stderr) == (1, "")
    document = json.loads(done.stdout)
    assert {"findings", "summary"} <= set(document)
    [finding] = document["findings"]
    assert list(finding)[:8] == ["rule", "clause", "severity", "file", "line", "column", "path", "message"]
    assert {key: finding[key] for key in list(finding)[:8]} == {
        "rule": "order-small", "clause": "orders.small", "severity": "error", "file": "records/orders/o-2.yaml",
        "line": 4, "column": 8, "path": "items", "message": "Order o-2 has 4 items; at most 3 are allowed.",
    }
    summary = document["summary"]
    assert {key: summary[key] for key in ("errors", "warnings", "waived", "records", "today", "passed")} == {
        "errors": 1, "warnings": 0, "waived": 0, "records": 4, "today": RUN, "passed": False,
    }
    assert summary["records_by_kind"] == {"shop": 2, "order": 2}


def test_json_of_a_clean_register(run_main: Run, tiny_register: Path) -> None:
    done = run_main("check", tiny_register, "--today", RUN, "--format", "json")
    document = json.loads(done.stdout)
    assert done.returncode == 0
    assert document["findings"] == []
    assert (document["summary"]["errors"], document["summary"]["passed"]) == (0, True)


def test_an_unknown_format_is_a_usage_error(run_main: Run, tiny_register: Path) -> None:
    done = run_main("check", tiny_register, "--today", RUN, "--format", "yaml")
    assert (done.returncode, done.stdout) == (2, "")
    assert "Invalid value for '--format'" in done.stderr.splitlines()[-1]


def test_as_a_separate_process_exit_codes_and_no_traceback(run_cli_process: Run, tiny_register: Path) -> None:
    assert run_cli_process("check", tiny_register, "--today", RUN).returncode == 0
    add_big_order(tiny_register)
    done = run_cli_process("check", tiny_register, "--today", RUN)
    assert (done.returncode, done.stdout.splitlines()[0]) == (1, FINDING)
    (tiny_register / "schemas" / "shop.schema.json").write_text("{")
    done = run_cli_process("check", tiny_register, "--today", RUN)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "ap-lint: error: schemas/shop.schema.json:1:2: not valid JSON: Expecting property name enclosed in double quotes"]


def test_as_a_separate_process_force_color_survives_a_pipe(run_cli_process: Run, tiny_register: Path) -> None:
    add_big_order(tiny_register)
    done = run_cli_process("check", tiny_register, "--today", RUN, env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert done.stdout.startswith(f"{ESC}1mrecords/orders/o-2.yaml:4:8:{ESC}0m {ESC}31merror{ESC}0m")


@pytest.mark.parametrize("value", ["", "20261128", "2026-11-28x", " 2026-11-28", "2026-W48-6", "2026-02-30"])
def test_today_must_be_exactly_yyyy_mm_dd(value: str) -> None:
    from ap_lint.cli.common import resolve_today
    with pytest.raises(click.UsageError, match="must be a date written YYYY-MM-DD"):
        resolve_today(value)


def test_today_from_the_environment_must_be_exactly_yyyy_mm_dd(monkeypatch: pytest.MonkeyPatch) -> None:
    from ap_lint.cli.common import resolve_today
    monkeypatch.setenv("AP_LINT_TODAY", "")
    with pytest.raises(click.UsageError, match="AP_LINT_TODAY must be a date written YYYY-MM-DD, not"):
        resolve_today(None)
    monkeypatch.setenv("AP_LINT_TODAY", "2026-11-28")
    assert resolve_today(None) == "2026-11-28"


@pytest.mark.parametrize("value", [0, -1, 257, 100_000])
def test_jobs_out_of_range_is_a_usage_error(value: int) -> None:
    from ap_lint.cli.common import resolve_jobs
    with pytest.raises(click.UsageError, match="--jobs must be a number from 1 to 256"):
        resolve_jobs(value)


def test_jobs_are_capped_at_four_a_core() -> None:
    from ap_lint.cli.common import resolve_jobs
    from ap_lint.parallel import default_jobs
    assert resolve_jobs(256) == min(256, 4 * default_jobs())
    assert resolve_jobs(1) == 1


@pytest.mark.parametrize("arguments", [
    pytest.param(("check", "{root}", "--today", RUN), id="findings"),
    pytest.param(("check", "{root}", "--today", RUN, "--format", "json"), id="json"),
    pytest.param(("check", "{root}", "--today", "tomorrow"), id="usage-error"),
    pytest.param(("check", "{root}/records", "--today", RUN), id="not-a-register"),
    pytest.param(("check", "--help"), id="help"),
    pytest.param(("--version",), id="version"),
])
def test_the_in_process_runner_gives_what_the_command_gives(run_cli: Run, tiny_register: Path, tmp_path: Path,
                                                            arguments: tuple[str, ...]) -> None:
    """``run_cli`` runs the command in the test's process (fast): its exit code and output are the installed
    ``ap-lint`` command's, run as a separate process (its usage lines name it ``ap-lint``, not ``python -m``)."""
    command = Path(sys.executable).parent / "ap-lint"
    if not command.is_file():
        pytest.skip(f"the ap-lint command is not installed beside {sys.executable}: run pip install -e '.[test]'")
    add_big_order(tiny_register)
    args = [argument.format(root=tiny_register) for argument in arguments]
    in_process = run_cli(*args, cwd=tiny_register)
    process = subprocess.run([str(command), *args], cwd=tiny_register, capture_output=True, text=True, timeout=60,
                             check=False, env=cli_environment(AP_LINT_CACHE_DIR=str(tmp_path / "cache")))
    assert (in_process.returncode, in_process.stdout, in_process.stderr) == (
        process.returncode, process.stdout, process.stderr)
    assert in_process.stdout or in_process.stderr
