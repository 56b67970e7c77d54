"""The data team's first hour: a placement copied and edited by hand, each common mistake made once.

Every mistake must give a finding on the edited file, on the line that is wrong,
whose message says what to write, and no error on any other file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"
ORIGINAL = "records/placements/oakfield/oakfield-2026-001.yaml"
COPY = "records/placements/oakfield/oakfield-2026-009.yaml"
Run = Callable[..., "subprocess.CompletedProcess[str]"]


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Test Editor", "-c", "user.email=editor@example.org",
                    "-c", "commit.gpgsign=false", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def register(tmp_path: Path) -> Path:
    """A register with a copy of an example placement, made for another pupil (its id and pupil changed)."""
    root = tmp_path / "register"
    shutil.copytree(REPO_ROOT / "records", root / "records")
    text = (root / ORIGINAL).read_text("utf-8")
    text = text.replace("id: oakfield-2026-001", "id: oakfield-2026-009").replace("CRST-P-10482", "CRST-P-10999")
    (root / COPY).write_text(text, "utf-8")
    return root


def edit(root: Path, relative: str, old: str, new: str) -> int:
    """Replace the one ``old`` in the file by ``new``; return the line (1-based) it starts on."""
    path = root / relative
    text = path.read_text("utf-8")
    assert text.count(old) >= 1, f"{old!r} is not in {relative}"
    at = text.index(old)
    path.write_text(text[:at] + new + text[at + len(old):], "utf-8")
    return text.count("\n", 0, at) + 1


def findings(run_cli: Run, root: Path, *extra: str) -> list[dict[str, Any]]:
    """The findings of ``ap-lint check --format json`` (a cold check: run_cli's cache folder starts empty)."""
    done = run_cli("check", root, "--today", TODAY, "--format", "json", *extra, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    result: list[dict[str, Any]] = json.loads(done.stdout)["findings"]
    return result


def only_on(found: list[dict[str, Any]], file: str, rule: str, line: int, severity: str = "error") -> str:
    """The message of the one finding of ``rule`` at ``line`` of ``file``; no error elsewhere."""
    elsewhere = [f for f in found if f["file"] != file and f["severity"] == "error"]
    assert elsewhere == []
    mine = [f for f in found if f["file"] == file and f["rule"] == rule]
    assert [(f["line"], f["severity"]) for f in mine] == [(line, severity)], mine
    message: str = mine[0]["message"]
    return message


def test_the_copy_itself_is_clean(run_cli: Run, register: Path) -> None:
    assert [f for f in findings(run_cli, register) if f["severity"] == "error"] == []


def test_a_day_month_year_date_says_the_iso_date(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "start_date: 2026-09-14", "start_date: 14/09/2026")
    message = only_on(findings(run_cli, register), COPY, "schema", line)
    assert "14/09/2026 is 14 September 2026: write 2026-09-14" in message
    assert "UK" in message


def test_a_day_month_year_date_on_the_record_says_the_iso_date(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "  - date: 2026-10-16", "  - date: 16/10/2026")
    message = only_on(findings(run_cli, register), COPY, "schema", line)
    assert "(day/month/year), 16/10/2026 is 16 October 2026: write 2026-10-16." in message


def test_an_unquoted_time_says_the_zero_padded_quoted_time(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, 'start: "09:00"', "start: 9:30")
    message = only_on(findings(run_cli, register), COPY, "yaml-sexagesimal", line)
    assert message.endswith('"09:30".')


def test_a_yes_in_a_field_with_choices_names_the_choices(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "decision: continue", "decision: yes")
    message = only_on(findings(run_cli, register), COPY, "yaml-boolean-word", line)
    assert "'decision' must be one of: continue, extend, reintegrate, end" in message
    assert "quotes" not in message


def test_a_misspelt_field_is_a_spelling_problem_on_its_own_line(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "reviews:", "reveiws:")
    message = only_on(findings(run_cli, register), COPY, "schema", line)
    assert "Did you mean 'reviews'?" in message
    assert "name" not in message and "privacy" not in message


def test_an_unknown_field_in_the_pupil_block_is_a_privacy_problem(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "  year_group: 9", "  year_group: 9\n  surname: Example")
    message = only_on(findings(run_cli, register), COPY, "privacy-unknown-field", line + 1)
    assert "'surname' cannot be recorded about a pupil" in message


def test_one_extra_space_is_named_as_indentation(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "  year_group: 9", "   year_group: 9")
    message = only_on(findings(run_cli, register), COPY, "yaml-indentation", line)
    assert f"Line {line} is indented 3 spaces" in message and "indent it by 2 spaces" in message
    assert "quotes" not in message


def test_one_extra_space_on_a_block_s_first_line_is_found_on_that_line(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "  ref: CRST", "   ref: CRST")
    message = only_on(findings(run_cli, register), COPY, "yaml-indentation", line)
    assert "indent it by 2 spaces" in message


def test_a_value_cut_by_a_comment_is_a_warning_that_says_to_quote_it(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "progress: Settling in well", "progress: Meeting #2 went well")
    message = only_on(findings(run_cli, register), COPY, "yaml-comment-cut", line, "warning")
    assert message.startswith("'Meeting' is all that is stored here")
    assert 'put the whole value in quotes: "Meeting #2 went well' in message


def test_a_comment_set_apart_is_not_reported(run_cli: Run, register: Path) -> None:
    edit(register, COPY, "review_every_weeks: 6", "review_every_weeks: 6  # every half term")
    edit(register, COPY, "status: active", "status: active  # until the spring")
    assert [f for f in findings(run_cli, register) if f["rule"] == "yaml-comment-cut"] == []


def test_notice_after_the_first_day_says_after(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "parents_on: 2026-09-04", "parents_on: 2026-09-16")
    message = only_on(findings(run_cli, register), COPY, "behaviour-parents-notified-in-time", line)
    assert "2 school days after the first day (2026-09-14)" in message
    assert "-2" not in message


def test_a_placement_in_another_school_s_folder_names_the_right_folder(run_cli: Run, register: Path) -> None:
    moved = "records/placements/riverside/oakfield-2026-009.yaml"
    (register / COPY).rename(register / moved)
    message = only_on(findings(run_cli, register), moved, "placement-id-matches-file", 3)
    assert "if it is for Oakfield Academy, move it to records/placements/oakfield/" in message


def test_a_copy_whose_id_was_not_changed_is_blamed_alone(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "id: oakfield-2026-009", "id: oakfield-2026-001")
    found = findings(run_cli, register)
    message = only_on(found, COPY, "placement-id-unique", line)
    assert "change its id to 'oakfield-2026-009'" in message


def test_a_copy_added_by_a_change_is_blamed_though_its_name_comes_first(run_cli: Run, register: Path) -> None:
    git(register, "init", "-q", "-b", "main")
    git(register, "add", ".")
    git(register, "commit", "-q", "-m", "register")
    git(register, "checkout", "-q", "-b", "new-placement")
    copy = "records/placements/oakfield/oakfield-2026-000.yaml"
    text = (register / ORIGINAL).read_text("utf-8").replace("CRST-P-10482", "CRST-P-10998")
    (register / copy).write_text(text, "utf-8")
    git(register, "add", copy)
    git(register, "commit", "-q", "-m", "a new placement")
    found = findings(run_cli, register, "--since", "main")
    assert [(f["file"], f["rule"]) for f in found if f["rule"] == "placement-id-unique"] == [
        (copy, "placement-id-unique")]
    assert not [f for f in found if f["file"] == ORIGINAL and f["severity"] == "error"]
    # a full run, once both are committed, blames one of the two, the same one every time (the later path)
    blamed = [f["file"] for f in findings(run_cli, register) if f["rule"] == "placement-id-unique"]
    assert blamed == [ORIGINAL]


@pytest.mark.parametrize("weeks", ["60", "0"])
def test_a_review_interval_out_of_range_says_what_range_to_write(run_cli: Run, register: Path, weeks: str) -> None:
    line = edit(register, COPY, "review_every_weeks: 6", f"review_every_weeks: {weeks}")
    found = findings(run_cli, register)
    message = only_on(found, COPY, "schema", line)
    assert [(f["column"], f["clause"]) for f in found if f["file"] == COPY and f["rule"] == "schema"] == [
        (21, "behaviour.review")]
    # the value is a whole number already: the message must say what is wrong with it, not ask for one
    assert "whole number" not in message
    assert "review_interval_weeks" in message and "leave it out" in message


WAIVER = "records/waivers/brackenridge-staff-training-2026.yaml"


def test_a_waiver_expiring_before_its_approval_says_to_correct_the_dates(run_cli: Run, register: Path) -> None:
    line = edit(register, WAIVER, "approved_on: 2026-09-01", "approved_on: 2026-09-01")
    edit(register, WAIVER, "expires_on: 2027-07-31", "expires_on: 2026-08-31")
    mine = [f for f in findings(run_cli, register) if f["file"] == WAIVER and f["rule"] == "waiver-approved"]
    assert [f["line"] for f in mine] == [line]
    message = mine[0]["message"]
    # it is approved: the advice must be to correct the dates, not to record an approval
    assert "until it is approved" not in message and "approver's name" not in message
    assert "expires_on" in message and "approved_on" in message


def test_a_decision_dated_after_the_start_says_so_and_does_not_blame_the_name(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "  date: 2026-09-03", "  date: 2026-09-20")
    message = only_on(findings(run_cli, register), COPY, "behaviour-directed-by-principal", line)
    assert "after the start date (2026-09-14)" in message
    assert "decision.date" in message and "start_date" in message
    # the name is right: the message must not ask to correct it
    assert "decision.name" not in message and "decision.by" not in message


@pytest.mark.parametrize(("old", "new"), [("planned_end_date:", "planned_end_data:"),
                                          ("objectives:\n", "objectives: []\nold_objectives:\n")])
def test_terms_missing_from_a_version_not_committed_yet_say_to_add_them_before_committing(
        run_cli: Run, register: Path, old: str, new: str) -> None:
    git(register, "init", "-q", "-b", "main")
    git(register, "add", "records/placements/oakfield/oakfield-2026-001.yaml")
    git(register, "commit", "-q", "-m", "register")
    edit(register, COPY, old, new)
    mine = [f for f in findings(run_cli, register) if f["file"] == COPY
            and f["rule"] == "history-behaviour-terms-from-start"]
    assert len(mine) == 1
    message = mine[0]["message"]
    assert "(not committed yet)" in message
    # nothing is recorded yet: adding the terms before the commit is all that is needed
    assert "add them now, before it is committed there, and nothing more is needed" in message
    assert "waiver" not in message and "family" not in message
    assert (mine[0]["clause"], mine[0]["path"]) == ("behaviour.terms", "objectives" if "[]" in new else
                                                    "planned_end_date")


def test_a_review_dated_before_the_start_is_reported_on_its_date(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "  - date: 2026-10-16", "  - date: 2026-09-10")
    message = only_on(findings(run_cli, register), COPY, "behaviour-reviews-in-order", line)
    assert "before the placement started (2026-09-14)" in message


def test_reviews_out_of_date_order_are_reported_on_the_one_listed_too_late(run_cli: Run, register: Path) -> None:
    edit(register, COPY, "  - date: 2026-10-16", "  - date: 2026-11-27")
    line = edit(register, COPY, "  - date: 2026-11-20", "  - date: 2026-11-20")
    message = only_on(findings(run_cli, register), COPY, "behaviour-reviews-in-order", line)
    assert "oldest first" in message


def test_an_end_before_the_start_says_so_and_no_review_rule_claims_otherwise(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "status: active", "status: completed\nended:\n  date: 2026-09-10\n  outcome: reintegrated")
    found = findings(run_cli, register)
    message = only_on(found, COPY, "placement-ended-after-start", line + 2)
    assert "before it started (2026-09-14)" in message and "ended.date" in message
    assert [f for f in found if f["file"] == COPY and f["rule"] == "behaviour-reviewed-until-end"] == []


def test_an_active_placement_with_an_end_says_to_set_its_status_or_remove_the_end(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "status: active", "status: active\nended:\n  date: 2026-11-27\n  outcome: reintegrated")
    # a block is pointed at by its first field
    message = only_on(findings(run_cli, register), COPY, "placement-status-follows-dates", line + 2)
    assert "status: completed" in message and "remove ended" in message
def one_on(found: list[dict[str, Any]], file: str, rule: str, line: int) -> dict[str, Any]:
    """The one error of ``rule`` at ``line`` of ``file`` (as only_on finds it), whole: its column and clause too."""
    only_on(found, file, rule, line)
    [mine] = [f for f in found if f["file"] == file and f["rule"] == rule]
    return mine


@pytest.mark.parametrize(("old", "new", "column", "clause", "expected"), [
    ("attendance_percent: 88", 'attendance_percent: "88"', 25, "behaviour.review",
     "'attendance_percent' is written in quotes, so it is read as text: write 88 without quotes."),
    ("attendance_percent: 88", "attendance_percent: '92.5'", 25, "behaviour.review",
     "'attendance_percent' is written in quotes, so it is read as text: write 92.5 without quotes."),
    ("year_group: 9", 'year_group: "9"', 15, None,
     "'year_group' is written in quotes, so it is read as text: write 9 without quotes."),
])
def test_a_number_in_quotes_says_to_remove_the_quotes(run_cli: Run, register: Path, old: str, new: str,
                                                      column: int, clause: str | None, expected: str) -> None:
    line = edit(register, COPY, old, new)
    finding = one_on(findings(run_cli, register), COPY, "schema", line)
    assert (finding["column"], finding["clause"], finding["message"]) == (column, clause, expected)


def test_a_flag_in_quotes_says_to_remove_the_quotes(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "  year_group: 9", '  year_group: 9\n  ehc_plan: "true"')
    finding = one_on(findings(run_cli, register), COPY, "schema", line + 1)
    assert (finding["column"], finding["clause"], finding["message"]) == (
        13, None, "'ehc_plan' is written in quotes, so it is read as text: write true without quotes.")


@pytest.mark.parametrize(("new", "below", "column"), [
    ("provider: [hillcrest-learning-centre]", 0, 11),
    ("provider:\n  - hillcrest-learning-centre", 1, 3),
])
def test_a_list_of_one_value_says_to_write_the_value_alone(run_cli: Run, register: Path, new: str, below: int,
                                                          column: int) -> None:
    line = edit(register, COPY, "provider: hillcrest-learning-centre", new)
    finding = one_on(findings(run_cli, register), COPY, "schema", line + below)
    assert (finding["column"], finding["clause"], finding["message"]) == (
        column, None, "'provider' holds a list, but it takes a single value: write hillcrest-learning-centre "
                      "on its own, without square brackets or a dash.")


def test_a_list_of_several_values_says_only_one_is_allowed(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "provider: hillcrest-learning-centre",
                "provider: [hillcrest-learning-centre, brackenridge-farm-skills]")
    finding = one_on(findings(run_cli, register), COPY, "schema", line)
    assert (finding["column"], finding["clause"], finding["message"]) == (
        11, None, "'provider' holds a list of 2 values, but it takes a single value: keep the one that is meant "
                  "and write it on its own, without square brackets or dashes.")


@pytest.mark.parametrize("day", ["saturday", "Monday"])
def test_a_day_that_is_not_a_school_day_says_sessions_are_monday_to_friday(run_cli: Run, register: Path,
                                                                         day: str) -> None:
    line = edit(register, COPY, "  - day: thursday", f"  - day: {day}")
    finding = one_on(findings(run_cli, register), COPY, "schema", line)
    assert (finding["column"], finding["clause"]) == (10, None)
    assert finding["message"] == ("Sessions are held Monday to Friday: write the day as one of monday, tuesday, "
                                  "wednesday, thursday, friday (in lower case).")


def test_a_day_that_is_no_word_keeps_the_day_s_message(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "  - day: thursday", "  - day: 4")
    finding = one_on(findings(run_cli, register), COPY, "schema", line)
    assert finding["message"] == "Write the day in lower case: monday, tuesday, wednesday, thursday or friday."


@pytest.mark.parametrize(("removed", "expected"), [
    ("  year_group: 9\n", "'year_group' (Year group) is missing in pupil: add it."),
    ("  ref: CRST-P-10999\n", "'ref' (Pupil reference) is missing in pupil: add it."),
])
def test_a_field_missing_from_the_pupil_block_is_named(run_cli: Run, register: Path, removed: str,
                                                       expected: str) -> None:
    line = edit(register, COPY, "  ref: CRST-P-10999\n  year_group: 9\n", "  ref: CRST-P-10999\n  year_group: 9\n"
                .replace(removed, ""))
    finding = one_on(findings(run_cli, register), COPY, "schema", line)
    assert (finding["column"], finding["clause"], finding["message"]) == (3, None, expected)


def test_a_pupil_written_as_text_is_still_a_privacy_warning(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "pupil:\n  ref: CRST-P-10999\n  year_group: 9\n", "pupil: Example Pupil\n")
    finding = one_on(findings(run_cli, register), COPY, "schema", line)
    assert finding["column"] == 8
    assert "Never record a pupil's name" in finding["message"]


def test_a_list_item_holding_colon_space_says_to_put_it_in_quotes(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "  - Use the agreed", "  - Note: use the agreed")
    finding = one_on(findings(run_cli, register), COPY, "schema", line)
    assert (finding["column"], finding["clause"]) == (5, "behaviour.terms")
    assert finding["message"] == (
        "This text contains ': ' (after 'Note'), so YAML reads it as a field and its value, not as text. "
        "Put the whole text in quotes: \"Note: use the agreed strategies to manage conflict without leaving "
        "lessons.\".")


PROVIDER = "records/providers/hillcrest-learning-centre.yaml"


def test_a_provider_whose_id_changed_is_not_said_to_have_no_file(run_cli: Run, register: Path) -> None:
    line = edit(register, PROVIDER, "id: hillcrest-learning-centre", "id: hillcrest-learning-center")
    found = findings(run_cli, register)
    assert [f["line"] for f in found if f["file"] == PROVIDER and f["rule"] == "provider-id-matches-file"] == [line]
    lookups = [f for f in found if f["rule"] == "placement-provider-exists"]
    assert {f["file"] for f in lookups} >= {ORIGINAL, COPY}
    for finding in lookups:
        assert finding["line"] == 9 and finding["clause"] is None
        assert "No provider in the register has the id 'hillcrest-learning-centre'" in finding["message"]
        assert "there is no" not in finding["message"] and "correct that record's id back" in finding["message"]


def test_a_school_whose_id_changed_is_not_said_to_have_no_file(run_cli: Run, register: Path) -> None:
    edit(register, "records/schools/oakfield.yaml", "id: oakfield", "id: oakfield-academy")
    found = findings(run_cli, register)
    lookups = [f for f in found if f["rule"] == "placement-school-exists" and f["file"] == COPY]
    assert [(f["line"], f["clause"]) for f in lookups] == [(3, None)], lookups
    assert "No school in the register has the id 'oakfield'" in lookups[0]["message"]
    assert "there is no" not in lookups[0]["message"]


def test_two_sites_with_one_id_are_reported_on_the_provider_at_the_second(run_cli: Run, register: Path) -> None:
    line = edit(register, PROVIDER, "  - id: annexe", "  - id: main")
    found = findings(run_cli, register)
    [finding] = [f for f in found if f["file"] == PROVIDER and f["rule"] == "provider-site-ids-unique"]
    assert (finding["line"], finding["clause"]) == (line, None)
    assert "Two sites of Hillcrest Learning Centre have the id 'main'" in finding["message"]


@pytest.mark.parametrize(("old", "new", "rule", "clause"), [
    ("    received_on: 2026-10-05", "    received_on: 2026-12-05", "provider-safeguarding-dates-not-in-future",
     "provider.safeguarding"),
    ("    trained_on: 2025-09-10", "    trained_on: 2026-12-10", "provider-safeguarding-dates-not-in-future",
     "provider.safeguarding"),
    ("  inspected_on: 2024-05-15", "  inspected_on: 2026-12-15", "provider-inspection-dates-not-in-future",
     "provider.quality"),
    ("    - date: 2026-11-04", "    - date: 2026-12-04", "provider-qa-visit-not-in-future", "provider.quality"),
])
def test_a_provider_date_after_today_is_reported(run_cli: Run, register: Path, old: str, new: str, rule: str,
                                                 clause: str) -> None:
    line = edit(register, PROVIDER, old, new)
    found = findings(run_cli, register)
    [finding] = [f for f in found if f["file"] == PROVIDER and f["rule"] == rule]
    assert (finding["line"], finding["clause"]) == (line, clause)
    assert "after today (2026-11-28)" in finding["message"]
    # the rules that judge how recent these dates are do not count a date that has not come
    assert not any("was received on 2026-12-05" in f["message"] for f in found)


def test_staff_experience_already_recorded_is_not_asked_for(run_cli: Run, register: Path) -> None:
    brackenridge = "records/providers/brackenridge-farm-skills.yaml"
    found = findings(run_cli, register)
    [finding] = [f for f in found if f["file"] == brackenridge and f["rule"] == "provider-staff-recorded"]
    assert finding["clause"] == "provider.staff"
    assert "add under staff: a training list" in finding["message"]
    assert "experience sentence" not in finding["message"]


def test_a_misspelt_waiver_field_leads_with_the_spelling(run_cli: Run, register: Path) -> None:
    waiver = "records/waivers/brackenridge-staff-training-2026.yaml"
    line = edit(register, waiver, "expires_on:", "expiry:")
    [finding] = [f for f in findings(run_cli, register) if f["file"] == waiver and f["severity"] == "error"]
    assert (finding["rule"], finding["line"], finding["clause"]) == ("privacy-unknown-field", line, None)
    assert finding["message"].startswith("'expiry' is not a waiver field. Did you mean 'expires_on'?")
    assert "if the field holds personal data, remove it and do not commit it" in finding["message"]


def test_an_unknown_waiver_field_still_warns_about_personal_data(run_cli: Run, register: Path) -> None:
    waiver = "records/waivers/brackenridge-staff-training-2026.yaml"
    line = edit(register, waiver, "expires_on:", "pupil_surname: Example\nexpires_on:")
    [finding] = [f for f in findings(run_cli, register) if f["file"] == waiver and f["rule"] == "privacy-unknown-field"]
    assert finding["line"] == line
    assert "Did you mean" not in finding["message"] and "never a person" in finding["message"]


def test_a_copy_whose_id_was_not_changed_is_not_told_to_take_the_original_s_file_name(
        run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "id: oakfield-2026-009", "id: oakfield-2026-001")
    found = findings(run_cli, register)
    matches = one_on(found, COPY, "placement-id-matches-file", line)
    assert (matches["clause"], matches["column"]) == (None, 5)
    assert "rename the file to oakfield-2026-001.yaml" not in matches["message"]
    assert "Correct the id to 'oakfield-2026-009'" in matches["message"]
    unique = one_on(found, COPY, "placement-id-unique", line)
    # the placement that has the id already is named by what tells it apart: its school and start date
    assert "(school oakfield, starting 2026-09-14)" in unique["message"]


def test_a_copy_saved_under_a_name_that_is_no_id_is_not_told_to_take_that_name_as_its_id(
        run_cli: Run, register: Path) -> None:
    named = "records/placements/oakfield/oakfield-2026-001 (copy).yaml"
    (register / COPY).unlink()
    git(register, "init", "-q", "-b", "main")
    git(register, "add", "records")
    git(register, "commit", "-q", "-m", "register")  # the copy, made after, is the newer file
    (register / named).write_text((register / "records/placements/oakfield/oakfield-2026-001.yaml").read_text("utf-8"),
                                  "utf-8")
    found = [f for f in findings(run_cli, register) if f["file"] == named and f["severity"] == "error"]
    by_rule = {f["rule"]: f for f in found}
    assert {"placement-id-matches-file", "placement-id-unique"} <= set(by_rule)
    assert all(f["line"] == 2 and f["column"] == 5 for f in by_rule.values() if f["rule"].startswith("placement-id"))
    for rule in ("placement-id-matches-file", "placement-id-unique"):
        message = by_rule[rule]["message"]
        assert "'oakfield-2026-001 (copy)'" not in message, message
        assert "lower-case letters, digits and hyphens" in message


@pytest.mark.parametrize(("original", "copy", "rule"), [
    ("records/providers/hillcrest-learning-centre.yaml", "records/providers/hillcrest-annexe.yaml",
     "provider-id-matches-file"),
    ("records/schools/oakfield.yaml", "records/schools/oakfield-east.yaml", "school-id-matches-file"),
])
def test_a_copied_record_whose_id_was_not_changed_is_not_told_to_take_the_original_s_name(
        run_cli: Run, register: Path, original: str, copy: str, rule: str) -> None:
    git(register, "init", "-q", "-b", "main")
    git(register, "add", "records")
    git(register, "commit", "-q", "-m", "register")  # the copy, made after, is the newer file
    (register / copy).write_text((register / original).read_text("utf-8"), "utf-8")
    found = [f for f in findings(run_cli, register) if f["file"] == copy and f["rule"] == rule]
    id_line = next(n for n, row in enumerate((register / copy).read_text("utf-8").split("\n"), 1) if row.startswith("id:"))
    assert [(f["line"], f["clause"], f["path"]) for f in found] == [(id_line, None, "id")]
    stem = copy.rsplit("/", 1)[1].removesuffix(".yaml")
    original_id = original.rsplit("/", 1)[1].removesuffix(".yaml")
    assert f"Rename the file to {original_id}.yaml" not in found[0]["message"]
    assert f"Correct the id to '{stem}'" in found[0]["message"]


@pytest.mark.parametrize(("old", "new", "column", "says"), [
    ("status: active", "status: \u201cactive\u201d", 9, "curly quotes"),
    ("site: main", "site: main\u00a0", 7, "non-breaking space (U+00A0)"),
    ("  - day: monday", "  - day: mon\u200bday", 10, "zero-width space (U+200B)"),
], ids=["curly quotes", "a non-breaking space", "a zero-width space"])
def test_a_value_pasted_with_characters_you_cannot_see_says_which(run_cli: Run, register: Path, old: str, new: str,
                                                                   column: int, says: str) -> None:
    line = edit(register, COPY, old, new)
    found = one_on(findings(run_cli, register), COPY, "schema", line)
    assert found["column"] == column
    assert says in found["message"] and "type it again" in found["message"]
    # it cites what the field's other mistakes cite
    edit(register, COPY, new, old.replace(": ", ": ZZ "))
    assert found["clause"] == one_on(findings(run_cli, register), COPY, "schema", line)["clause"]
def errors_on(found: list[dict[str, Any]], file: str) -> list[tuple[str, int]]:
    """The rule and line of every error on ``file``."""
    return [(f["rule"], f["line"]) for f in found if f["file"] == file and f["severity"] == "error"]


def test_a_planned_end_before_the_start_is_one_finding(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "planned_end_date: 2027-02-12", "planned_end_date: 2026-02-12")
    found = findings(run_cli, register)
    message = only_on(found, COPY, "behaviour-duration-set-out", line)
    assert "2026-02-12" in message and "after the start date" in message
    # the reintegration and status rules do not judge an end that is before the start
    assert errors_on(found, COPY) == [("behaviour-duration-set-out", line)]
    assert not any("set status: completed" in f["message"] for f in found if f["file"] == COPY)


ADDED_VALUE = "records/placements/oakfield/oakfield-2026-003.yaml"


def copy_added_value(root: Path) -> None:
    """The copy made of the added-value placement oakfield-2026-003 instead."""
    text = (root / ADDED_VALUE).read_text("utf-8")
    text = text.replace("id: oakfield-2026-003", "id: oakfield-2026-009").replace("CRST-P-10533", "CRST-P-10999")
    (root / COPY).write_text(text, "utf-8")


def test_an_added_value_end_before_the_start_is_one_finding(run_cli: Run, register: Path) -> None:
    copy_added_value(register)
    line = edit(register, COPY, "planned_end_date: 2027-07-14", "planned_end_date: 2026-07-14")
    found = findings(run_cli, register)
    only_on(found, COPY, "placement-ends-after-start", line)
    assert errors_on(found, COPY) == [("placement-ends-after-start", line)]


def test_an_added_value_end_in_the_past_says_to_correct_a_mistyped_date(run_cli: Run, register: Path) -> None:
    copy_added_value(register)
    edit(register, COPY, "planned_end_date: 2027-07-14", "planned_end_date: 2026-10-14")
    line = edit(register, COPY, "status: active", "status: active")
    message = only_on(findings(run_cli, register), COPY, "placement-status-follows-dates", line)
    assert "set status: completed" in message
    assert "If planned_end_date was mistyped, correct it" in message


def test_a_review_dated_after_today_is_not_counted_as_late(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "  - date: 2026-11-20", "  - date: 2026-12-20")
    found = findings(run_cli, register)
    only_on(found, COPY, "behaviour-review-not-in-future", line)
    assert [f for f in found if f["file"] == COPY and f["rule"] == "behaviour-reviews-on-time"] == []


def test_a_misspelt_school_is_not_told_to_move_to_a_folder_of_no_school(run_cli: Run, register: Path) -> None:
    line = edit(register, COPY, "school: oakfield", "school: oakfeild")
    found = findings(run_cli, register)
    only_on(found, COPY, "placement-school-exists", line)
    assert not any("records/placements/oakfeild/" in f["message"] for f in found)
    assert errors_on(found, COPY) == [("placement-school-exists", line)]


def test_another_school_in_a_school_s_folder_is_offered_the_folder_s_school_first(run_cli: Run,
                                                                                   register: Path) -> None:
    line = edit(register, COPY, "school: oakfield", "school: riverside")
    message = only_on(findings(run_cli, register), COPY, "placement-id-matches-file", line)
    assert message.index("correct school to 'oakfield'") < message.index("move it to records/placements/riverside/")


GREYSTONE = "records/providers/greystone-independent-school.yaml"


@pytest.mark.parametrize(("old", "new", "rule"), [
    ("    - date: 2026-10-14", "    - date: 2026-12-14", "provider-qa-visit-before-start"),
    ("    received_on: 2026-09-10", "    received_on: 2026-12-10", "provider-assurance-before-start"),
])
def test_a_check_dated_after_today_does_not_count_before_a_planned_start(run_cli: Run, register: Path, old: str,
                                                                         new: str, rule: str) -> None:
    edit(register, GREYSTONE, old, new)
    found = [f for f in findings(run_cli, register) if f["file"] == GREYSTONE and f["rule"] == rule]
    assert len(found) == 1 and "riverside-2026-004" in found[0]["message"]


HILLCREST = "records/providers/hillcrest-learning-centre.yaml"


@pytest.mark.parametrize(("old", "new", "rule", "clause"), [
    ("      completed_on: 2026-09-02", "      completed_on: 2026-12-02", "provider-training-not-in-future",
     "provider.staff"),
    ("    - received_on: 2025-09-30", "    - received_on: 2026-12-30", "provider-earlier-assurances-not-in-future",
     "provider.safeguarding"),
    ("  - signed_on: 2023-07-12", "  - signed_on: 2026-12-12", "provider-earlier-agreements-not-in-future",
     "provider.quality"),
    ("  urn: \"990201\"\n", "  urn: \"990201\"\n  since: 2026-12-01\n", "provider-registration-since-not-in-future",
     "provider.registration"),
], ids=["training", "an earlier assurance", "an earlier agreement", "the registration's start"])
def test_a_provider_date_of_something_done_may_not_be_after_today(run_cli: Run, register: Path, old: str, new: str,
                                                                   rule: str, clause: str) -> None:
    line = edit(register, HILLCREST, old, new) + (1 if new.startswith("  urn") else 0)
    found = [f for f in findings(run_cli, register) if f["file"] == HILLCREST and f["rule"] == rule]
    assert [(f["line"], f["clause"], f["severity"]) for f in found] == [(line, clause, "error")]
    assert "which is after today (2026-11-28)" in found[0]["message"]
