"""Compliance over time: ``check --as-of`` and ``audit`` over a history whose commits carry their dates.

The history (a tiny register about orders, with its own pack):

- 2026-03-02 the register: order o-1 with 2 items, checked on 2026-03-02
- 2026-03-05 o-1 gets 5 items: breach of order-small opens (by this commit)
- 2026-03-09 o-1 back to 2 items: it closes (by this commit)
- 2026-03-17 o-1 is overdue for its check (checked 15 days ago, at most 14 allowed): opens by time alone
- 2026-03-20 o-1 checked again: it closes (by this commit)
- 2026-03-25 a new rule (orders name a note) is added to the pack: o-1 breaches it from that day on
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TINY_REGISTER, RunCli, write_files

ORDER_SCHEMA = """\
{"type": "object", "required": ["id", "shop", "customer", "items", "checked_on"], "additionalProperties": false,
 "properties": {"id": {"type": "string"}, "shop": {"type": "string"}, "customer": {"type": "string"},
                "items": {"type": "array", "items": {"type": "string"}},
                "checked_on": {"type": "string", "format": "date"}, "note": {"type": "string"}}}
"""

CHECKED_RECENTLY = """\
id: order-checked-recently
title: An order is checked at least every 14 days
clause: orders.small
severity: error
applies_to: order
assert: days_between(record.checked_on, today) <= 14
at: checked_on
message: Order {record.id} was last checked on {record.checked_on}; check it again.
why: Orders go stale.
examples:
  - {name: passes, expect: pass}
  - {name: fails, expect: fail}
"""

HAS_NOTE = """\
id: order-has-note
title: An order carries a note
clause: orders.shop
severity: error
applies_to: order
assert: has(record.note)
at: id
message: Order {record.id} has no note; add one.
why: A newer policy.
examples:
  - {name: passes, expect: pass}
  - {name: fails, expect: fail}
"""


def order(items: str, checked_on: str) -> str:
    return f"id: o-1\nshop: corner\ncustomer: c-1\nitems: [{items}]\nchecked_on: {checked_on}\n"


def commit(root: Path, day: str, author: str, message: str) -> str:
    stamp = f"{day}T12:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": author,
           "GIT_AUTHOR_EMAIL": "data@example.org", "GIT_COMMITTER_NAME": author,
           "GIT_COMMITTER_EMAIL": "data@example.org"}
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=root, check=True, env=env)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("audit") / "register"
    files = {**TINY_REGISTER, "schemas/order.schema.json": ORDER_SCHEMA,
             "rules/checks/order-checked-recently.yaml": CHECKED_RECENTLY,
             "records/orders/o-1.yaml": order("tea, milk", "2026-03-02")}
    files.pop("records/shops/mill.yaml")
    write_files(root, files)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    shas = {"start": commit(root, "2026-03-02", "Ada Clerk", "The register")}
    write_files(root, {"records/orders/o-1.yaml": order("tea, milk, jam, eggs, rice", "2026-03-02")})
    shas["big"] = commit(root, "2026-03-05", "Ben Typist", "o-1: more items")
    write_files(root, {"records/orders/o-1.yaml": order("tea, milk", "2026-03-02")})
    shas["small"] = commit(root, "2026-03-09", "Ada Clerk", "o-1: back to two items")
    write_files(root, {"records/orders/o-1.yaml": order("tea, milk", "2026-03-20")})
    shas["checked"] = commit(root, "2026-03-20", "Cy Checker", "o-1: checked")
    write_files(root, {"rules/checks/order-has-note.yaml": HAS_NOTE})
    shas["rule"] = commit(root, "2026-03-25", "Dee Policy", "A new rule: orders carry a note")
    return root, shas


def errors_as_of(run_cli: RunCli, root: Path, day: str) -> list[str]:
    done = run_cli("check", root, "--as-of", day, "--format", "json", cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return sorted(f"{f['rule']}@{f['file']}:{f['line']}" for f in json.loads(done.stdout)["findings"])


@pytest.mark.parametrize(("day", "expected"), [
    ("2026-03-02", []),
    ("2026-03-04", []),
    ("2026-03-05", ["order-small@records/orders/o-1.yaml:4"]),
    ("2026-03-08", ["order-small@records/orders/o-1.yaml:4"]),
    ("2026-03-09", []),
    ("2026-03-16", []),
    ("2026-03-17", ["order-checked-recently@records/orders/o-1.yaml:5"]),
    ("2026-03-19", ["order-checked-recently@records/orders/o-1.yaml:5"]),
    ("2026-03-20", []),
    ("2026-03-24", []),
    ("2026-03-25", ["order-has-note@records/orders/o-1.yaml:1"]),
])
def test_check_as_of_a_day_checks_the_register_and_pack_of_that_day(
        history: tuple[Path, dict[str, str]], run_cli: RunCli, day: str, expected: list[str]) -> None:
    root, _ = history
    assert errors_as_of(run_cli, root, day) == expected


def test_check_as_of_says_which_commit_it_checked_and_exits_1_on_errors(
        history: tuple[Path, dict[str, str]], run_cli: RunCli) -> None:
    root, shas = history
    done = run_cli("check", "--as-of", "2026-03-06", cwd=root)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == ("records/orders/o-1.yaml:4:8: error [order-small] Order o-1 has 5 items; at most 3 are "
                        "allowed. (orders.small)")
    assert (f"note: As of 2026-03-06: the register at commit {shas['big'][:7]} of its main line (2026-03-05, "
            "Ben Typist: o-1: more items), checked with today = 2026-03-06.") in lines


def test_audit_gives_each_breach_with_the_day_it_opened_and_closed_and_what_did_it(
        history: tuple[Path, dict[str, str]], run_cli: RunCli) -> None:
    root, shas = history
    done = run_cli("audit", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "json", cwd=root)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = [{k: b[k] for k in ("rule", "clause", "severity", "record", "file", "opened", "closed", "days_open",
                               "waived")}
            | {"opened_by": (b["opened_by"]["cause"], b["opened_by"]["commit"], b["opened_by"]["author"]),
               "closed_by": b["closed_by"] and (b["closed_by"]["cause"], b["closed_by"]["commit"])}
            for b in report["breaches"]]
    assert rows == [
        {"rule": "order-small", "clause": "orders.small", "severity": "error", "record": "o-1",
         "file": "records/orders/o-1.yaml", "opened": "2026-03-05", "closed": "2026-03-09", "days_open": 4,
         "waived": False, "opened_by": ("commit", shas["big"], "Ben Typist"),
         "closed_by": ("commit", shas["small"])},
        {"rule": "order-checked-recently", "clause": "orders.small", "severity": "error", "record": "o-1",
         "file": "records/orders/o-1.yaml", "opened": "2026-03-17", "closed": "2026-03-20", "days_open": 3,
         "waived": False, "opened_by": ("time passed", None, None), "closed_by": ("commit", shas["checked"])},
        {"rule": "order-has-note", "clause": "orders.shop", "severity": "error", "record": "o-1",
         "file": "records/orders/o-1.yaml", "opened": "2026-03-25", "closed": None, "days_open": 7,
         "waived": False, "opened_by": ("commit", shas["rule"], "Dee Policy"), "closed_by": None},
    ]
    assert report["summary"] == {
        "orders.shop": {"breaches": 1, "still_open": 1, "median_days_to_close": None, "longest_days_to_close": None},
        "orders.small": {"breaches": 2, "still_open": 0, "median_days_to_close": 3.5, "longest_days_to_close": 4},
    }


def test_audit_text_and_markdown(history: tuple[Path, dict[str, str]], run_cli: RunCli) -> None:
    root, shas = history
    text = run_cli("audit", "--from", "2026-03-10", "--to", "2026-03-22", cwd=root).stdout.splitlines()
    assert text == [
        "Breaches open at any time from 2026-03-10 to 2026-03-22: 1.",
        f"records/orders/o-1.yaml: error [order-checked-recently] (orders.small) opened 2026-03-17 (time passed), "
        f"closed 2026-03-20 (commit {shas['checked'][:7]} by Cy Checker): 3 days. Order o-1 was last checked on "
        "2026-03-02; check it again.",
        "By policy clause:",
        "  orders.small: 1 breach, 0 still open; days to close: median 3 days, longest 3 days.",
    ]
    markdown = run_cli("audit", "--from", "2026-03-10", "--to", "2026-03-22", "--format", "md", cwd=root).stdout
    assert (f"| order-checked-recently | orders.small | error | records/orders/o-1.yaml | 2026-03-17 | time passed | "
            f"2026-03-20 | commit {shas['checked'][:7]} by Cy Checker | 3 |") in markdown.splitlines()


def test_a_breach_open_when_the_period_begins_says_so(history: tuple[Path, dict[str, str]], run_cli: RunCli) -> None:
    root, _ = history
    report = json.loads(run_cli("audit", "--from", "2026-03-07", "--to", "2026-03-12", "--format", "json",
                                cwd=root).stdout)
    [breach] = report["breaches"]
    assert (breach["rule"], breach["opened"], breach["opened_by"]["cause"], breach["closed"]) == (
        "order-small", "2026-03-07", "before the period", "2026-03-09")


def test_outside_git_as_of_and_audit_are_clear_errors(tiny_register: Path, run_cli: RunCli) -> None:
    for args in (("check", "--as-of", "2026-03-05"), ("audit", "--from", "2026-03-01")):
        done = run_cli(*args, cwd=tiny_register)
        assert done.returncode == 2
        assert done.stderr.startswith("ap-lint: error: ")
        assert "is not in a git repository" in done.stderr
        assert "Traceback" not in done.stderr


def test_as_of_before_the_first_commit_and_a_bad_date(history: tuple[Path, dict[str, str]], run_cli: RunCli) -> None:
    root, _ = history
    early = run_cli("check", "--as-of", "2026-02-01", cwd=root)
    assert (early.returncode, early.stderr.strip()) == (2, "ap-lint: error: The register has no commit on its main "
                                                           "line on or before 2026-02-01: there is nothing to check "
                                                           "as of that date.")
    bad = run_cli("check", "--as-of", "1/3/2026", cwd=root)
    assert (bad.returncode, bad.stderr.strip()) == (2, "ap-lint: error: --as-of must be a date written YYYY-MM-DD, "
                                                       "not '1/3/2026'.")
    both = run_cli("check", "--as-of", "2026-03-05", "--today", "2026-03-05", cwd=root)
    assert both.returncode == 2 and "leave out --today" in both.stderr


def test_the_report_over_a_period_shows_the_breaches_and_the_errors_over_time(
        history: tuple[Path, dict[str, str]], run_cli: RunCli, tmp_path: Path) -> None:
    root, shas = history
    page, markdown = tmp_path / "report.html", tmp_path / "report.md"
    for output in (page, markdown):
        done = run_cli("report", "--from", "2026-03-01", "--today", "2026-03-31", "--output", output, cwd=root)
        assert done.returncode == 0, done.stderr
    html = page.read_text("utf-8")
    assert '<h2 id="period">Over the period Sun 1 Mar 2026 to Tue 31 Mar 2026</h2>' in html
    assert "3 breaches opened and 2 breaches closed in the period; 1 still open at its end; half of the closed ones " \
           "were closed within 3.5 days." in html
    # one bar per day with errors open: 4 days of order-small, 3 of the overdue check, 7 of the new rule
    assert html.count('fill="#b42318"><title>') == 14
    assert "<title>Thu 5 Mar 2026: 1 error open</title>" in html
    assert "<title>Mon 9 Mar 2026:" not in html
    assert f"commit {shas['big'][:7]} by Ben Typist" in html
    assert "time passed" in html
    text = markdown.read_text("utf-8").splitlines()
    assert "## Over the period Sun 1 Mar 2026 to Tue 31 Mar 2026" in text
    assert ("| records/orders/o-1.yaml | order-has-note (orders.shop) | Wed 25 Mar 2026 (commit "
            f"{shas['rule'][:7]} by Dee Policy) | still open | 7 |") in text
    assert ("| records/orders/o-1.yaml | order-small (orders.small) | Thu 5 Mar 2026 (commit "
            f"{shas['big'][:7]} by Ben Typist) | Mon 9 Mar 2026 (commit {shas['small'][:7]} by Ada Clerk) | 4 |") in text
    assert "No past breach is acknowledged by a waiver without an expiry date." in text


def test_rules_whose_verdict_moves_with_the_date_are_judged_every_day(repo_root: Path) -> None:
    """The audit re-judges daily exactly the rules that read today: CEL naming `today`, or a scan of ages."""
    from ap_lint.checker import Checker

    rules = {rule.id: rule for rule in Checker.for_root(repo_root).rules}
    assert rules["privacy-pupil-age-date"].reads_today  # an age as of today, in a scan, not in CEL
    assert rules["behaviour-review-overdue"].reads_today
    assert not rules["placement-rationale-substantive"].reads_today
    assert not rules["privacy-upn"].reads_today
