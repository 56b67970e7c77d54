"""The audit trail as a user meets it: `ap-lint check --since`, `ap-lint history` and `ap-lint test-rules`.

Each test builds a register repository in a temporary folder (the example
register's records/, committed with a fixed author and date), changes it the
way an editor would, and runs ap-lint in a subprocess. Git is driven here with
the test's own helpers (no ap-lint import), so these tests also run against
another version of the command.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Callable

import pytest
import yaml

TODAY = "2026-11-28"
REPO_ROOT = Path(__file__).resolve().parents[2]
BEHAVIOUR = "records/placements/oakfield/oakfield-2026-001.yaml"
ADDED_VALUE = "records/placements/oakfield/oakfield-2026-003.yaml"
UNREGISTERED = "records/placements/riverside/riverside-2026-002.yaml"
NEW_PLACEMENT = "records/placements/oakfield/oakfield-2026-004.yaml"
Run = Callable[..., "subprocess.CompletedProcess[str]"]


GIT_ENVIRONMENT = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def git(root: Path, *args: str, date: str = "2026-10-20", author: str = "Ann Example") -> str:
    """Run git in ``root`` without the user's settings, as ``author`` on ``date`` (noon UTC)."""
    stamp = f"{date}T12:00:00+00:00"
    email = author.lower().replace(" ", ".") + "@example.invalid"
    environment = {**os.environ, **GIT_ENVIRONMENT, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email,
                   "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email,
                   "GIT_COMMITTER_DATE": stamp}
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env=environment, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def commit_snapshot(root: Path, message: str, date: str, author: str = "Example Editor") -> None:
    """Commit everything in ``root`` (a new repository on branch main the first time)."""
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A", ".")
    git(root, "commit", "-q", "--allow-empty", "--no-verify", "-m", message, date=date, author=author)


@pytest.fixture
def repo(register_copy: Path) -> Path:
    commit_snapshot(register_copy, "Register as at October", "2026-10-20", "Ann Example")
    return register_copy


def head(root: Path, revision: str = "HEAD") -> str:
    done = subprocess.run(["git", "rev-parse", revision], cwd=root, capture_output=True, text=True, check=True,
                          env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    return done.stdout.strip()[:7]


def replace_in(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def message(rule_id: str, record: str = "") -> str:
    """A rule's message from its file, as the report prints it."""
    document = yaml.safe_load((REPO_ROOT / "rules" / "checks" / f"{rule_id}.yaml").read_text("utf-8"))
    return str(document["message"]).replace("{file.id}", record)


def new_placement(root: Path, with_objectives: bool) -> None:
    text = (root / BEHAVIOUR).read_text("utf-8").replace("oakfield-2026-001", "oakfield-2026-004")
    text = text.replace("CRST-P-10482", "CRST-P-10999")
    if not with_objectives:
        text = text[:text.index("objectives:")] + text[text.index("timetable:"):]
    (root / NEW_PLACEMENT).write_text(text, "utf-8")


def line_of(root: Path, relative: str, snippet: str) -> tuple[int, int]:
    for number, line in enumerate((root / relative).read_text("utf-8").split("\n"), start=1):
        if snippet in line:
            return number, line.index(snippet) + 1
    raise AssertionError(snippet)


def delete_a_placement(root: Path) -> str:
    (root / ADDED_VALUE).unlink()
    commit_snapshot(root, "Remove oakfield-2026-003", "2026-11-25", "Ben Sample")
    commit = head(root)
    return (f"{ADDED_VALUE}:1:1: error [history-placement-never-deleted] This file was deleted in commit {commit} "
            f'by Ben Sample on 2026-11-25 ("Remove oakfield-2026-003"). Restore it with: git checkout {commit}^ -- '
            f"'{ADDED_VALUE}'. {message('history-placement-never-deleted')}")


def back_date_an_approval(root: Path) -> str:
    replace_in(root, UNREGISTERED, "  date: 2026-07-06", "  date: 2026-06-30")
    commit_snapshot(root, "Tidy approval dates", "2026-11-22", "Cal Person")
    line, column = line_of(root, UNREGISTERED, "2026-06-30")
    return (f"{UNREGISTERED}:{line}:{column}: error [history-ceo-approval-date-fixed] In commit {head(root)} by Cal "
            'Person on 2026-11-22 ("Tidy approval dates"): ceo_approval.date: 2026-07-06 → 2026-06-30. '
            f"{message('history-ceo-approval-date-fixed', 'riverside-2026-002')} (unregistered.approval)")


def rewrite_a_past_review(root: Path) -> str:
    replace_in(root, BEHAVIOUR, "attendance_percent: 88", "attendance_percent: 95")
    commit_snapshot(root, "Update attendance", "2026-11-24", "Cal Person")
    line, column = line_of(root, BEHAVIOUR, "attendance_percent: 95")
    return (f"{BEHAVIOUR}:{line}:{column + len('attendance_percent: ')}: error [history-reviews-append-only] In "
            f'commit {head(root)} by Cal Person on 2026-11-24 ("Update attendance"): reviews[0] (date: 2026-10-16) '
            f"was changed: reviews[0].attendance_percent: 88 → 95. {message('history-reviews-append-only')} "
            "(behaviour.review)")


def add_objectives_after_the_first_commit(root: Path) -> str:
    new_placement(root, with_objectives=False)
    commit_snapshot(root, "Add placement oakfield-2026-004", "2026-11-23", "Ann Example")
    first = head(root)
    new_placement(root, with_objectives=True)
    commit_snapshot(root, "Add its objectives", "2026-11-24", "Ann Example")
    line, column = line_of(root, NEW_PLACEMENT, "- Attend every timetabled session")
    return (f"{NEW_PLACEMENT}:{line}:{column}: error [history-behaviour-terms-from-start] The first version of this "
            f'record, commit {first} by Ann Example on 2026-11-23 ("Add placement oakfield-2026-004"), had no '
            f'objectives (added later: commit {head(root)} by Ann Example on 2026-11-24 ("Add its objectives")). '
            "The policy requires the objectives, days and times of attendance and the duration of a behaviour "
            "placement to be set out from the start. Adding them later does not show they were agreed when the "
            "placement was made: if they were, say so and when in a new review's progress note, and ask for a waiver "
            "of this rule for oakfield-2026-004; if not, review the placement with the pupil's family now. "
            "(behaviour.terms)")


def history_lines(done: "subprocess.CompletedProcess[str]") -> list[str]:
    return [line for line in done.stdout.splitlines() if "[history-" in line]


@pytest.mark.parametrize("change", [delete_a_placement, back_date_an_approval, rewrite_a_past_review,
                                    add_objectives_after_the_first_commit])
def test_a_rewrite_of_the_audit_trail_fails_the_check_naming_the_commit(
        run_cli: Run, repo: Path, change: Callable[[Path], str]) -> None:
    expected = change(repo)
    done = run_cli("check", "--today", TODAY, cwd=repo)
    assert history_lines(done) == [expected], done.stdout + done.stderr
    assert done.returncode == 1


@pytest.mark.parametrize("change", [delete_a_placement, back_date_an_approval, rewrite_a_past_review])
def test_a_rewrite_of_the_audit_trail_fails_the_check_of_a_pull_request(
        run_cli: Run, repo: Path, change: Callable[[Path], str]) -> None:
    base = head(repo)
    full = change(repo)
    done = run_cli("check", "--since", "HEAD~1", "--today", TODAY, cwd=repo)
    # the pull request is judged as a whole: its merge-base against the files as it leaves them
    commit = head(repo)
    expected = full.replace(f"checkout {commit}^ --", f"checkout {base} --")
    expected = re.sub(r'(In|deleted in) commit [0-9a-f]{7} by [A-Za-z ]+ on [0-9-]+ \("[^"]*"\)',
                      r"\1 the changes since HEAD~1", expected)
    assert history_lines(done) == [expected], done.stdout + done.stderr
    assert done.returncode == 1


def append_a_review(root: Path) -> None:
    replace_in(root, BEHAVIOUR, "reintegration:", "  - date: 2026-11-27\n    attendance_percent: 95\n"
               "    progress: Attending every session and completing the English and maths work set each week.\n"
               "    decision: continue\nreintegration:")
    commit_snapshot(root, "Record the late November review", "2026-11-27", "Ben Sample")


def end_a_placement_through_its_status(root: Path) -> None:
    replace_in(root, ADDED_VALUE, "status: active", "status: ended-early\nended:\n  date: 2026-11-27\n  outcome: other")
    commit_snapshot(root, "End oakfield-2026-003 early", "2026-11-27", "Ben Sample")


@pytest.mark.parametrize("change", [append_a_review, end_a_placement_through_its_status])
def test_an_honest_change_passes_the_history_checks(run_cli: Run, repo: Path,
                                                    change: Callable[[Path], None]) -> None:
    change(repo)
    done = run_cli("check", "--since", "HEAD~1", "--today", TODAY, cwd=repo)
    assert [line for line in done.stdout.splitlines() if "[history-" in line] == []
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_outside_git_notes_that_history_was_not_checked(run_cli: Run, register_copy: Path) -> None:
    done = run_cli("check", "--today", TODAY, cwd=register_copy)
    assert "note: history checks skipped: not a git repository" in done.stdout.splitlines()
    assert done.returncode == 0


def test_history_lists_every_commit_with_what_it_changed(run_cli: Run, repo: Path) -> None:
    replace_in(repo, BEHAVIOUR, "reintegration:", "  - date: 2026-11-27\n    attendance_percent: 95\n"
               "    progress: Attending every session.\n    decision: end\nreintegration:")
    commit_snapshot(repo, "Record the last review", "2026-11-27", "Ben Sample")
    replace_in(repo, BEHAVIOUR, "status: active", "status: completed\nended:\n  date: 2026-11-27\n"
               "  outcome: reintegrated")
    commit_snapshot(repo, "Complete oakfield-2026-001", "2026-11-27", "Ben Sample")
    done = run_cli("history", "oakfield-2026-001", cwd=repo)
    assert done.stdout == (
        f"History of oakfield-2026-001 ({BEHAVIOUR}), oldest first: 3 commits.\n"
        "\n"
        f"2026-10-20 {head(repo, 'HEAD~2')} Ann Example: Register as at October\n"
        "  created\n"
        "\n"
        f"2026-11-27 {head(repo, 'HEAD~1')} Ben Sample: Record the last review\n"
        "  reviews[2] added\n"
        "\n"
        f"2026-11-27 {head(repo)} Ben Sample: Complete oakfield-2026-001\n"
        "  status: active → completed\n"
        "  ended.date added: 2026-11-27\n"
        "  ended.outcome added: reintegrated\n")
    assert done.returncode == 0


def test_history_of_a_back_dated_approval_and_changes_on_disk_as_json(run_cli: Run, repo: Path) -> None:
    replace_in(repo, UNREGISTERED, "  date: 2026-07-06", "  date: 2026-06-30")
    commit_snapshot(repo, "Tidy approval dates", "2026-11-22", "Cal Person")
    replace_in(repo, UNREGISTERED, "status: active", "status: withdrawn")
    done = run_cli("history", "riverside-2026-002", "--format", "json", cwd=repo)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert (document["record"], document["file"]) == ("riverside-2026-002", UNREGISTERED)
    assert [(e["short"], e["author"], e["date"], e["subject"], e["event"], [c["text"] for c in e["changes"]])
            for e in document["history"]] == [
        (head(repo, "HEAD~1"), "Ann Example", "2026-10-20T12:00:00+00:00", "Register as at October", "created", []),
        (head(repo), "Cal Person", "2026-11-22T12:00:00+00:00", "Tidy approval dates", "changed",
         ["ceo_approval.date: 2026-07-06 → 2026-06-30"]),
        (None, None, None, None, "changed", ["status: active → withdrawn"]),
    ]
    assert document["history"][1]["changes"][0] == {
        "path": "ceo_approval.date", "change": "changed", "before": "2026-07-06", "after": "2026-06-30",
        "text": "ceo_approval.date: 2026-07-06 → 2026-06-30"}


def test_history_finds_a_deleted_record_in_the_history(run_cli: Run, repo: Path) -> None:
    (repo / ADDED_VALUE).unlink()
    commit_snapshot(repo, "Remove oakfield-2026-003", "2026-11-25", "Ben Sample")
    done = run_cli("history", "oakfield-2026-003", cwd=repo)
    assert done.stdout.splitlines()[-2:] == [f"2026-11-25 {head(repo)} Ben Sample: Remove oakfield-2026-003",
                                             "  deleted"]
    assert done.returncode == 0


def test_history_of_an_unknown_record_is_a_usage_error(run_cli: Run, repo: Path) -> None:
    done = run_cli("history", "oakfield-2099-001", cwd=repo)
    assert done.stderr.splitlines()[-1] == (
        "Error: There is no record 'oakfield-2099-001' in the register or in its history. Give the record's id "
        "(its file name without .yaml).")
    assert done.returncode == 2


def test_history_outside_git_says_so(run_cli: Run, register_copy: Path) -> None:
    done = run_cli("history", "oakfield-2026-001", cwd=register_copy)
    assert done.stderr == (f"ap-lint: error: ap-lint history reads the register's git history, but "
                           f"{register_copy.resolve()}: not a git repository.\n")
    assert done.stdout == ""
    assert done.returncode == 2


def test_test_rules_runs_the_history_examples_in_git_repositories(run_cli: Run) -> None:
    done = run_cli("test-rules", "--rule", "history-placement-never-deleted", "--rule", "history-decision-date-fixed")
    assert done.stdout.splitlines() == [
        "ok   history-decision-date-fixed [pass] the decision date stays as first committed: no finding, as expected",
        "ok   history-decision-date-fixed [fail] the decision date is moved earlier: "
        "records/placements/oakfield/oakfield-2026-001.yaml:14:9 decision.date",
        "ok   history-placement-never-deleted [pass] a placement that ends is withdrawn through its status: "
        "no finding, as expected",
        "ok   history-placement-never-deleted [fail] a placement whose file is deleted: "
        "records/placements/oakfield/oakfield-2026-003.yaml:1:1 ",
        "4 passed, 0 failed",
    ]
    assert done.returncode == 0


# --- the main line: what a pull request changes as a whole (issue 11) ---------------------------------------------


def add_a_placement_and_correct_its_decision_date(root: Path) -> None:
    """On a branch: add a placement with a mistyped decision date, then correct it in a second commit."""
    git(root, "checkout", "-q", "-b", "new-placement")
    new_placement(root, with_objectives=True)
    replace_in(root, NEW_PLACEMENT, "  date: 2026-09-03", "  date: 2026-03-09")
    commit_snapshot(root, "Add placement oakfield-2026-004", "2026-11-23", "Ann Example")
    replace_in(root, NEW_PLACEMENT, "  date: 2026-03-09", "  date: 2026-09-03")
    commit_snapshot(root, "Correct its decision date", "2026-11-24", "Ann Example")


def rules_of(done: "subprocess.CompletedProcess[str]") -> list[str]:
    return [line.split("[", 1)[1].split("]", 1)[0] for line in history_lines(done)]


def test_a_mistake_corrected_inside_a_pull_request_is_no_finding(run_cli: Run, repo: Path) -> None:
    add_a_placement_and_correct_its_decision_date(repo)
    done = run_cli("check", "--since", "main", "--today", TODAY, cwd=repo)
    assert history_lines(done) == [], done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
    # on the branch itself every commit of its line is judged, so the correction shows there
    assert rules_of(run_cli("check", "--today", TODAY, cwd=repo)) == ["history-decision-date-fixed"]
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge the new placement", "new-placement", date="2026-11-25")
    done = run_cli("check", "--today", TODAY, cwd=repo)
    assert history_lines(done) == [], done.stdout
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_mistake_corrected_inside_a_squash_merged_pull_request_is_no_finding(run_cli: Run, repo: Path) -> None:
    add_a_placement_and_correct_its_decision_date(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--squash", "new-placement")
    commit_snapshot(repo, "Add placement oakfield-2026-004 (#12)", "2026-11-25", "Ann Example")
    done = run_cli("check", "--today", TODAY, cwd=repo)
    assert history_lines(done) == [], done.stdout
    assert done.returncode == 0, done.stdout + done.stderr


def test_with_rebase_merging_every_commit_of_a_pull_request_is_judged(run_cli: Run, repo: Path) -> None:
    add_a_placement_and_correct_its_decision_date(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "new-placement")
    done = run_cli("check", "--today", TODAY, cwd=repo)
    line, column = line_of(repo, NEW_PLACEMENT, "2026-09-03")
    assert history_lines(done) == [
        f"{NEW_PLACEMENT}:{line}:{column}: error [history-decision-date-fixed] In commit {head(repo)} by Ann Example "
        'on 2026-11-24 ("Correct its decision date"): decision.date: 2026-03-09 → 2026-09-03. '
        f"{message('history-decision-date-fixed', 'oakfield-2026-004')} (behaviour.direction)"]
    assert done.returncode == 1


# --- an audit trail that cannot be laundered (issue 15) -----------------------------------------------------------


def launder_a_placement(root: Path) -> None:
    """Delete a placement in one commit; add it again in the next with an earlier decision date and a better review."""
    text = (root / BEHAVIOUR).read_text("utf-8")
    (root / BEHAVIOUR).unlink()
    commit_snapshot(root, "Remove oakfield-2026-001", "2026-11-24", "Cal Person")
    text = text.replace("  date: 2026-09-03", "  date: 2026-08-28", 1).replace("attendance_percent: 88",
                                                                              "attendance_percent: 95", 1)
    (root / BEHAVIOUR).write_text(text, "utf-8")
    commit_snapshot(root, "Add oakfield-2026-001", "2026-11-25", "Cal Person")


def test_a_placement_deleted_and_added_again_is_compared_with_its_last_version(run_cli: Run, repo: Path) -> None:
    launder_a_placement(repo)
    done = run_cli("check", "--today", TODAY, cwd=repo)
    deleted, added = head(repo, "HEAD~1"), head(repo)
    again = (f'In commit {added} by Cal Person on 2026-11-25 ("Add oakfield-2026-001"), which added this file again '
             "after it was deleted, compared with its last version before the deletion: ")
    decision_line, decision_column = line_of(repo, BEHAVIOUR, "2026-08-28")
    review_line, review_column = line_of(repo, BEHAVIOUR, "attendance_percent: 95")
    assert history_lines(done) == [
        f"{BEHAVIOUR}:1:1: error [history-placement-never-deleted] This file was deleted in commit {deleted} by Cal "
        f'Person on 2026-11-24 ("Remove oakfield-2026-001"). Restore it with: git checkout {deleted}^ -- '
        f"'{BEHAVIOUR}'. "
        f"{message('history-placement-never-deleted')}",
        f"{BEHAVIOUR}:{decision_line}:{decision_column}: error [history-decision-date-fixed] {again}decision.date: "
        f"2026-09-03 → 2026-08-28. {message('history-decision-date-fixed', 'oakfield-2026-001')} "
        "(behaviour.direction)",
        f"{BEHAVIOUR}:{review_line}:{review_column + len('attendance_percent: ')}: error [history-reviews-append-only] "
        f"{again}reviews[0] (date: 2026-10-16) was changed: reviews[0].attendance_percent: 88 → 95. "
        f"{message('history-reviews-append-only')} (behaviour.review)",
    ], done.stdout
    assert done.returncode == 1


@pytest.mark.parametrize("since", ["HEAD~1", "HEAD~2"])
def test_a_pull_request_that_adds_a_deleted_placement_again_is_compared_with_its_last_version(
        run_cli: Run, repo: Path, since: str) -> None:
    launder_a_placement(repo)
    done = run_cli("check", "--since", since, "--today", TODAY, cwd=repo)
    assert rules_of(done) == ["history-decision-date-fixed", "history-reviews-append-only"], done.stdout
    assert f"In the changes since {since}" in history_lines(done)[0]
    assert done.returncode == 1


def test_a_change_made_in_a_merge_commit_is_judged(run_cli: Run, repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "withdraw")
    replace_in(repo, ADDED_VALUE, "status: active", "status: withdrawn")
    commit_snapshot(repo, "Withdraw oakfield-2026-003", "2026-11-23", "Ben Sample")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "withdraw")
    replace_in(repo, BEHAVIOUR, "attendance_percent: 88", "attendance_percent: 95")  # slipped into the merge
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Merge branch withdraw", date="2026-11-24", author="Cal Person")
    done = run_cli("check", "--today", TODAY, cwd=repo)
    line, column = line_of(repo, BEHAVIOUR, "attendance_percent: 95")
    assert history_lines(done) == [
        f"{BEHAVIOUR}:{line}:{column + len('attendance_percent: ')}: error [history-reviews-append-only] In commit "
        f'{head(repo)} by Cal Person on 2026-11-24 ("Merge branch withdraw"): reviews[0] (date: 2026-10-16) was '
        f"changed: reviews[0].attendance_percent: 88 → 95. {message('history-reviews-append-only')} "
        "(behaviour.review)"], done.stdout
    assert done.returncode == 1


@pytest.mark.parametrize("date", ["2026-10-01", "2026-10-16"])
def test_a_past_review_rewritten_is_found_whatever_date_the_commit_claims(run_cli: Run, repo: Path,
                                                                          date: str) -> None:
    replace_in(repo, BEHAVIOUR, "attendance_percent: 88", "attendance_percent: 95")
    commit_snapshot(repo, "Update attendance", date, "Cal Person")  # dated before the review, or on its day
    done = run_cli("check", "--today", TODAY, cwd=repo)
    assert rules_of(done) == ["history-reviews-append-only"], done.stdout
    assert done.returncode == 1


def test_history_of_a_copied_record_starts_with_its_own_creation(run_cli: Run, repo: Path) -> None:
    new_placement(repo, with_objectives=True)  # a copy of oakfield-2026-001 with its own id
    commit_snapshot(repo, "Add oakfield-2026-004, copied from oakfield-2026-001", "2026-11-23", "Ann Example")
    done = run_cli("history", "oakfield-2026-004", cwd=repo)
    assert done.stdout == (
        f"History of oakfield-2026-004 ({NEW_PLACEMENT}), oldest first: 1 commit.\n"
        "\n"
        f"2026-11-23 {head(repo)} Ann Example: Add oakfield-2026-004, copied from oakfield-2026-001\n"
        "  created\n")
    assert done.returncode == 0
