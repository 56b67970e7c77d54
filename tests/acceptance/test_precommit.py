"""Checks scoped to a change, as pre-commit and pull requests run them.

The whole register is evaluated; what is reported is the findings on the
changed files plus those the change causes elsewhere (present now, absent
with the changed files at their previous version). The fast tests use the
tiny register in a temporary git repository; the slow one runs this
project's hook through ``pre-commit try-repo`` on a copy of the example
register, once with a compliant placement staged and once with one that
uses an unregistered provider without the Executive Principal's approval.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ap_lint.git.scope import changed_files, read_at
from conftest import RunCli, write_files

TODAY = "2026-05-01"
SCOPE_NOTE = ("{count} on other files, not caused by the change, {verb} not shown. Run ap-lint check without "
              "file names, --staged or --since to see every finding.")
SHOP_EXISTS_RULE = """\
id: order-shop-exists
title: An order names a shop of the register
clause: orders.shop
severity: error
applies_to: order
assert: shop != null
at: shop
message: "There is no shop '{record.shop}': name a shop from records/shops/."
why: An order for a shop that does not exist cannot be delivered.
examples:
  - {name: passes, expect: pass}
  - {name: fails, expect: fail}
"""


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test Editor", "-c", "user.email=editor@example.org", "-c", "commit.gpgsign=false",
         "-c", "init.defaultBranch=main", *args],
        cwd=root, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def note(count: int) -> str:
    return "note: " + SCOPE_NOTE.format(count=f"{count} finding{'' if count == 1 else 's'}",
                                        verb="is" if count == 1 else "are")


def summary(failing: int, errors: int, warnings: int, records: int) -> str:
    return (f"{'Failed' if failing else 'Passed'}: {failing} failing of {errors + warnings} shown "
            f"({errors} error{'' if errors == 1 else 's'}, {warnings} warning{'' if warnings == 1 else 's'}) "
            f"with --fail-on error, in {records} records (today is {TODAY}).")


@pytest.fixture
def repo(tiny_register: Path) -> Path:
    """The tiny register in a git repository: one commit on main, with an order at the closed Mill Shop."""
    write_files(tiny_register, {
        "records/orders/o-3.yaml": "id: o-3\nshop: mill\ncustomer: c-3\nitems: [flour]\n",
        "rules/checks/order-shop-exists.yaml": SHOP_EXISTS_RULE,
    })
    git(tiny_register, "init", "-q")
    git(tiny_register, "add", ".")
    git(tiny_register, "commit", "-q", "-m", "register")
    return tiny_register


MILL_LINE = ("records/orders/o-3.yaml:2:7: error [order-shop-open] Mill Shop is closed: choose an open shop. "
             "(orders.shop)")


def test_the_whole_register_still_shows_every_finding(run_cli: RunCli, repo: Path) -> None:
    done = run_cli("check", "--today", TODAY, cwd=repo)
    assert done.stdout.splitlines() == [MILL_LINE, summary(1, 1, 0, 4)]


def test_a_named_file_reports_what_its_change_breaks_on_other_records(run_cli: RunCli, repo: Path) -> None:
    corner = repo / "records" / "shops" / "corner.yaml"
    corner.write_text(corner.read_text().replace("open: true", "open: false"))
    done = run_cli("check", "--today", TODAY, "records/shops/corner.yaml", cwd=repo)
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines() == [
        "records/orders/o-1.yaml:2:7: error [order-shop-open] Corner Shop is closed: choose an open shop. "
        "(orders.shop)",
        note(1),  # the closed Mill Shop's order was there before: not this change's doing
        summary(1, 1, 0, 4),
    ]


def test_a_named_file_with_nothing_wrong_passes_though_others_have_errors(run_cli: RunCli, repo: Path) -> None:
    done = run_cli("check", "--today", TODAY, repo / "records" / "orders" / "o-1.yaml", cwd=repo)
    assert (done.returncode, done.stdout.splitlines()) == (0, [note(1), summary(0, 0, 0, 4)])


def test_a_new_file_reports_its_own_findings(run_cli: RunCli, repo: Path) -> None:
    write_files(repo, {"records/orders/o-4.yaml": "id: o-4\nshop: corner\ncustomer: c-4\nitems: [a, b, c, d]\n"})
    git(repo, "add", "records/orders/o-4.yaml")
    done = run_cli("check", "--today", TODAY, "--staged", cwd=repo)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "records/orders/o-4.yaml:4:8: error [order-small] Order o-4 has 4 items; at most 3 are allowed. "
        "(orders.small)",
        note(1),
        summary(1, 1, 0, 5),
    ]


def test_staged_reports_only_what_is_staged(run_cli: RunCli, repo: Path) -> None:
    write_files(repo, {"records/orders/o-5.yaml": "id: o-5\nshop: mill\ncustomer: c-5\nitems: [oats]\n"})
    done = run_cli("check", "--today", TODAY, "--staged", cwd=repo)
    assert (done.returncode, done.stdout.splitlines()) == (0, [
        "note: No files to report on: nothing is staged.", note(2), summary(0, 0, 0, 5)])


def test_staged_counts_a_staged_deletion_that_pre_commit_does_not_pass(run_cli: RunCli, repo: Path) -> None:
    git(repo, "rm", "-q", "records/shops/corner.yaml")
    done = run_cli("check", "--today", TODAY, "--staged", cwd=repo)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "records/orders/o-1.yaml:2:7: error [order-shop-exists] There is no shop 'corner': name a shop from "
        "records/shops/. (orders.shop)",
        note(1),
        summary(1, 1, 0, 3),
    ]


def test_since_reports_the_branch_changes_untracked_files_and_what_a_deletion_breaks(run_cli: RunCli,
                                                                                    repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "edit")
    (repo / "records" / "shops" / "corner.yaml").unlink()
    git(repo, "commit", "-q", "-am", "remove the corner shop")
    write_files(repo, {"records/orders/o-6.yaml": "id: o-6\nshop: mill\ncustomer: c-6\nitems: [' ']\n"})
    done = run_cli("check", "--today", TODAY, "--since", "main", cwd=repo)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "records/orders/o-1.yaml:2:7: error [order-shop-exists] There is no shop 'corner': name a shop from "
        "records/shops/. (orders.shop)",
        "records/orders/o-6.yaml:2:7: error [order-shop-open] Mill Shop is closed: choose an open shop. "
        "(orders.shop)",
        "records/orders/o-6.yaml:4:9: warning [order-item-named] Item 1 of o-6 is blank; write what was ordered.",
        note(1),
        summary(2, 2, 1, 4),
    ]


def test_since_counts_from_where_the_branch_left_the_base(run_cli: RunCli, repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "edit")
    git(repo, "checkout", "-q", "main")
    write_files(repo, {"records/orders/o-7.yaml": "id: o-7\nshop: corner\ncustomer: c-7\nitems: [tea]\n"})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "main moves on")
    git(repo, "checkout", "-q", "edit")
    done = run_cli("check", "--today", TODAY, "--since", "main", cwd=repo)
    assert done.stdout.splitlines() == ["note: No files to report on: nothing has changed since main.", note(1),
                                        summary(0, 0, 0, 4)]


def test_a_change_to_the_pack_shows_every_finding(run_cli: RunCli, repo: Path) -> None:
    settings = repo / "rules" / "settings.yaml"
    settings.write_text(settings.read_text().replace("value: 3", "value: 1"))
    done = run_cli("check", "--today", TODAY, "rules/settings.yaml", cwd=repo)
    assert done.stdout.splitlines() == [
        "records/orders/o-1.yaml:4:8: error [order-small] Order o-1 has 2 items; at most 1 are allowed. "
        "(orders.small)",
        MILL_LINE,
        "note: The change touches the policy pack, so every finding in the register is shown.",
        summary(2, 2, 0, 4),
    ]


def test_outside_git_a_named_file_reports_only_its_own_findings(run_cli: RunCli, tiny_register: Path) -> None:
    corner = tiny_register / "records" / "shops" / "corner.yaml"
    corner.write_text(corner.read_text().replace("open: true", "open: false"))
    done = run_cli("check", "--today", TODAY, "records/shops/corner.yaml", cwd=tiny_register)
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        "note: 1 finding on other files, not caused by the change, is not shown (outside git, findings the change "
        "causes elsewhere cannot be told apart). Run ap-lint check without file names, --staged or --since to see "
        "every finding.",
        summary(0, 0, 0, 3),
    ]


@pytest.mark.parametrize(("args", "message"), [
    (("--since", "main"), "ap-lint: error: --since needs a git repository, and {root} is not inside one. Run it "
                          "in a clone of the register, or leave the option out to check everything."),
    (("--staged",), "ap-lint: error: --staged needs a git repository, and {root} is not inside one. Run it in a "
                    "clone of the register, or leave the option out to check everything."),
])
def test_git_options_outside_git_are_a_clear_error(run_cli: RunCli, tiny_register: Path, args: tuple[str, ...],
                                                   message: str) -> None:
    done = run_cli("check", "--today", TODAY, *args, cwd=tiny_register)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [message.format(root=tiny_register.resolve())]


def test_an_unknown_revision_is_a_clear_error(run_cli: RunCli, repo: Path) -> None:
    done = run_cli("check", "--today", TODAY, "--since", "no-such-branch", cwd=repo)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "ap-lint: error: git does not know the revision 'no-such-branch'. Fetch it first (in GitHub Actions: "
        "actions/checkout with fetch-depth: 0), or name another branch, tag or commit."]


@pytest.mark.parametrize(("args", "message"), [
    (("--since", "main", "--staged"), "--since reports on everything changed since REV: leave out --staged and "
                                      "FILEs."),
    (("--since", "main", "records/orders/o-1.yaml"), "--since reports on everything changed since REV: leave out "
                                                     "--staged and FILEs."),
    (("records/orders/o-9.yaml",), "Path 'records/orders/o-9.yaml' does not exist."),
])
def test_option_mistakes_are_usage_errors(run_cli: RunCli, repo: Path, args: tuple[str, ...], message: str) -> None:
    done = run_cli("check", "--today", TODAY, *args, cwd=repo)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == f"Error: {message}"


def test_changed_files_are_relative_to_a_register_inside_a_larger_repository(tmp_path: Path) -> None:
    write_files(tmp_path, {"README.md": "x\n", "register/records/a.yaml": "a: 1\n", "register/records/b.yaml": "b\n",
                           "register/records/c.yaml": "c\n"})
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    base = git(tmp_path, "rev-parse", "HEAD").strip()
    write_files(tmp_path, {"README.md": "changed\n", "register/records/a.yaml": "a: 2\n",
                           "register/records/new, odd.yaml": "n\n"})
    (tmp_path / "register" / "records" / "b.yaml").unlink()
    register = tmp_path / "register"
    assert changed_files(register, base) == {"records/a.yaml", "records/b.yaml", "records/new, odd.yaml"}
    assert changed_files(register, "HEAD") == changed_files(register, base)
    assert read_at(register, base, ["records/a.yaml", "records/b.yaml", "records/new, odd.yaml"]) == {
        "records/a.yaml": b"a: 1\n", "records/b.yaml": b"b\n", "records/new, odd.yaml": None}
    assert read_at(register, None, ["records/a.yaml"]) == {"records/a.yaml": None}


# --- the hook itself, through pre-commit ------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "matched"), [
    ("records/placements/riverside/riverside-2026-002.yaml", True),
    ("records/providers/new.yml", True),
    ("rules/checks/unregistered-provider-approved.yaml", True),
    ("rules/settings.yaml", True),
    ("schemas/placement.schema.json", True),
    ("policy/offsite-alternative-provision-principles.md", True),
    ("README.md", False),
    ("src/ap_lint/cli.py", False),
    ("docs/records/x.yaml", False),
])
def test_the_hook_runs_for_records_and_the_policy_pack(repo_root: Path, path: str, matched: bool) -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    (hook,) = clientlib.load_manifest(str(repo_root / ".pre-commit-hooks.yaml"))
    assert bool(re.search(hook["files"], path)) is matched


def test_this_repository_runs_the_same_hook_on_its_own_register(repo_root: Path) -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    (hook,) = clientlib.load_manifest(str(repo_root / ".pre-commit-hooks.yaml"))
    assert {key: hook[key] for key in ("id", "entry", "language", "pass_filenames", "require_serial")} == {
        "id": "ap-lint", "entry": "ap-lint check --staged", "language": "python", "pass_filenames": True,
        "require_serial": True}
    config = clientlib.load_config(str(repo_root / ".pre-commit-config.yaml"))
    (local,) = [h for r in config["repos"] if r["repo"] == "local" for h in r["hooks"] if h["id"] == "ap-lint"]
    assert {key: local[key] for key in ("entry", "files", "pass_filenames", "require_serial")} == {
        key: hook[key] for key in ("entry", "files", "pass_filenames", "require_serial")}

EXAMPLE_TODAY = "2026-11-28"
NEW_PLACEMENT = "records/placements/riverside/riverside-2026-900.yaml"


def example_register_at_head(repo_root: Path, target: Path) -> None:
    """records/, rules/, schemas/ and policy/ as committed at HEAD: the same commit pre-commit installs."""
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD", "records", "rules", "schemas", "policy"],
                             cwd=repo_root, capture_output=True, timeout=60, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")


def try_repo(repo_root: Path, register: Path) -> subprocess.CompletedProcess[str]:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo_root, capture_output=True, text=True,
                          check=True).stdout.strip()
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(repo_root), "ap-lint", "--ref", head],
                          cwd=register, capture_output=True, text=True, timeout=900, check=False,
                          env={**_environment(), "AP_LINT_TODAY": EXAMPLE_TODAY, "NO_COLOR": "1"})


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AP_LINT_", "GIT_", "PRE_COMMIT"))}


@pytest.mark.slow
def test_the_hook_refuses_a_placement_at_an_unregistered_provider_without_approval(repo_root: Path,
                                                                                  tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None or not (repo_root / ".git").exists():
        pytest.skip("needs this project as a git repository")
    committed = subprocess.run(["git", "cat-file", "-e", "HEAD:.pre-commit-hooks.yaml"], cwd=repo_root,
                               capture_output=True, check=False)
    if committed.returncode != 0:
        pytest.skip("the hook is not committed yet: pre-commit installs hooks from commits")
    register = tmp_path / "register"
    example_register_at_head(repo_root, register)
    git(register, "init", "-q")
    git(register, "add", ".")
    git(register, "commit", "-q", "-m", "the register")

    source = (register / "records" / "placements" / "riverside" / "riverside-2026-002.yaml").read_text("utf-8")
    assert "provider: brackenridge-farm-skills" in source and "\nceo_approval:\n" in source
    compliant = source.replace("id: riverside-2026-002", "id: riverside-2026-900").replace(
        "CRST-P-20377", "CRST-P-29999")
    (register / NEW_PLACEMENT).write_text(compliant, "utf-8")
    git(register, "add", NEW_PLACEMENT)
    passed = try_repo(repo_root, register)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"^ap-lint \(alternative provision register\)\.+Passed$", passed.stdout, re.MULTILINE)

    unapproved = re.sub(r"\nceo_approval:\n(  .*\n)+", "\n", compliant)
    assert "ceo_approval" not in unapproved
    (register / NEW_PLACEMENT).write_text(unapproved, "utf-8")
    git(register, "add", NEW_PLACEMENT)
    refused = try_repo(repo_root, register)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    lines = refused.stdout.splitlines()
    assert re.search(r"^ap-lint \(alternative provision register\)\.+Failed$", refused.stdout, re.MULTILINE)
    provider_line = next(number for number, text in enumerate(unapproved.splitlines(), 1)
                         if text.startswith("provider: "))
    finding = re.compile(re.escape(NEW_PLACEMENT) + f":{provider_line}:11: " + r"error \[unregistered-provider-approved\] "
                         r"Brackenridge Farm Skills was unregistered on this placement's start date .+ \(unregistered\.approval\)")
    assert [line for line in lines if finding.fullmatch(line)], refused.stdout
    assert any(line.startswith("Failed: ") and " with --fail-on error, in " in line for line in lines)
