"""`ap-lint check` run as a user runs it, on a copy of the example register and on the DOMAIN.md register.

A record is broken the way an editor breaks it (in the text), and the whole
output lines are asserted: the finding line and the summary line.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from ap_lint.load.loader import load_record
from ap_lint.pack import bundled_pack

TODAY = "2026-11-28"
PLACEMENT = "records/placements/oakfield/oakfield-2026-001.yaml"
FINDING = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<label>error|warning|waived) \[(?P<rule>[a-z0-9-]+)\] ")
REPO_ROOT = Path(__file__).resolve().parents[2]
DOMAIN_REGISTER = REPO_ROOT / "tests" / "data" / "domain-register"
DOMAIN_TODAY = "2027-01-20"
Run = Callable[..., "subprocess.CompletedProcess[str]"]


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def expected_summary(lines: list[str], records: int, today: str = TODAY) -> str:
    """The summary line a report with these finding lines must end with (the text reporter's contract)."""
    labels = [match["label"] for match in map(FINDING.match, lines) if match]
    errors, warnings, waived = labels.count("error"), labels.count("warning"), labels.count("waived")
    parts = [plural(errors, "error"), plural(warnings, "warning")] + ([f"{waived} waived"] if waived else [])
    verdict = "Failed" if errors else "Passed"
    return (f"{verdict}: {errors} failing of {len(labels)} shown ({', '.join(parts)}) with --fail-on error, "
            f"in {plural(records, 'record')} (today is {today}).")


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text("utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {relative}"
    path.write_text(text.replace(old, new), "utf-8")


def check(run_cli: Run, root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("check", root, "--today", TODAY, *extra, cwd=root)


@pytest.fixture(scope="module")
def clean_run(run_cli: Run, tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """The check of an untouched copy of the example register (run once for the module)."""
    root = tmp_path_factory.mktemp("clean")
    shutil.copytree(REPO_ROOT / "records", root / "records")
    return check(run_cli, root)


def test_the_example_register_passes_with_warnings_only(clean_run: subprocess.CompletedProcess[str]) -> None:
    done = clean_run
    lines = done.stdout.splitlines()
    assert (done.returncode, done.stderr) == (0, "")
    assert all(FINDING.match(line) or line.startswith("note: ") for line in lines[:-1]), lines
    assert not [line for line in lines if " error [" in line]
    assert lines[-1] == expected_summary(lines[:-1], records=19)
    assert lines[-1].startswith("Passed: 0 failing of ")
    # the register has no pack of its own: the pack's files are named where they are
    pack = bundled_pack()
    assert pack is not None
    assert (f"{pack.resolve().as_posix()}/policy/offsite-alternative-provision-principles.md:8:14: warning "
            "[policy-review-due] The policy says it "
            "is due for review by Spring Term 2026 (2026-04-30), and that has passed (today is 2026-11-28). Ask the Education "
            "and Standards Committee to review and re-ratify it, then update next_review in the policy document. "
            "(policy.review)") in lines


BROKEN = [
    pytest.param(
        '    end: "15:00"\n  - day: tuesday', "    end: 15:00\n  - day: tuesday",
        f"{PLACEMENT}:25:10: error [yaml-sexagesimal] 15:00 is read by YAML as the number 900 (base 60), not as a "
        'time. Write times in quotes: "15:00".',
        id="unquoted-time"),
    pytest.param(
        "rationale: Small-group teaching in English, maths and science will keep the pupil on track with the "
        "year 9 curriculum while they learn to manage their behaviour.\n", "",
        f"{PLACEMENT}:2:1: error [schema] 'rationale' (Rationale) is missing: add it. (rationale)",
        id="no-rationale"),
    pytest.param(
        "  year_group: 9\n", "  year_group: 9\n  name: Sam Example\n",
        f"{PLACEMENT}:7:3: error [privacy-unknown-field] 'name' cannot be recorded about a pupil. The pupil block holds only ref, "
        "year_group, ehc_plan, looked_after and sen_support: never a name, date of birth, UPN, address or health "
        "details. Remove it, and do not commit it.",
        id="pupil-name"),
    pytest.param(
        "start_date: 2026-09-14", "start_date: 2026-09-31",
        f"{PLACEMENT}:35:13: error [yaml-invalid-date] 2026-09-31 is not a real calendar date. Check the day and "
        "month (YYYY-MM-DD).",
        id="no-such-date"),
    pytest.param(
        "reason: behaviour", "reason: respite",
        f"{PLACEMENT}:7:9: error [schema] The reason must be `behaviour`, `medical` or `added-value`: the policy "
        "allows alternative provision only in these three circumstances. (purpose.limited)",
        id="reason-not-allowed"),
]


@pytest.mark.parametrize(("old", "new", "expected"), BROKEN)
def test_a_broken_placement_is_reported_at_its_line_and_column(run_cli: Run, register_copy: Path, old: str,
                                                               new: str, expected: str,
                                                               clean_run: subprocess.CompletedProcess[str]) -> None:
    clean = clean_run.stdout.splitlines()
    edit(register_copy, PLACEMENT, old, new)
    done = check(run_cli, register_copy)
    lines = done.stdout.splitlines()
    assert (done.returncode, done.stderr) == (1, "")
    assert set(lines[:-1]) - set(clean[:-1]) == {expected}
    gone = set(clean[:-1]) - set(lines[:-1])
    assert all(line.startswith(f"{PLACEMENT}:") for line in gone), gone  # its own rule findings wait for the fix
    assert lines[-1] == expected_summary(lines[:-1], records=19)
    assert lines[-1].startswith("Failed: 1 failing of ")


def test_json_reports_the_same_finding(run_cli: Run, register_copy: Path) -> None:
    edit(register_copy, PLACEMENT, '    end: "15:00"\n  - day: tuesday', "    end: 15:00\n  - day: tuesday")
    done = check(run_cli, register_copy, "--format", "json")
    document = json.loads(done.stdout)
    assert done.returncode == 1
    errors = [f for f in document["findings"] if f["severity"] == "error" and not f.get("waived_by")]
    assert [(f["rule"], f["file"], f["line"], f["column"], f["path"], f["clause"]) for f in errors] == [
        ("yaml-sexagesimal", PLACEMENT, 25, 10, "timetable[0].end", None)]
    assert (document["summary"]["errors"], document["summary"]["records"], document["summary"]["passed"]) == (
        1, 19, False)


# ---------------------------------------------------------------------------------------------------------------
# The DOMAIN.md register: tests/data/domain-register was written from DOMAIN.md's tables alone (other names, other
# dates). A register written to DOMAIN.md must load and validate: no structural finding of any kind.

STRUCTURAL = re.compile(r"^(schema|yaml-.*|file-.*|record-missing)$")


def test_the_domain_register_loads_and_validates(run_cli: Run) -> None:
    done = run_cli("check", DOMAIN_REGISTER, "--today", DOMAIN_TODAY, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    document = json.loads(done.stdout)
    structural = [f"{f['file']}:{f['line']}:{f['column']}: [{f['rule']}] {f['message']}"
                  for f in document["findings"] if STRUCTURAL.match(f["rule"])]
    assert structural == []
    assert document["summary"]["records_by_kind"] == {
        "trust": 1, "calendar": 1, "school": 2, "provider": 3, "placement": 5, "waiver": 2, "policy": 1}


#: Every field DOMAIN.md lists for each kind (a[] is a list of a; a[].b a field of its items).
DOMAIN_FIELDS: dict[str, list[str]] = {
    "trust.yaml": ["name", "executive_principal.name", "executive_principal.since", "past_executive_principals[].name",
                   "past_executive_principals[].from", "past_executive_principals[].to"],
    "calendar.yaml": ["holidays[].name", "holidays[].from", "holidays[].to", "terms[].name", "terms[].from",
                      "terms[].to"],
    "schools/*.yaml": ["id", "name", "urn", "local_authority", "principal.name", "principal.since",
                       "past_principals[].name", "past_principals[].from", "past_principals[].to"],
    "providers/*.yaml": [
        "id", "name", "registration.status", "registration.kind", "registration.urn", "registration.since",
        "registration.history[].status", "registration.history[].kind", "registration.history[].urn",
        "registration.history[].from", "registration.history[].to", "earlier_agreements[].signed_on",
        "earlier_agreements[].expires_on", "safeguarding.earlier_assurances[].received_on",
        "safeguarding.earlier_assurances[].checks[]", "ofsted.judgement",
        "ofsted.inspected_on", "sites[].id", "sites[].address", "sites[].postcode", "contact.role", "contact.email",
        "agreement.signed_on", "agreement.expires_on", "safeguarding.designated_lead.name",
        "safeguarding.designated_lead.trained_on", "safeguarding.written_assurance.received_on",
        "safeguarding.written_assurance.checks[]", "staff.qualified_teacher", "staff.training[].topic",
        "staff.training[].completed_on", "staff.experience", "quality_assurance.visits[].date",
        "quality_assurance.visits[].by", "quality_assurance.visits[].outcome"],
    "placements/*/*.yaml": [
        "id", "school", "pupil.ref", "pupil.year_group", "pupil.ehc_plan", "pupil.looked_after", "pupil.sen_support",
        "reason", "rationale", "provider", "site", "arranged_by", "decision.by", "decision.name", "decision.date",
        "notice.parents_on", "notice.local_authority_on", "objectives[]", "timetable[].day", "timetable[].start",
        "timetable[].end", "start_date", "planned_end_date", "review_every_weeks", "reviews[].date",
        "reviews[].attendance_percent", "reviews[].progress", "reviews[].decision", "next_review_on", "reintegration.plan",
        "reintegration.target_date", "medical_evidence.reference", "medical_evidence.received_on",
        "existing_provision", "attendance_code", "ceo_approval.name", "ceo_approval.date", "status", "ended.date",
        "ended.outcome"],
    "waivers/*.yaml": ["id", "rule", "record", "reason", "approved_by.name", "approved_on", "expires_on"],
}


def field_paths(value: Any, prefix: str = "") -> set[str]:
    """Every field path in a record, with [] for list items: ``reviews[].date``."""
    found = {prefix} if prefix else set()
    if isinstance(value, dict):
        for key, child in value.items():
            found |= field_paths(child, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for child in value:
            found |= field_paths(child, f"{prefix}[]")
    return found


@pytest.mark.parametrize("pattern", sorted(DOMAIN_FIELDS))
def test_the_domain_register_uses_every_field_domain_md_lists(pattern: str) -> None:
    used: set[str] = set()
    for path in sorted((DOMAIN_REGISTER / "records").glob(pattern)):
        loaded = load_record(path.read_bytes(), path.name)
        assert loaded.problems == [] and isinstance(loaded.data, dict)
        used |= field_paths(loaded.data)
    assert sorted(set(DOMAIN_FIELDS[pattern]) - used) == []


def test_the_cli_tests_leave_no_cache_in_the_registers_they_check(run_cli: Run, register_copy: Path) -> None:
    """Tests write only to temporary folders: a checked register (even one under tests/data) gains no cache."""
    run_cli("check", register_copy, "--today", "2026-11-28")
    run_cli("check", DOMAIN_REGISTER, "--today", "2026-11-28")
    assert not (register_copy / ".ap-lint-cache").exists()
    assert not (DOMAIN_REGISTER / ".ap-lint-cache").exists()
