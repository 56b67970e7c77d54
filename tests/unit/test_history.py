"""History rules and record timelines over real git repositories built in temporary folders.

Each test copies the example register's records/ into a temporary folder,
commits it with a fixed author and date, makes the change under test (a
commit, or a change left on disk), and checks it with the repository's own
policy pack.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ap_lint.git import runner
from ap_lint.checker import Checker, CheckOptions, CheckResult
from ap_lint.errors import GitError
from ap_lint.findings import Finding
from ap_lint.git.diff import FieldChange, diff_values, show
from ap_lint.git.runner import Repository, commit_snapshot
from ap_lint.git.timeline import timeline
from tests.conftest import checker_for

REPO_ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"
BEHAVIOUR = "records/placements/oakfield/oakfield-2026-001.yaml"
MEDICAL = "records/placements/oakfield/oakfield-2026-002.yaml"
ADDED_VALUE = "records/placements/oakfield/oakfield-2026-003.yaml"
UNREGISTERED = "records/placements/riverside/riverside-2026-002.yaml"
NEW_PLACEMENT = "records/placements/oakfield/oakfield-2026-004.yaml"


@pytest.fixture(scope="module")
def checker() -> Checker:
    return checker_for(REPO_ROOT)


@pytest.fixture
def repo(register_copy: Path) -> Path:
    """The example register, committed once on 2026-10-20 by Ann Example."""
    commit_snapshot(register_copy, "Register as at October", "2026-10-20", "Ann Example")
    return register_copy


def git(root: Path, *args: str) -> str:
    identity = {f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER")
                for what, value in (("NAME", "Ann Example"), ("EMAIL", "ann.example@example.invalid"),
                                    ("DATE", "2026-11-28T12:00:00+00:00"))}
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True,
                          env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, **identity})
    return done.stdout.strip()


def short(root: Path, revision: str = "HEAD") -> str:
    return git(root, "rev-parse", revision)[:7]


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} is not in {relative}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def new_placement_text(root: Path, with_objectives: bool) -> str:
    """A new behaviour placement made from oakfield-2026-001, with or without its objectives."""
    text = (root / BEHAVIOUR).read_text("utf-8").replace("oakfield-2026-001", "oakfield-2026-004")
    text = text.replace("CRST-P-10482", "CRST-P-10999")
    if not with_objectives:
        text = text[:text.index("objectives:")] + text[text.index("timetable:"):]
    return text


def run_check(checker: Checker, root: Path, since: str | None = None) -> CheckResult:
    return checker.check(CheckOptions(root=root, today=TODAY, since=since))


def history_findings(result: CheckResult) -> list[Finding]:
    return [f for f in result.findings if f.rule.startswith("history-")]


def position(root: Path, relative: str, snippet: str) -> tuple[int, int]:
    """Line and column (1-based) where ``snippet`` first appears in the file."""
    for number, line in enumerate((root / relative).read_text("utf-8").split("\n"), start=1):
        if snippet in line:
            return number, line.index(snippet) + 1
    raise AssertionError(f"{snippet!r} is not in {relative}")


def rule_message(rule_id: str, **values: str) -> str:
    """The rule's message as the engine renders it, from the rule file (``{file.id}`` and the like filled in)."""
    text = yaml.safe_load((REPO_ROOT / "rules" / "checks" / f"{rule_id}.yaml").read_text("utf-8"))["message"]
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


# --- honest changes -----------------------------------------------------------------------------------------------


def test_the_example_register_committed_once_has_no_history_finding(checker: Checker, repo: Path) -> None:
    result = run_check(checker, repo)
    assert history_findings(result) == []
    assert result.notes == []


def test_a_new_review_and_a_placement_ended_through_its_status_are_honest(checker: Checker, repo: Path) -> None:
    edit(repo, BEHAVIOUR, "reintegration:", "  - date: 2026-11-27\n    attendance_percent: 95\n"
         "    progress: Attending every session and completing the English and maths work set each week.\n"
         "    decision: continue\nreintegration:")
    commit_snapshot(repo, "Record the late November review", "2026-11-27", "Ben Sample")
    edit(repo, MEDICAL, "status: active", "status: completed\nended:\n  date: 2026-11-27\n  outcome: reintegrated")
    commit_snapshot(repo, "End oakfield-2026-002", "2026-11-27", "Ben Sample")
    assert history_findings(run_check(checker, repo, since="HEAD~2")) == []
    assert history_findings(run_check(checker, repo)) == []


def test_a_review_corrected_in_the_pull_request_that_adds_it_is_no_finding(checker: Checker, repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "review")
    edit(repo, BEHAVIOUR, "reintegration:", "  - date: 2026-11-27\n    attendance_percent: 59\n"
         "    progress: Attending every session and completing the English and maths work set each week.\n"
         "    decision: continue\nreintegration:")
    commit_snapshot(repo, "Record the late November review", "2026-11-27", "Ben Sample")
    edit(repo, BEHAVIOUR, "attendance_percent: 59", "attendance_percent: 95")
    commit_snapshot(repo, "Correct its attendance", "2026-11-27", "Ben Sample")
    assert history_findings(run_check(checker, repo, since="main")) == []
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge the review", "review")
    assert history_findings(run_check(checker, repo)) == []


def test_a_committed_review_corrected_on_the_main_line_is_a_finding_whatever_the_dates(checker: Checker,
                                                                                       repo: Path) -> None:
    edit(repo, BEHAVIOUR, "attendance_percent: 93", "attendance_percent: 94")
    commit_snapshot(repo, "Correct the review of 2026-11-20", "2026-11-20", "Ann Example")  # on the review's day
    found = history_findings(run_check(checker, repo))
    assert [(f.rule, f.clause, f.path_text) for f in found] == [
        ("history-reviews-append-only", "behaviour.review", "reviews[1].attendance_percent")]
    assert ": reviews[1] (date: 2026-11-20) was changed: reviews[1].attendance_percent: 93 → 94. " in found[0].message


def test_a_record_moved_to_another_folder_is_deleted_from_its_path(checker: Checker, repo: Path) -> None:
    moved = "records/placements/riverside/oakfield-2026-003.yaml"
    git(repo, "mv", ADDED_VALUE, moved)
    commit_snapshot(repo, "Move a placement", "2026-11-21", "Ann Example")
    found = history_findings(run_check(checker, repo))
    assert [(f.file, f.line, f.column, f.rule) for f in found] == [
        (ADDED_VALUE, 1, 1, "history-placement-never-deleted")]
    assert found[0].message.startswith(f'This file was deleted in commit {short(repo)} by Ann Example on 2026-11-21 '
                                       f'("Move a placement"). Restore it with: git checkout {short(repo)}^ -- ')


# --- deletions ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("relative", "rule"), [
    (ADDED_VALUE, "history-placement-never-deleted"),
    ("records/providers/northvale-college.yaml", "history-provider-never-deleted"),
    ("records/schools/riverside.yaml", "history-school-never-deleted"),
])
def test_a_deleted_record_is_an_error_naming_the_commit(checker: Checker, repo: Path, relative: str,
                                                       rule: str) -> None:
    git(repo, "rm", "-q", relative)
    commit_snapshot(repo, "Tidy the register", "2026-11-25", "Ben Sample")
    found = [f for f in history_findings(run_check(checker, repo)) if f.rule == rule]
    commit = short(repo)
    assert [(f.file, f.line, f.column, f.rule, f.severity, f.clause) for f in found] == [
        (relative, 1, 1, rule, "error", None)]
    assert found[0].message == (
        f'This file was deleted in commit {commit} by Ben Sample on 2026-11-25 ("Tidy the register"). '
        f"Restore it with: git checkout {commit}^ -- '{relative}'. {rule_message(rule)}")
    assert found[0].record == Path(relative).stem


def test_a_deleted_record_that_was_restored_is_no_longer_reported(checker: Checker, repo: Path) -> None:
    git(repo, "rm", "-q", ADDED_VALUE)
    commit_snapshot(repo, "Remove a placement", "2026-11-25", "Ben Sample")
    git(repo, "checkout", "HEAD^", "--", ADDED_VALUE)
    edit(repo, ADDED_VALUE, "status: active", "status: withdrawn")
    commit_snapshot(repo, "Restore it and withdraw it instead", "2026-11-26", "Ben Sample")
    assert history_findings(run_check(checker, repo)) == []


def test_a_review_rewritten_before_the_file_was_deleted_is_still_reported(checker: Checker, repo: Path) -> None:
    edit(repo, BEHAVIOUR, "attendance_percent: 88", "attendance_percent: 95")
    commit_snapshot(repo, "Update attendance", "2026-11-24", "Cal Person")
    git(repo, "rm", "-q", BEHAVIOUR)
    commit_snapshot(repo, "Remove the placement", "2026-11-25", "Cal Person")
    found = history_findings(run_check(checker, repo))
    assert sorted((f.file, f.line, f.column, f.rule, f.path_text) for f in found) == [
        (BEHAVIOUR, 1, 1, "history-placement-never-deleted", ""),
        (BEHAVIOUR, 1, 1, "history-reviews-append-only", "reviews[0].attendance_percent")]


def test_a_deletion_not_committed_yet_is_an_error(checker: Checker, repo: Path) -> None:
    (repo / ADDED_VALUE).unlink()
    found = history_findings(run_check(checker, repo))
    assert [(f.file, f.line, f.column, f.rule, f.clause) for f in found] == [
        (ADDED_VALUE, 1, 1, "history-placement-never-deleted", None)]
    assert found[0].message.startswith("This file is deleted (not committed yet). Restore it with: "
                                       f"git checkout HEAD -- '{ADDED_VALUE}'. A placement is never deleted")


# --- terms from the start -----------------------------------------------------------------------------------------


def test_objectives_added_after_the_first_version_are_an_error(checker: Checker, repo: Path) -> None:
    (repo / NEW_PLACEMENT).write_text(new_placement_text(repo, with_objectives=False), "utf-8")
    commit_snapshot(repo, "Add placement oakfield-2026-004", "2026-11-23", "Ann Example")
    first = short(repo)
    (repo / NEW_PLACEMENT).write_text(new_placement_text(repo, with_objectives=True), "utf-8")
    commit_snapshot(repo, "Add its objectives", "2026-11-24", "Ann Example")
    line, column = position(repo, NEW_PLACEMENT, "- Attend every timetabled session")
    expected = (
        f'The first version of this record, commit {first} by Ann Example on 2026-11-23 ("Add placement '
        f'oakfield-2026-004"), had no objectives (added later: commit {short(repo)} by Ann Example on 2026-11-24 '
        '("Add its objectives")). '
        + "The policy requires the objectives, days and times of attendance and the duration of a behaviour "
        "placement to be set out from the start. Adding them later does not show they were agreed when the "
        "placement was made: if they were, say so and when in a new review's progress note, and ask for a waiver of "
        "this rule for oakfield-2026-004; if not, review the placement with the pupil's family now.")
    found = history_findings(run_check(checker, repo))
    assert [(f.file, f.line, f.column, f.rule, f.clause, f.path_text, f.message) for f in found] == [
        (NEW_PLACEMENT, line, column, "history-behaviour-terms-from-start", "behaviour.terms", "objectives",
         expected)]
    # a pull request that adds the objectives to a placement first committed before it
    found = history_findings(run_check(checker, repo, since="HEAD~1"))
    assert [(f.file, f.line, f.column, f.rule, f.path_text) for f in found] == [
        (NEW_PLACEMENT, line, column, "history-behaviour-terms-from-start", "objectives")]
    assert found[0].message.startswith(
        f'The first version of this record, commit {first} by Ann Example on 2026-11-23 ("Add placement '
        'oakfield-2026-004"), had no objectives (added later: the changes since HEAD~1). ')
    # a pull request that creates the placement is judged as it leaves it: it has its objectives
    assert history_findings(run_check(checker, repo, since="HEAD~2")) == []


def test_objectives_added_on_disk_to_a_committed_record_that_lacked_them(checker: Checker, repo: Path) -> None:
    (repo / NEW_PLACEMENT).write_text(new_placement_text(repo, with_objectives=False), "utf-8")
    commit_snapshot(repo, "Add placement oakfield-2026-004", "2026-11-23", "Ann Example")
    (repo / NEW_PLACEMENT).write_text(new_placement_text(repo, with_objectives=True), "utf-8")
    found = history_findings(run_check(checker, repo))
    assert [(f.rule, f.path_text) for f in found] == [("history-behaviour-terms-from-start", "objectives")]
    assert "had no objectives (added later: changes not committed yet). " in found[0].message


def test_a_first_version_missing_several_terms_names_them_all(checker: Checker, repo: Path) -> None:
    text = new_placement_text(repo, with_objectives=False).replace("planned_end_date: 2027-02-12\n", "")
    (repo / NEW_PLACEMENT).write_text(text, "utf-8")
    commit_snapshot(repo, "Add placement oakfield-2026-004", "2026-11-23", "Ann Example")
    found = history_findings(run_check(checker, repo))
    assert [f.path_text for f in found] == ["objectives"]
    assert ", had no objectives or planned_end_date. " in found[0].message
    found = history_findings(run_check(checker, repo, since="HEAD~1"))
    assert [f.path_text for f in found] == ["objectives"]
    assert found[0].message.startswith("The first version of this record, in the changes since HEAD~1, has no "
                                       "objectives or planned_end_date. ")


def test_a_placement_whose_first_version_had_its_terms_passes(checker: Checker, repo: Path) -> None:
    (repo / NEW_PLACEMENT).write_text(new_placement_text(repo, with_objectives=True), "utf-8")
    commit_snapshot(repo, "Add placement oakfield-2026-004", "2026-11-23", "Ann Example")
    assert history_findings(run_check(checker, repo, since="HEAD~1")) == []


def test_a_medical_placement_is_not_held_to_the_behaviour_terms(checker: Checker, repo: Path) -> None:
    medical = "records/placements/oakfield/oakfield-2026-005.yaml"
    text = (repo / MEDICAL).read_text("utf-8").replace("oakfield-2026-002", "oakfield-2026-005")
    (repo / medical).write_text(text.replace("planned_end_date: 2027-03-25\n", ""), "utf-8")
    commit_snapshot(repo, "Add a medical placement with no end date yet", "2026-11-23", "Ann Example")
    (repo / medical).write_text(text, "utf-8")
    commit_snapshot(repo, "Add its end date", "2026-11-24", "Ann Example")
    assert [f.rule for f in history_findings(run_check(checker, repo))] == []


def test_a_new_file_not_committed_yet_is_checked_as_a_first_version(checker: Checker, repo: Path) -> None:
    (repo / NEW_PLACEMENT).write_text(new_placement_text(repo, with_objectives=False), "utf-8")
    found = history_findings(run_check(checker, repo))
    assert [(f.file, f.rule, f.path_text) for f in found] == [
        (NEW_PLACEMENT, "history-behaviour-terms-from-start", "objectives")]
    assert found[0].message.startswith("The first version of this record (not committed yet) has no objectives. ")


# --- reviews and dates --------------------------------------------------------------------------------------------


def test_a_rewritten_past_review_is_an_error_saying_what_changed(checker: Checker, repo: Path) -> None:
    edit(repo, BEHAVIOUR, "attendance_percent: 88", "attendance_percent: 95")
    commit_snapshot(repo, "Update attendance", "2026-11-24", "Cal Person")
    found = history_findings(run_check(checker, repo))
    line, column = position(repo, BEHAVIOUR, "attendance_percent: 95")
    column += len("attendance_percent: ")
    assert [(f.file, f.line, f.column, f.rule, f.clause, f.path_text) for f in found] == [
        (BEHAVIOUR, line, column, "history-reviews-append-only", "behaviour.review", "reviews[0].attendance_percent")]
    assert found[0].message == (
        f'In commit {short(repo)} by Cal Person on 2026-11-24 ("Update attendance"): reviews[0] (date: 2026-10-16) '
        f"was changed: reviews[0].attendance_percent: 88 → 95. {rule_message('history-reviews-append-only')}")


def test_a_removed_past_review_is_an_error(checker: Checker, repo: Path) -> None:
    text = (repo / BEHAVIOUR).read_text("utf-8")
    start = text.index("  - date: 2026-10-16")
    (repo / BEHAVIOUR).write_text(text[:start] + text[text.index("  - date: 2026-11-20"):], "utf-8")
    commit_snapshot(repo, "Remove the first review", "2026-11-24", "Cal Person")
    found = history_findings(run_check(checker, repo))
    line, column = position(repo, BEHAVIOUR, "- date: 2026-11-20")
    assert [(f.line, f.column, f.rule, f.path_text) for f in found] == [
        (line, column, "history-reviews-append-only", "reviews")]
    assert found[0].message.startswith(f'In commit {short(repo)} by Cal Person on 2026-11-24 ("Remove the first '
                                       'review"): reviews[0] (date: 2026-10-16) was removed. ')


def test_a_review_inserted_before_the_others_is_not_a_rewrite(checker: Checker, repo: Path) -> None:
    edit(repo, BEHAVIOUR, "  - date: 2026-10-16", "  - date: 2026-10-02\n    attendance_percent: 80\n"
         "    progress: A first check-in after two weeks, attending most sessions.\n    decision: continue\n"
         "  - date: 2026-10-16")
    commit_snapshot(repo, "Add the missing early review", "2026-11-24", "Cal Person")
    assert history_findings(run_check(checker, repo)) == []


def test_a_back_dated_approval_is_an_error_naming_the_commit(checker: Checker, repo: Path) -> None:
    edit(repo, UNREGISTERED, "  date: 2026-07-06", "  date: 2026-06-30")
    commit_snapshot(repo, "Tidy approval dates", "2026-11-22", "Cal Person")
    found = history_findings(run_check(checker, repo))
    line, column = position(repo, UNREGISTERED, "2026-06-30")
    assert [(f.file, f.line, f.column, f.rule, f.clause, f.path_text) for f in found] == [
        (UNREGISTERED, line, column, "history-ceo-approval-date-fixed", "unregistered.approval", "ceo_approval.date")]
    assert found[0].message == (
        f'In commit {short(repo)} by Cal Person on 2026-11-22 ("Tidy approval dates"): '
        "ceo_approval.date: 2026-07-06 → 2026-06-30. "
        + rule_message("history-ceo-approval-date-fixed", **{"file.id": "riverside-2026-002"}))


def test_a_waiver_covers_a_corrected_approval_date(checker: Checker, repo: Path) -> None:
    edit(repo, UNREGISTERED, "  date: 2026-07-06", "  date: 2026-06-30")
    (repo / "records/waivers/riverside-approval-date-2026.yaml").write_text(
        "id: riverside-approval-date-2026\nrule: history-ceo-approval-date-fixed\nrecord: riverside-2026-002\n"
        "reason: The approval email is dated 30 June 2026; 6 July was the day it was filed.\n"
        "approved_by:\n  name: Dr Avery Sampleton\napproved_on: 2026-11-22\nexpires_on: 2027-07-31\n", "utf-8")
    commit_snapshot(repo, "Correct the approval date, with a waiver", "2026-11-22", "Cal Person")
    found = history_findings(run_check(checker, repo, since="HEAD~1"))
    assert [(f.rule, f.waived_by, f.is_waived) for f in found] == [
        ("history-ceo-approval-date-fixed", "riverside-approval-date-2026", True)]


def test_a_removed_approval_is_an_error(checker: Checker, repo: Path) -> None:
    text = (repo / UNREGISTERED).read_text("utf-8")
    start = text.index("ceo_approval:")
    (repo / UNREGISTERED).write_text(text[:start] + text[text.index("status:"):], "utf-8")
    commit_snapshot(repo, "Remove the approval", "2026-11-22", "Cal Person")
    found = [f for f in history_findings(run_check(checker, repo)) if f.rule == "history-ceo-approval-date-fixed"]
    assert [f.path_text for f in found] == ["ceo_approval.date"]
    assert ": ceo_approval.date removed (was 2026-07-06). " in found[0].message


def test_a_moved_decision_date_of_a_behaviour_placement_is_an_error(checker: Checker, repo: Path) -> None:
    edit(repo, BEHAVIOUR, "  date: 2026-09-03", "  date: 2026-08-28")
    found = history_findings(run_check(checker, repo))
    assert [(f.rule, f.clause, f.path_text) for f in found] == [
        ("history-decision-date-fixed", "behaviour.direction", "decision.date")]
    assert found[0].message.startswith("In changes not committed yet: decision.date: 2026-09-03 → 2026-08-28. ")


# --- the range read -----------------------------------------------------------------------------------------------


def test_since_reads_only_the_commits_after_the_revision(checker: Checker, repo: Path) -> None:
    edit(repo, UNREGISTERED, "  date: 2026-07-06", "  date: 2026-06-30")
    commit_snapshot(repo, "Tidy approval dates", "2026-11-22", "Cal Person")
    edit(repo, MEDICAL, "status: active", "status: completed\nended:\n  date: 2026-11-27\n  outcome: reintegrated")
    commit_snapshot(repo, "End oakfield-2026-002", "2026-11-27", "Ben Sample")
    assert history_findings(run_check(checker, repo, since="HEAD~1")) == []
    assert [f.rule for f in history_findings(run_check(checker, repo, since="HEAD~2"))] == [
        "history-ceo-approval-date-fixed"]
    assert [f.rule for f in history_findings(run_check(checker, repo))] == ["history-ceo-approval-date-fixed"]


def test_an_unknown_since_revision_is_a_git_error(checker: Checker, repo: Path) -> None:
    with pytest.raises(GitError, match="git does not know the revision 'no-such-branch'"):
        run_check(checker, repo, since="no-such-branch")


def test_outside_git_the_history_checks_are_skipped_with_a_note(checker: Checker, register_copy: Path) -> None:
    result = run_check(checker, register_copy)
    assert history_findings(result) == []
    assert result.notes == ["history checks skipped: not a git repository"]


def test_a_repository_with_no_commit_checks_the_files_on_disk_as_first_versions(checker: Checker,
                                                                                register_copy: Path) -> None:
    git(register_copy, "init", "-q")
    (register_copy / NEW_PLACEMENT).write_text(new_placement_text(register_copy, with_objectives=False), "utf-8")
    found = history_findings(run_check(checker, register_copy))
    assert [(f.file, f.rule) for f in found] == [(NEW_PLACEMENT, "history-behaviour-terms-from-start")]


def test_a_register_in_a_folder_of_a_larger_repository(checker: Checker, tmp_path: Path) -> None:
    register = tmp_path / "repo" / "ap-register"
    shutil.copytree(REPO_ROOT / "records", register / "records")
    commit_snapshot(tmp_path / "repo", "Register", "2026-10-20", "Ann Example")
    git(register, "rm", "-q", ADDED_VALUE)
    commit_snapshot(tmp_path / "repo", "Remove a placement", "2026-11-25", "Ben Sample")
    found = history_findings(run_check(checker, register, since="HEAD~1"))
    assert [(f.file, f.line, f.column, f.rule) for f in found] == [
        (ADDED_VALUE, 1, 1, "history-placement-never-deleted")]


def test_a_shallow_clone_does_not_take_its_oldest_commit_for_first_versions(checker: Checker, repo: Path,
                                                                           tmp_path: Path) -> None:
    (repo / NEW_PLACEMENT).write_text(new_placement_text(repo, with_objectives=False), "utf-8")
    commit_snapshot(repo, "Add placement oakfield-2026-004", "2026-11-23", "Ann Example")
    (repo / NEW_PLACEMENT).write_text(new_placement_text(repo, with_objectives=True), "utf-8")
    commit_snapshot(repo, "Add its objectives", "2026-11-24", "Ann Example")
    assert [f.rule for f in history_findings(run_check(checker, repo))] == ["history-behaviour-terms-from-start"]
    for depth, boundary in (("1", "HEAD"), ("2", "HEAD~1")):  # the boundary is the added file, or before it
        clone = tmp_path / f"clone-{depth}"
        git(tmp_path, "clone", "-q", "--depth", depth, repo.as_uri(), str(clone))
        result = run_check(checker, clone)
        assert history_findings(result) == []
        assert result.notes == [
            f"history checks: this is a shallow clone, so history before commit {short(clone, boundary)} was not "
            "read and first versions older than it were not checked (fetch it with: git fetch --unshallow)."]


def test_the_history_is_read_in_one_pass_whatever_its_length(checker: Checker, repo: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args: list[str], *rest: object, **options: object) -> object:
        if args and args[0] == "git":
            calls.append(args)
        return real_run(args, *rest, **options)  # type: ignore[call-overload]

    def git_calls() -> list[str]:
        calls.clear()
        monkeypatch.setattr(runner.subprocess, "run", counting_run)
        run_check(checker, repo)
        monkeypatch.undo()
        return [next(a for a in args[1:] if not a.startswith("-") and "=" not in a) for args in calls]

    few = git_calls()
    for day in range(21, 27):
        for relative in (MEDICAL, BEHAVIOUR, UNREGISTERED):
            with (repo / relative).open("a", encoding="utf-8") as stream:
                stream.write(f"# checked on 2026-11-{day}\n")
        commit_snapshot(repo, f"Check on 2026-11-{day}", f"2026-11-{day}", "Ann Example")
    assert git_calls() == few == ["rev-parse", "log", "cat-file", "diff", "ls-files"]


# --- what changed, in words ---------------------------------------------------------------------------------------


def test_diff_values_names_each_changed_field() -> None:
    before = {"status": "active", "reviews": [{"date": "2026-10-16"}], "decision": {"date": "2026-09-03"}}
    after = {"status": "completed", "reviews": [{"date": "2026-10-16"}, {"date": "2026-11-20"}],
             "decision": {"date": "2026-08-28"}, "ended": {"date": "2026-12-18", "outcome": "reintegrated"}}
    assert [c.text for c in diff_values(before, after)] == [
        "status: active → completed",
        "reviews[1] added",
        "decision.date: 2026-09-03 → 2026-08-28",
        "ended.date added: 2026-12-18",
        "ended.outcome added: reintegrated",
    ]


def test_diff_values_matches_list_items_rather_than_positions() -> None:
    before = {"objectives": ["Attend", "Complete work"]}
    after = {"objectives": ["Arrive on time", "Attend", "Complete all work"]}
    assert [c.text for c in diff_values(before, after)] == [
        "objectives[0] added", "objectives[2]: Complete work → Complete all work"]
    assert [c.text for c in diff_values(after, before)] == [
        "objectives[0] removed", "objectives[1]: Complete all work → Complete work"]


def test_removed_fields_say_what_they_held() -> None:
    assert [c.text for c in diff_values({"a": {"b": "x"}, "c": [1]}, {})] == ["a removed", "c removed"]
    assert FieldChange(("a", "b"), "removed", before="2026-07-06").text == "a.b removed (was 2026-07-06)"


def test_show_keeps_values_short_and_on_one_line() -> None:
    assert show("A  long\nvalue " * 20).endswith("…") and len(show("x" * 200)) == 60
    assert (show(None), show(True), show(93), show([1, 2])) == ("(none)", "true", "93", "[1, 2]")


# --- a record's timeline ------------------------------------------------------------------------------------------


def test_the_timeline_lists_commits_and_changes_on_disk_and_a_moved_file_starts_at_its_move(repo: Path) -> None:
    edit(repo, ADDED_VALUE, "status: active", "status: completed")
    commit_snapshot(repo, "Complete it", "2026-11-21", "Ben Sample")
    entries = timeline(Repository.open(repo), ADDED_VALUE, TODAY)
    assert [(e.commit.short, e.commit.author, e.commit.date, e.commit.subject, e.event, [c.text for c in e.changes])
            for e in entries] == [
        (short(repo, "HEAD~1"), "Ann Example", "2026-10-20", "Register as at October", "created", []),
        (short(repo), "Ben Sample", "2026-11-21", "Complete it", "changed", ["status: active → completed"]),
    ]
    moved = "records/placements/riverside/oakfield-2026-003.yaml"
    git(repo, "mv", ADDED_VALUE, moved)
    commit_snapshot(repo, "Move it", "2026-11-22", "Ben Sample")
    edit(repo, moved, "status: completed", "status: withdrawn")
    entries = timeline(Repository.open(repo), moved, TODAY)  # a path is a record's identity: no rename detection
    assert [(e.commit.short, e.event, [c.text for c in e.changes], e.as_dict()["moved_from"]) for e in entries] == [
        (short(repo), "created", [], None),
        ("", "changed", ["status: completed → withdrawn"], None),
    ]


def test_commit_snapshot_commits_with_the_author_and_date_given(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "note.yaml").write_text("id: note\n", "utf-8")
    commit_snapshot(tmp_path, "First", "2026-01-02", "Dee Example")
    assert git(tmp_path, "log", "--format=%an <%ae> %aI %cI %s") == (
        "Dee Example <dee.example@example.invalid> 2026-01-02T12:00:00+00:00 2026-01-02T12:00:00+00:00 First")


def test_a_history_rule_whose_condition_reads_a_related_record_judges_by_it(tmp_path: Path, repo: Path) -> None:
    """A history rule's condition is asked with the related records it names (see HistoryChecker.activation):
    one that reads the placement's school fires at that school only, and its message still sees everything."""
    pack = tmp_path / "pack"
    for folder in ("rules", "schemas", "policy"):
        shutil.copytree(REPO_ROOT / folder, pack / folder)
    (pack / "rules" / "checks" / "history-oakfield-terms-from-start.yaml").write_text("""\
id: history-oakfield-terms-from-start
title: A placement made by Oakfield sets out its objectives from the start
clause: behaviour.terms
severity: error
applies_to: placement
when: school.id == 'oakfield' && record.reason != 'behaviour'
history:
  check: first-version-has
  fields: [objectives]
message: "{school.name} at {provider.name}: set out the objectives from the start."
why: A test of conditions that read a related record.
examples:
  - name: a medical placement at Oakfield whose objectives came later
    expect: fail
    subject: placements/oakfield/oakfield-2026-002
    history:
      - unset: [objectives]
      - set: {objectives: [Attend every timetabled session on time.]}
    at: objectives
  - name: a behaviour placement is left to the behaviour rule
    expect: pass
    subject: placements/oakfield/oakfield-2026-001
    history:
      - unset: [objectives]
      - set: {objectives: [Attend every timetabled session on time.]}
""", "utf-8")
    checker = Checker.for_root(repo, pack)
    oakfield = "records/placements/oakfield/oakfield-2026-009.yaml"
    riverside = "records/placements/riverside/riverside-2026-009.yaml"
    medical = (repo / MEDICAL).read_text("utf-8")
    (repo / oakfield).write_text(medical.replace("oakfield-2026-002", "oakfield-2026-009"), "utf-8")
    other = (repo / UNREGISTERED).read_text("utf-8").replace("riverside-2026-002", "riverside-2026-009")
    (repo / riverside).write_text(other, "utf-8")
    for path in (oakfield, riverside):
        text = (repo / path).read_text("utf-8")
        if "objectives:" in text:
            text = text[:text.index("objectives:")] + text[text.index("timetable:"):]
        (repo / path).write_text(text, "utf-8")
    commit_snapshot(repo, "Add two placements without objectives", "2026-11-23", "Ann Example")
    school = yaml.safe_load((repo / "records/schools/oakfield.yaml").read_text("utf-8"))["name"]
    provider_id = yaml.safe_load((repo / oakfield).read_text("utf-8"))["provider"]
    provider = yaml.safe_load((repo / "records/providers" / f"{provider_id}.yaml").read_text("utf-8"))["name"]
    # every placement the condition holds for, read from the files: at Oakfield, not for behaviour, no objectives
    expected = []
    for path in sorted((repo / "records" / "placements").glob("*/*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        if data["school"] == "oakfield" and data["reason"] != "behaviour" and not data.get("objectives"):
            expected.append((path.relative_to(repo).as_posix(), "behaviour.terms", "objectives"))
    assert (oakfield, "behaviour.terms", "objectives") in expected
    assert not any(file.startswith("records/placements/riverside/") for file, _, _ in expected)
    found = [f for f in run_check(checker, repo).findings if f.rule == "history-oakfield-terms-from-start"]
    assert [(f.file, f.clause, f.path_text) for f in found] == expected
    assert all(f.line >= 1 for f in found)
    mine = next(f for f in found if f.file == oakfield)
    assert mine.message.endswith(f"{school} at {provider}: set out the objectives from the start.")
