"""Attacks on the check, each run the way it would meet the check: the attack must fail, not pass.

All data is fictional: the UPN uses the local authority number 999 (no authority has it), the phone number is
from the range Ofcom keeps for drama.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ap_lint.git.runner import commit_snapshot
from ap_lint.pack import bundled_pack
from tests.acceptance.test_privacy import upn_with_check_letter
from tests.conftest import RunCli, cli_environment

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
    for cache_file in forged.glob("*.json"):
        cache_file.write_text(cache_file.read_text("utf-8").replace(clean, digest(attacker / PLACEMENT)), "utf-8")
    git(attacker, "add", PLACEMENT)
    git(attacker, "add", "-f", ".ap-lint-cache")
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


PROVIDER = "records/providers/hillcrest-learning-centre.yaml"
#: a provider name that, printed raw, would be a workflow command line, a mask, a terminal title and a bell
FORGED_NAME = "Hillcrest\n::error file=records/x.yaml,line=1::Spoofed\r::add-mask::secret \x1b]0;owned\x07 \x9b31m"
FORGED_SHOWN = "Hillcrest\\n::error file=records/x.yaml,line=1::Spoofed\\r::add-mask::secret \\x1b]0;owned\\x07 \\x9b31m"


@pytest.fixture
def forged_output_register(register_copy: Path) -> Path:
    """A provider whose name would forge output, and a placement whose finding quotes that name."""
    provider = register_copy / PROVIDER
    text = provider.read_text("utf-8").replace("name: Hillcrest Learning Centre", f"name: {json.dumps(FORGED_NAME)}")
    provider.write_text(text, "utf-8")
    placement = register_copy / PLACEMENT
    placement.write_text(placement.read_text("utf-8").replace("site: main", "site: garden"), "utf-8")
    return register_copy


@pytest.mark.parametrize("output_format", ["text", "github"])
def test_a_value_never_prints_a_line_of_its_own_nor_a_control_character(
        run_cli: RunCli, forged_output_register: Path, output_format: str) -> None:
    done = run_cli("check", "--today", TODAY, "--format", output_format, forged_output_register,
                   env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    prefix = "::error " if output_format == "github" else "\x1b[1m"
    assert all(line.startswith((prefix, "::warning ", "::notice ", "note: ", "Failed", "\x1b[31mFailed"))
               for line in lines), lines
    assert not any("::add-mask::" in line.split("::", 2)[0] for line in lines)
    stripped = done.stdout.replace("\x1b[0m", "").replace("\x1b[1m", "").replace("\x1b[31m", "") \
        .replace("\x1b[33m", "").replace("\x1b[2m", "").replace("\x1b[36m", "").replace("\x1b[32m", "")
    assert not any(ord(c) < 32 and c != "\n" or 0x7f <= ord(c) <= 0x9f for c in stripped)
    shown = [line for line in lines if "placement-site-exists" in line]
    assert len(shown) == 1 and FORGED_SHOWN in shown[0]
    assert (PLACEMENT + ":10:7:") in shown[0] or "file=" + PLACEMENT in shown[0]


@pytest.mark.parametrize("output_format", ["json", "sarif", "junit"])
def test_machine_formats_show_control_characters_escaped(
        run_cli: RunCli, forged_output_register: Path, output_format: str) -> None:
    done = run_cli("check", "--today", TODAY, "--format", output_format, forged_output_register)
    assert done.returncode == 1, done.stderr
    assert not any(ord(c) < 32 and c not in "\n " or 0x7f <= ord(c) <= 0x9f for c in done.stdout)
    assert "\\u001b" not in done.stdout and "\\u0007" not in done.stdout  # not raw once decoded either
    decoded = done.stdout if output_format == "junit" else json.dumps(json.loads(done.stdout), ensure_ascii=False)
    assert "owned" in decoded and not any(c in decoded for c in "\x1b\x07\x9b\r")


MARKDOWN_NAME = ("Hillcrest ![pixel](https://evil.example/p.png) [click](https://evil.example/x) @trust-team "
                 "<img src=x onerror=alert(1)> `code` | cell **bold** $x^2$")
ODD_FILE = "records/placements/oakfield/odd`name|x.yaml"


def _cells(row: str) -> list[str]:
    """The cells of a Markdown table row: split at each ``|`` without a backslash before it."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]]


def test_the_markdown_report_shows_values_as_text(run_cli: RunCli, register_copy: Path, tmp_path: Path) -> None:
    provider = register_copy / PROVIDER
    provider.write_text(provider.read_text("utf-8").replace(
        "name: Hillcrest Learning Centre", f"name: {json.dumps(MARKDOWN_NAME)}"), "utf-8")
    placement = register_copy / PLACEMENT
    placement.write_text(placement.read_text("utf-8").replace("site: main", "site: garden"), "utf-8")
    (register_copy / ODD_FILE).write_text("id: odd\n", "utf-8")
    output = tmp_path / "report.md"
    done = run_cli("report", "--today", TODAY, "--output", output, register_copy)
    assert done.returncode == 0, done.stderr
    text = output.read_text("utf-8")
    unescaped = re.sub(r"\\.", "\0", text)  # a character after a backslash is shown as itself: blank it out
    for raw in ("[pixel]", "[click]", "<img", "@trust-team", "https://", "**bold**", "$x^2$", "`code`"):
        assert raw not in unescaped, raw
    rows = [line for line in text.splitlines() if "placement-site-exists" in line or "odd`name" in line]
    assert rows, text
    header = next(line for line in text.splitlines() if line.startswith("| Result | Record | What to change"))
    for row in rows:
        assert len(_cells(row)) == len(_cells(header)), row
    odd = next(row for row in rows if "odd`name" in row)
    assert f"`` {ODD_FILE.replace('|', chr(92) + '|')}:1:1 ``" in odd


MEMORY_LIMIT = 1 << 30


def run_limited(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``ap-lint check`` with its address space capped at 1 GiB, and how long it took."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ap_lint", "check", "--no-cache", "--today", TODAY, *args, str(root)],
                          cwd=root, env=cli_environment(), capture_output=True, text=True, timeout=300,
                          preexec_fn=limit_memory, check=False)
    return done, time.perf_counter() - start


def set_rationale(root: Path, text: str) -> None:
    path = root / PLACEMENT
    old = path.read_text("utf-8")
    start = old.index("rationale: ")
    path.write_text(old[:start] + "rationale: " + text + old[old.index("\n", start):], "utf-8")


@pytest.mark.slow
def test_a_ten_thousand_word_rationale_is_counted_in_linear_time(register_copy: Path) -> None:
    set_rationale(register_copy, " ".join(f"word{i % 50}" for i in range(10_000)))
    done, seconds = run_limited(register_copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert seconds < 20
    assert "placement-rationale-substantive" not in done.stdout


def growing_rule(levels: int) -> str:
    """A rule whose assertion quadruples a string ``levels`` times with nested cel.bind: 4**levels times its size."""
    inner = f"size(v{levels}) > 0"
    for level in range(levels, 0, -1):
        previous = f"v{level - 1}"
        inner = f"cel.bind(v{level}, {previous} + {previous} + {previous} + {previous}, {inner})"
    return f"""\
id: order-doubling
title: An order's customer, repeated, is not empty
clause: null
category: integrity
severity: error
applies_to: order
assert: "cel.bind(v0, record.customer + '-padding-to-sixteen', {inner})"
at: customer
message: Never shown.
why: A rule that builds a huge value.
examples:
  - {{name: passes, expect: pass}}
  - {{name: fails, expect: fail}}
"""


@pytest.mark.slow
def test_a_rule_that_builds_a_huge_value_is_reported_not_run_out_of_memory(tiny_register: Path) -> None:
    (tiny_register / "rules" / "checks" / "order-doubling.yaml").write_text(growing_rule(16), "utf-8")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ap_lint", "check", "--no-cache", "--today", TODAY,
                           str(tiny_register)], env=cli_environment(), capture_output=True, text=True, timeout=300,
                          check=False)
    seconds = time.perf_counter() - start
    peak_bytes = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("records/orders/o-1.yaml:1:1: error [rule-error] Rule 'order-doubling' could not be checked on this "
            "record (it builds a value larger than the memory a rule may use). Check the fields it reads, or report "
            "the rule to its owners.") in done.stdout.splitlines()
    assert peak_bytes < 1.6 * (1 << 30) and seconds < 60


def test_a_setting_of_the_wrong_type_stops_the_check_at_its_line(run_cli: RunCli, repo_root: Path,
                                                                 tmp_path: Path) -> None:
    root = tmp_path / "register"
    for folder in ("records", "rules", "schemas", "policy"):
        shutil.copytree(repo_root / folder, root / folder)
    settings = root / "rules" / "settings.yaml"
    text = settings.read_text("utf-8")
    settings.write_text(text.replace("rationale_min_words:\n  schema: {type: integer, minimum: 0}\n  value: 8",
                                     "rationale_min_words:\n  schema: {type: integer, minimum: 0}\n  value: eight"),
                        "utf-8")
    line = settings.read_text("utf-8").split("\n").index("  value: eight") + 1
    done = run_cli("check", "--no-cache", "--today", TODAY, root)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (f"ap-lint: error: rules/settings.yaml:{line}:10: rationale_min_words.value: 'eight' is not "
                           "of type 'integer'. Write a value this setting's schema allows: "
                           '{"type": "integer", "minimum": 0}\n')


NOT_UTF8 = os.fsdecode(b"records/placements/oakfield/caf\xe9.yaml")
NEWLINE = "records/placements/oakfield/new\nline.yaml"
NOT_UTF8_LINE = ("records/placements/oakfield/caf\\xe9.yaml:1:1: error [file-name] This file's name is not UTF-8 "
                 "(byte 0xe9), so it was not checked. Rename it with letters, digits and hyphens.")
NEWLINE_LINE = ("records/placements/oakfield/new\\nline.yaml:1:1: error [file-name] This file's name holds a line "
                "break or another control character, so it was not checked. Rename it with letters, digits and "
                "hyphens.")


@pytest.fixture
def odd_names(origin: Path) -> Path:
    """A branch that adds a file whose name is not UTF-8 and one whose name holds a line break."""
    git(origin, "checkout", "-q", "-b", "odd-names")
    model = (origin / PLACEMENT).read_bytes()
    for name in (NOT_UTF8, NEWLINE):
        (origin / name).write_bytes(model)
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "Odd names")
    return origin


@pytest.mark.parametrize("scope", [(), ("--since", "main")])
def test_odd_file_names_are_findings_shown_escaped(run_cli: RunCli, odd_names: Path,
                                                   scope: tuple[str, ...]) -> None:
    done = run_cli("check", "--no-cache", "--today", TODAY, *scope, odd_names)
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert NOT_UTF8_LINE in lines and NEWLINE_LINE in lines
    pack = bundled_pack()  # a register without a pack of its own: the pack's files are named where they are
    assert pack is not None
    assert all(line.startswith(("records/", f"{pack.resolve().as_posix()}/", "note: ", "Failed: ")) for line in lines), \
        lines


def test_odd_file_names_in_sarif_point_at_the_files_on_disk(run_cli: RunCli, odd_names: Path) -> None:
    done = run_cli("check", "--no-cache", "--today", TODAY, "--format", "sarif", odd_names)
    assert done.returncode == 1, done.stderr
    results = json.loads(done.stdout)["runs"][0]["results"]
    odd = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["ruleId"] for r in results
           if r["ruleId"] == "file-name"}
    assert odd == {"records/placements/oakfield/caf%E9.yaml": "file-name",
                   "records/placements/oakfield/new%0Aline.yaml": "file-name"}


def test_odd_file_names_in_the_report(run_cli: RunCli, odd_names: Path, tmp_path: Path) -> None:
    for suffix in (".md", ".html"):
        output = tmp_path / f"report{suffix}"
        done = run_cli("report", "--today", TODAY, "--output", output, odd_names)
        assert done.returncode == 0, done.stderr
        text = output.read_text("utf-8").replace("<wbr>", "")  # a page may break a path after its slashes
        assert "records/placements/oakfield/caf\\xe9.yaml:1:1" in text
        if suffix == ".md":  # in HTML, a line break in a value is white space, as the page's markup says
            assert "`records/placements/oakfield/new\\nline.yaml:1:1`" in text


def test_the_restore_hint_quotes_the_path_from_the_top_of_the_repository(run_cli: RunCli, register_copy: Path,
                                                                         tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    register = repository / "registers" / "north trust"
    shutil.move(str(register_copy), str(register))
    commit_snapshot(repository, "Register", "2026-10-20", "Ann Example")
    deleted = "records/placements/oakfield/oakfield-2026-003.yaml"
    (register / deleted).unlink()
    commit_snapshot(repository, "Remove a placement", "2026-11-25", "Ben Sample")
    done = run_cli("check", "--no-cache", "--today", TODAY, register)
    line = next(line for line in done.stdout.splitlines() if "[history-placement-never-deleted]" in line)
    commit = git(repository, "rev-parse", "--short=7", "HEAD").strip()
    assert line.startswith(f"{deleted}:1:1: error [history-placement-never-deleted] This file was deleted in commit ")
    assert f"Restore it with: git checkout {commit}^ -- 'registers/north trust/{deleted}'. " in line
    git(repository, "checkout", f"{commit}^", "--", f"registers/north trust/{deleted}")  # the hint works
    assert (register / deleted).is_file()
