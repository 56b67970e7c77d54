"""Every decision is judged by the facts in force when it was made (DOMAIN.md, "Time").

Each test edits a copy of the example register the way an editor would, in the
text, and asserts the verdict the contract gives: the rule, its clause, its
severity and where it points (file and line), or that no rule fires at all.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

TODAY = "2026-11-28"
Run = Callable[..., "subprocess.CompletedProcess[str]"]

RIVERSIDE_001 = "records/placements/riverside/riverside-2026-001.yaml"
RIVERSIDE_002 = "records/placements/riverside/riverside-2026-002.yaml"
RIVERSIDE_004 = "records/placements/riverside/riverside-2026-004.yaml"
OAKFIELD_001 = "records/placements/oakfield/oakfield-2026-001.yaml"
OAKFIELD_2025 = "records/placements/oakfield/oakfield-2025-001.yaml"
HILLCREST = "records/providers/hillcrest-learning-centre.yaml"
BRACKENRIDGE = "records/providers/brackenridge-farm-skills.yaml"
POLICY = "policy/offsite-alternative-provision-principles.md"


@pytest.fixture
def register(register_with_pack: Path) -> Path:
    """A copy of the example register with its own policy pack (so the policy document can be edited)."""
    return register_with_pack


def write(root: Path, relative: str, text: str) -> None:
    (root / relative).write_text(text, "utf-8")


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text("utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {relative}"
    path.write_text(text.replace(old, new), "utf-8")


def line_of(root: Path, relative: str, text: str) -> int:
    lines = (root / relative).read_text("utf-8").split("\n")
    found = [number for number, line in enumerate(lines, 1) if text in line]
    assert len(found) == 1, f"{text!r} is on lines {found} of {relative}"
    return found[0]


def findings(run_cli: Run, root: Path, today: str = TODAY) -> list[dict[str, Any]]:
    """The findings of ``ap-lint check --format json`` (a cold check: run_cli's cache folder starts empty)."""
    done = run_cli("check", root, "--today", today, "--format", "json", cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return [f for f in json.loads(done.stdout)["findings"] if not f.get("waived_by")]


def problems(found: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Errors and warnings other than the policy document's own two warnings, as (file, rule, severity)."""
    return [(f["file"], f["rule"], f["severity"]) for f in found
            if f["rule"] not in ("policy-review-due", "policy-cites-current-guidance")]


def only(found: list[dict[str, Any]], rule: str) -> dict[str, Any]:
    mine = [f for f in found if f["rule"] == rule]
    assert len(mine) == 1, [(f["file"], f["rule"], f["line"]) for f in found]
    return mine[0]


# -- who held a post ---------------------------------------------------------------------------------------------

RIVERSIDE_NEW_PRINCIPAL = """\
id: riverside
name: Riverside Academy
urn: "990102"
local_authority: Eastmoor Borough Council
principal:
  name: Ms Harper Newfield
  since: 2026-11-02
past_principals:
  - name: Mr Casey Demoford
    from: 2020-09-01
    to: 2026-11-01
"""


def test_a_principal_who_leaves_leaves_their_placements_valid(run_cli: Run, register: Path) -> None:
    write(register, "records/schools/riverside.yaml", RIVERSIDE_NEW_PRINCIPAL)
    edit(register, RIVERSIDE_004, "name: Ms Jordan Newbury", "name: Ms Harper Newfield")
    assert problems(findings(run_cli, register)) == []


def test_a_new_principal_cannot_have_directed_a_placement_before_taking_up_the_post(
        run_cli: Run, register: Path) -> None:
    write(register, "records/schools/riverside.yaml", RIVERSIDE_NEW_PRINCIPAL)
    edit(register, RIVERSIDE_004, "name: Ms Jordan Newbury", "name: Ms Harper Newfield")
    edit(register, RIVERSIDE_001, "name: Mr Casey Demoford", "name: Ms Harper Newfield")
    found = only(findings(run_cli, register), "behaviour-directed-by-principal")
    assert (found["file"], found["clause"], found["severity"], found["path"], found["line"]) == (
        RIVERSIDE_001, "behaviour.direction", "error", "decision.name",
        line_of(register, RIVERSIDE_001, "name: Ms Harper Newfield"))
    assert "on that day the Principal was Mr Casey Demoford" in found["message"]


TRUST_NEW_EXECUTIVE_PRINCIPAL = """\
name: Central Region Schools Trust
executive_principal:
  name: Ms Quinn Latterby
  since: 2026-10-01
past_executive_principals:
  - name: Dr Avery Sampleton
    from: 2024-01-08
    to: 2026-09-30
"""


def test_an_executive_principal_who_leaves_leaves_their_approvals_valid(run_cli: Run, register: Path) -> None:
    write(register, "records/trust.yaml", TRUST_NEW_EXECUTIVE_PRINCIPAL)
    assert problems(findings(run_cli, register)) == []


def test_an_approval_is_checked_against_the_executive_principal_of_its_day(run_cli: Run, register: Path) -> None:
    write(register, "records/trust.yaml", TRUST_NEW_EXECUTIVE_PRINCIPAL)
    edit(register, RIVERSIDE_002, "name: Dr Avery Sampleton", "name: Ms Quinn Latterby")
    found = only(findings(run_cli, register), "unregistered-approval-by-executive-principal")
    assert (found["file"], found["clause"], found["severity"], found["path"], found["line"]) == (
        RIVERSIDE_002, "unregistered.approval", "error", "ceo_approval.name",
        line_of(register, RIVERSIDE_002, "name: Ms Quinn Latterby"))


# -- paperwork that is renewed -----------------------------------------------------------------------------------

def test_an_assurance_renewed_mid_placement_keeps_the_placement_covered(run_cli: Run, register: Path) -> None:
    # records/ already shows Hillcrest's assurance renewed on 2026-10-05, after oakfield-2026-001 started
    assert "received_on: 2026-10-05" in (register / HILLCREST).read_text("utf-8")
    assert problems(findings(run_cli, register)) == []


def test_without_the_earlier_assurance_the_start_is_uncovered(run_cli: Run, register: Path) -> None:
    edit(register, HILLCREST, "    - received_on: 2025-09-30\n", "    - received_on: 2025-08-31\n")
    found = only(findings(run_cli, register), "provider-assurance-before-start")
    assert (found["file"], found["clause"], found["severity"], found["path"], found["line"]) == (
        HILLCREST, "provider.safeguarding", "error", "safeguarding.written_assurance.received_on",
        line_of(register, HILLCREST, "received_on: 2026-10-05"))


def test_an_agreement_renewed_mid_placement_keeps_the_placement_covered(run_cli: Run, register: Path) -> None:
    edit(register, HILLCREST, "  signed_on: 2025-07-10\n  expires_on: 2027-08-31\n",
         "  signed_on: 2026-10-01\n  expires_on: 2028-08-31\n")
    edit(register, HILLCREST, "  - signed_on: 2023-07-12\n    expires_on: 2025-08-31\n",
         "  - signed_on: 2023-07-12\n    expires_on: 2025-08-31\n  - signed_on: 2025-07-10\n"
         "    expires_on: 2026-09-30\n")
    assert problems(findings(run_cli, register)) == []


# -- withdrawn, status and reviews -------------------------------------------------------------------------------

def test_a_placement_withdrawn_before_it_started_needs_no_approval(run_cli: Run, register: Path) -> None:
    write(register, "records/placements/riverside/riverside-2026-005.yaml",
          (register / RIVERSIDE_002).read_text("utf-8")
          .replace("riverside-2026-002", "riverside-2026-005")
          .replace("start_date: 2026-09-09", "start_date: 2027-01-11")
          .replace("planned_end_date: 2027-07-16", "planned_end_date: 2027-07-15")
          .replace("status: active", "status: withdrawn")
          .split("reviews:")[0] + "existing_provision: Adds two short practical sessions a week to the pupil's "
                                  "Riverside Academy timetable, alongside the college course on Mondays.\n"
                                  "attendance_code: B\nstatus: withdrawn\n")
    text = (register / "records/placements/riverside/riverside-2026-005.yaml").read_text("utf-8")
    assert "ceo_approval" not in text and "pupil:" in text
    edit(register, "records/placements/riverside/riverside-2026-005.yaml", "ref: CRST-P-20377", "ref: CRST-P-20999")
    assert problems(findings(run_cli, register)) == []


def test_a_placement_still_planned_ten_weeks_after_its_start_is_an_error(run_cli: Run, register: Path) -> None:
    found = only(findings(run_cli, register, "2027-03-22"), "placement-status-follows-dates")
    assert (found["file"], found["clause"], found["severity"], found["path"], found["line"]) == (
        RIVERSIDE_004, None, "error", "status", line_of(register, RIVERSIDE_004, "status: planned"))


def test_a_completed_placement_unreviewed_for_its_last_twelve_weeks_is_an_error(run_cli: Run, register: Path) -> None:
    edit(register, OAKFIELD_2025, "  date: 2026-02-13\n  outcome", "  date: 2026-05-06\n  outcome")
    edit(register, OAKFIELD_2025, "planned_end_date: 2026-02-13", "planned_end_date: 2026-05-06")
    edit(register, OAKFIELD_2025, "target_date: 2026-02-13", "target_date: 2026-05-06")
    found = only(findings(run_cli, register), "behaviour-reviewed-until-end")
    assert (found["file"], found["clause"], found["severity"], found["path"], found["line"]) == (
        OAKFIELD_2025, "behaviour.review", "error", "ended.date", line_of(register, OAKFIELD_2025, "ended:") + 1)


def test_a_review_dated_next_month_is_an_error(run_cli: Run, register: Path) -> None:
    edit(register, OAKFIELD_001, "reintegration:\n", "  - date: 2026-12-18\n    attendance_percent: 95\n"
         "    progress: Meeting every objective and ready to return.\n    decision: continue\nreintegration:\n")
    found = only(findings(run_cli, register), "behaviour-review-not-in-future")
    assert (found["file"], found["clause"], found["severity"], found["path"], found["line"]) == (
        OAKFIELD_001, "behaviour.review", "error", "reviews[2].date",
        line_of(register, OAKFIELD_001, "date: 2026-12-18"))


def test_a_booked_review_is_recorded_with_next_review_on(run_cli: Run, register: Path) -> None:
    edit(register, OAKFIELD_001, "reintegration:\n", "next_review_on: 2026-12-18\nreintegration:\n")
    assert problems(findings(run_cli, register)) == []


def test_a_review_interval_of_52_weeks_is_an_error(run_cli: Run, register: Path) -> None:
    edit(register, OAKFIELD_001, "review_every_weeks: 6", "review_every_weeks: 52")
    found = only(findings(run_cli, register), "behaviour-review-interval-within-setting")
    assert (found["file"], found["clause"], found["severity"], found["path"], found["line"]) == (
        OAKFIELD_001, "behaviour.review", "error", "review_every_weeks",
        line_of(register, OAKFIELD_001, "review_every_weeks: 52"))


# -- registration counted per pupil ------------------------------------------------------------------------------

def twelve_hours(root: Path, relative: str, days: tuple[str, str]) -> None:
    path = root / relative
    head, _, rest = path.read_text("utf-8").partition("timetable:\n")
    tail = rest[rest.index("start_date:"):]
    sessions = "".join(f'  - day: {day}\n    start: "09:00"\n    end: "15:00"\n' for day in days)
    path.write_text(head + "timetable:\n" + sessions + tail, "utf-8")


def test_two_concurrent_part_time_placements_of_one_looked_after_pupil_are_full_time(
        run_cli: Run, register: Path) -> None:
    twelve_hours(register, RIVERSIDE_001, ("monday", "tuesday"))
    twelve_hours(register, RIVERSIDE_002, ("wednesday", "thursday"))
    edit(register, RIVERSIDE_001, "  year_group: 10\n", "  year_group: 10\n  looked_after: true\n")
    edit(register, RIVERSIDE_002, "  ref: CRST-P-20377\n  year_group: 10\n",
         "  ref: CRST-P-20214\n  year_group: 10\n  looked_after: true\n")
    found = only(findings(run_cli, register), "provider-registration-required")
    assert (found["file"], found["clause"], found["severity"], found["path"], found["line"]) == (
        BRACKENRIDGE, "provider.registration", "error", "registration.status",
        line_of(register, BRACKENRIDGE, "status: unregistered"))


def test_five_full_time_pupils_who_all_left_in_march_are_a_warning_not_an_error(
        run_cli: Run, register: Path) -> None:
    folder = register / "records/placements/riverside"
    template = (register / RIVERSIDE_002).read_text("utf-8")
    body = template.split("timetable:")[0].replace("status: active", "")
    for number in range(5, 10):
        placement_id = f"riverside-2025-{number:03d}"
        text = (body.replace("riverside-2026-002", placement_id).replace("CRST-P-20377", f"CRST-P-3000{number}")
                + "timetable:\n"
                + "".join(f'  - day: {day}\n    start: "09:00"\n    end: "15:00"\n'
                          for day in ("monday", "tuesday", "wednesday", "thursday"))
                + "start_date: 2025-09-15\nplanned_end_date: 2026-03-20\n"
                + "existing_provision: Adds practical land-based work to the pupil's Riverside Academy timetable in "
                  "place of two option subjects.\nattendance_code: B\n"
                + "ceo_approval:\n  name: Dr Avery Sampleton\n  date: 2025-09-01\n"
                + "status: completed\nended:\n  date: 2026-03-20\n  outcome: reintegrated\n")
        write(register, f"records/placements/riverside/{placement_id}.yaml", text)
    assert len(list(folder.glob("riverside-2025-00[5-9].yaml"))) == 5
    found = only(findings(run_cli, register), "provider-registration-required")
    assert (found["file"], found["clause"], found["severity"], found["path"], found["line"]) == (
        BRACKENRIDGE, "provider.registration", "warning", "registration.status",
        line_of(register, BRACKENRIDGE, "status: unregistered"))
    assert "wholly in the past" in found["message"]


# -- no cascades, and structural findings cite their clause ------------------------------------------------------

def test_a_placement_that_fails_its_schema_gives_errors_in_its_own_file_only(run_cli: Run, register: Path) -> None:
    edit(register, OAKFIELD_001, "start_date: 2026-09-14", "start_date: 14/09/2026")
    found = problems(findings(run_cli, register))
    assert found == [(OAKFIELD_001, "schema", "error")]


def test_a_decision_by_the_head_of_year_is_a_behaviour_direction_finding(run_cli: Run, register: Path) -> None:
    edit(register, OAKFIELD_001, "  by: principal", "  by: head-of-year")
    found = only(findings(run_cli, register), "schema")
    assert (found["file"], found["clause"], found["path"], found["line"]) == (
        OAKFIELD_001, "behaviour.direction", "decision.by", line_of(register, OAKFIELD_001, "by: head-of-year"))


def test_a_completed_placement_without_its_outcome_is_a_reintegration_finding(run_cli: Run, register: Path) -> None:
    edit(register, OAKFIELD_2025, "  outcome: reintegrated\n", "")
    found = only(findings(run_cli, register), "schema")
    assert (found["file"], found["clause"], found["path"]) == (OAKFIELD_2025, "behaviour.reintegration", "ended")


# -- unreadable is not compliant ---------------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["2026-03-31", "Spring 2026", "Spring Term 2026"])
def test_a_next_review_that_has_passed_is_reported_in_every_documented_form(
        run_cli: Run, register: Path, written: str) -> None:
    edit(register, POLICY, "next_review: Spring Term 2026", f"next_review: {written}")
    found = only(findings(run_cli, register), "policy-review-due")
    assert (found["file"], found["clause"], found["severity"], found["path"], found["line"]) == (
        POLICY, "policy.review", "warning", "next_review", line_of(register, POLICY, "next_review:"))


def test_a_next_review_the_check_cannot_read_is_reported(run_cli: Run, register: Path) -> None:
    edit(register, POLICY, "next_review: Spring Term 2026", "next_review: when the new guidance is out")
    found = only(findings(run_cli, register, "2026-01-10"), "policy-review-due")
    assert (found["file"], found["clause"], found["path"]) == (POLICY, "policy.review", "next_review")
    assert "could not be read" in found["message"]


# -- acknowledging the past --------------------------------------------------------------------------------------

def test_a_waiver_that_matches_no_finding_is_a_warning(run_cli: Run, register: Path) -> None:
    edit(register, "records/waivers/brackenridge-staff-training-2026.yaml",
         "rule: provider-staff-recorded", "rule: provider-qa-visit-current")
    found = only(findings(run_cli, register), "waiver-unused")
    assert (found["file"], found["severity"], found["path"], found["line"]) == (
        "records/waivers/brackenridge-staff-training-2026.yaml", "warning", "rule", 3)


def test_a_waiver_without_expiry_acknowledges_a_breach_on_a_placement_that_is_over(
        run_cli: Run, register: Path) -> None:
    edit(register, OAKFIELD_2025, "  - date: 2026-01-14\n", "  - date: 2026-01-30\n")
    write(register, "records/waivers/oakfield-2025-001-late-review.yaml", """\
id: oakfield-2025-001-late-review
rule: behaviour-reviews-on-time
record: oakfield-2025-001
reason: The January review was held late because the provider closed for a week; acknowledged by the Principal.
approved_by:
  name: Ms Robin Testwood
approved_on: 2026-03-02
""")
    done = run_cli("check", register, "--today", TODAY, "--format", "json", "--no-cache", cwd=register)
    document = json.loads(done.stdout)
    waived = [f for f in document["findings"] if f.get("waived_by") == "oakfield-2025-001-late-review"]
    assert [(f["rule"], f["file"]) for f in waived] == [("behaviour-reviews-on-time", OAKFIELD_2025)]
    assert problems([f for f in document["findings"] if not f.get("waived_by")]) == []


# -- the policy in force -----------------------------------------------------------------------------------------

NEW_REQUIREMENT = """\
id: behaviour-three-objectives
title: A behaviour placement decided under the re-ratified policy sets out at least three objectives
clause: behaviour.terms
severity: error
applies_to: placement
effective:
  from: 2026-09-01
  date: record.decision.date
when: record.reason == 'behaviour'
assert: size(record.?objectives.orValue([])) >= 3
at: objectives
message: This placement sets out {size(record.?objectives.orValue([]))} objectives; set out at least three.
why: A requirement added when the policy was re-ratified, judged by the date of each decision.
examples:
  - name: three objectives
    expect: pass
    subject: placements/oakfield/oakfield-2026-001
  - name: two objectives
    expect: fail
    edit:
      placements/oakfield/oakfield-2026-001:
        unset:
          - objectives[2]
    at: objectives
"""


def test_a_rule_in_force_from_a_date_judges_only_decisions_made_from_then(run_cli: Run, register: Path) -> None:
    write(register, "rules/checks/behaviour-three-objectives.yaml", NEW_REQUIREMENT)
    # oakfield-2025-001 (decided 2025-10-16) and oakfield-2026-001 (decided 2026-09-03) both lose an objective
    edit(register, OAKFIELD_2025, "  - Close the gap in reading and number work identified at the start.\n", "")
    edit(register, OAKFIELD_001, "  - Complete the core English and maths work set by Oakfield Academy each week.\n", "")
    found = only(findings(run_cli, register), "behaviour-three-objectives")
    assert (found["file"], found["clause"], found["path"], found["line"]) == (
        OAKFIELD_001, "behaviour.terms", "objectives", line_of(register, OAKFIELD_001, "objectives:") + 1)
    explained = run_cli("explain", "behaviour-three-objectives", cwd=register)
    assert "In force:   from 2026-09-01, judged by record.decision.date" in explained.stdout
    covered = run_cli("coverage", cwd=register)
    assert "behaviour-three-objectives (in force from 2026-09-01, judged by record.decision.date)" in covered.stdout
    assert run_cli("test-rules", "--rule", "behaviour-three-objectives", cwd=register).returncode == 0


def test_the_governors_report_lists_acknowledgements(run_cli: Run, register: Path) -> None:
    write(register, "records/waivers/oakfield-2025-001-late-review.yaml", """\
id: oakfield-2025-001-late-review
rule: behaviour-reviews-on-time
record: oakfield-2025-001
reason: The January review was held late because the provider closed for a week.
approved_by:
  name: Ms Robin Testwood
approved_on: 2026-03-02
""")
    output = register / "report.md"
    done = run_cli("report", "--today", TODAY, "--output", output, cwd=register)
    assert done.returncode == 0, done.stderr
    lines = output.read_text("utf-8").splitlines()
    assert "### Past breaches acknowledged" in lines
    assert ("| oakfield-2025-001 | behaviour-reviews-on-time | The January review was held late because the provider "
            "closed for a week. | Ms Robin Testwood on 2026-03-02 |") in lines


# -- settings in force -------------------------------------------------------------------------------------------

def date_settings(root: Path, name: str, old: str, new: str) -> None:
    """Give the setting ``name`` dated values: ``old`` is replaced by ``new`` in its entry."""
    path = root / "rules" / "settings.yaml"
    text = path.read_text("utf-8")
    start = text.index(f"\n{name}:\n") + 1
    end = text.index("\n", text.index("  value:", start))
    entry = text[start:end + 1]
    assert entry.count(old) == 1, entry
    path.write_text(text[:start] + entry.replace(old, new) + text[end + 1:], "utf-8")


def test_a_setting_raised_from_a_date_judges_decisions_by_the_value_of_their_day(run_cli: Run, register: Path) -> None:
    # the re-ratified policy asks for longer rationales from 2026-09-01; the rationale rule judges each placement
    # by its decision's date, so placements decided before then keep the old threshold
    date_settings(register, "rationale_min_words", "  value: 8\n",
                  "  value: 28\n  from: 2026-09-01\n  earlier:\n    - value: 8\n      until: 2026-08-31\n")
    failing = {(f["file"], f["clause"], f["path"]) for f in findings(run_cli, register)
               if f["rule"] == "placement-rationale-substantive"}
    decided = {path: (register / path).read_text("utf-8").split("decision:\n", 1)[1].split("date: ", 1)[1][:10]
               for path in (p.relative_to(register).as_posix() for p in register.glob("records/placements/*/*.yaml"))}
    assert failing and {file for file, _, _ in failing} <= {p for p, day in decided.items() if day >= "2026-09-01"}
    assert {(clause, path) for _, clause, path in failing} == {("rationale", "rationale")}
    assert OAKFIELD_2025 not in {file for file, _, _ in failing}  # decided 2025-10-16, with 23 words
    found = next(f for f in findings(run_cli, register) if f["rule"] == "placement-rationale-substantive")
    assert "of the 28 words a rationale needs" in found["message"]
    assert found["line"] == line_of(register, found["file"], "rationale:")
    # explain says which values apply when, in words; a rule that reads no dated setting shows nothing of it
    explained = run_cli("explain", "placement-rationale-substantive", cwd=register).stdout
    assert ("Settings:   as in force on record.decision.date: rationale_min_words 8 until 2026-08-31, then 28 from "
            "2026-09-01") in explained
    assert "settings_on" not in explained
    other = run_cli("explain", "provider-not-inadequate", cwd=register).stdout
    assert "settings_on" not in other and "Settings:" not in other


def test_a_setting_changed_from_a_later_day_applies_to_checks_from_that_day(run_cli: Run, register: Path) -> None:
    # a rule judged by the day of the check reads the value in force that day: a change agreed for next month
    # fails nothing today, and fails what it should once its day has come
    date_settings(register, "assurance_max_age_days", "  value: 365\n",
                  "  value: 30\n  from: 2026-12-01\n  earlier:\n    - value: 365\n      until: 2026-11-30\n")
    before = [f for f in findings(run_cli, register, "2026-11-30") if f["rule"] == "provider-assurance-current"]
    after = [f for f in findings(run_cli, register, "2026-12-01") if f["rule"] == "provider-assurance-current"]
    assert before == []
    assert after and {(f["clause"], f["path"]) for f in after} == {
        ("provider.safeguarding", "safeguarding.written_assurance.received_on")}
    assert all("more than 30 days before today (2026-12-01)" in f["message"] for f in after)
    assert all(f["line"] == line_of(register, f["file"], "    received_on:") for f in after)


@pytest.mark.parametrize(("new", "at", "says"), [
    ("  value: 28\n  from: 2026-09-01\n  earlier:\n    - value: 8\n      until: 2026-09-01\n", "  from: 2026-09-01",
     "but the one before it still applies until 2026-09-01: make it apply from 2026-09-02"),
    ("  value: 28\n  earlier:\n    - value: 8\n      from: 2026-09-01\n      until: 2026-08-31\n",
     "      until: 2026-08-31", "which is earlier"),
    ("  value: 28\n  earlier:\n    - value: eight\n      until: 2026-08-31\n", "    - value: eight",
     "is not of type 'integer'"),
    ("  value: 28\n  from: 2026-09-02\n  earlier:\n    - value: 8\n      until: 2026-08-31\n", "  from: 2026-09-02",
     "the days between have no value: make it apply from 2026-09-01"),
    ("  value: 28\n  from: 2026-09-01\n", "  from: 2026-09-01", "no earlier value says what applied before"),
    ("  value: 28\n  earlier:\n    - value: 8\n      until: 2026-12-31\n    - value: 30\n      until: 2026-06-30\n",
     "      until: 2026-06-30", "applies from 2027-01-01 (the day after the one before it ends) until 2026-06-30"),
], ids=["overlapping", "ending before it starts", "an earlier value its schema refuses", "a gap",
        "from with no earlier value", "earlier values not oldest first"])
def test_a_setting_s_dated_values_that_cannot_be_read_stop_the_run_at_their_line(
        run_cli: Run, register: Path, new: str, at: str, says: str) -> None:
    date_settings(register, "rationale_min_words", "  value: 8\n", new)
    line = line_of(register, "rules/settings.yaml", at)
    done = run_cli("check", register, "--today", TODAY, cwd=register)
    assert done.returncode == 2
    assert done.stderr.startswith(f"ap-lint: error: rules/settings.yaml:{line}:"), done.stderr
    assert says in done.stderr and "rationale_min_words" in done.stderr
