"""The rule catalogue, row by row, as a user meets it: break one row in a copy of the example register,
run ``ap-lint check --format json`` and get exactly one error, from the right rule, at the right place.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunCli

REPO_ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"


@dataclass(frozen=True)
class Break:
    """One catalogue row broken by replacing ``old`` with ``new`` in one record file."""

    name: str
    file: str
    old: str
    new: str
    rule: str
    clause: str | None
    line: int
    column: int
    severity: str = "error"


BREAKS = [
    Break("an added-value placement carries medical evidence",
          "records/placements/oakfield/oakfield-2026-003.yaml",
          "attendance_code: B\n", "attendance_code: B\nmedical_evidence:\n  reference: MIS-DOC-4410\n"
          "  received_on: 2026-09-01\n",
          "placement-fields-match-reason", "purpose.limited", 33, 3),
    Break("a one-word rationale", "records/placements/oakfield/oakfield-2026-001.yaml",
          "rationale: Small-group teaching in English, maths and science will keep the pupil on track with the "
          "year 9 curriculum while they learn to manage their behaviour.", "rationale: Behaviour.",
          "placement-rationale-substantive", "rationale", 8, 12),
    Break("a behaviour placement directed by someone other than the Principal",
          "records/placements/riverside/riverside-2026-001.yaml",
          "  name: Mr Casey Demoford\n", "  name: Someone Else\n",
          "behaviour-directed-by-principal", "behaviour.direction", 13, 9),
    Break("a one-word objective", "records/placements/oakfield/oakfield-2026-001.yaml",
          "  - Attend every timetabled session on time.\n", "  - Attend.\n",
          "behaviour-objectives-set-out", "behaviour.terms", 19, 5),
    Break("a gap of more than six weeks between reviews", "records/placements/oakfield/oakfield-2026-001.yaml",
          "  - date: 2026-10-16\n", "  - date: 2026-10-30\n",
          "behaviour-reviews-on-time", "behaviour.review", 39, 11),
    Break("a reintegration target after the planned end", "records/placements/oakfield/oakfield-2026-001.yaml",
          "  target_date: 2027-02-12\n", "  target_date: 2027-03-01\n",
          "behaviour-reintegration-planned", "behaviour.reintegration", 49, 16),
    Break("notice to parents one school day before the start", "records/placements/oakfield/oakfield-2026-001.yaml",
          "  parents_on: 2026-09-04\n", "  parents_on: 2026-09-11\n",
          "behaviour-parents-notified-in-time", "statutory-guidance", 16, 15),
    Break("medical evidence received after the start", "records/placements/oakfield/oakfield-2026-002.yaml",
          "  received_on: 2026-09-25\n", "  received_on: 2026-10-20\n",
          "medical-evidence-before-start", "medical", 35, 16),
    Break("an added-value placement that does not say what it adds to",
          "records/placements/riverside/riverside-2026-003.yaml",
          "existing_provision: Adds one day a week at the college to the pupil's GCSE timetable at Riverside "
          "Academy, in place of one option subject.", "existing_provision: GCSE timetable.",
          "added-value-provision-described", "added-value", 30, 21),
    Break("a provider judged inadequate", "records/providers/hillcrest-learning-centre.yaml",
          "  judgement: good\n", "  judgement: inadequate\n",
          "provider-not-inadequate", "provider.quality", 9, 14),
    Break("a provider with a trust school's URN", "records/providers/northvale-college.yaml",
          '  urn: "990203"\n', '  urn: "990101"\n',
          "provider-registered-urn", "provider.registration", 7, 8),
    Break("a provider that records no staff experience", "records/providers/northvale-college.yaml",
          "  experience: Vocational lecturers with industry backgrounds who have run the college's school-link "
          "programme for 14 to 16 year olds since it began.\n", "",
          "provider-staff-recorded", "provider.staff", 36, 3, severity="warning"),
    Break("written assurance without a barred-list check", "records/providers/northvale-college.yaml",
          "      - barred-list\n", "",
          "provider-assurance-covers-checks", "provider.safeguarding", 31, 7),
    Break("an unregistered provider approved by someone other than the Executive Principal",
          "records/placements/riverside/riverside-2026-002.yaml",
          "  name: Dr Avery Sampleton\n", "  name: Mr Casey Demoford\n",
          "unregistered-approval-by-executive-principal", "unregistered.approval", 36, 9),
    Break("a placement at a site its provider does not have", "records/placements/oakfield/oakfield-2026-002.yaml",
          "site: annexe\n", "site: farm\n",
          "placement-site-exists", None, 10, 7),
    Break("a waiver of a rule that does not exist", "records/waivers/brackenridge-staff-training-2026.yaml",
          "rule: provider-staff-recorded\n", "rule: provider-staff-record\n",
          "waiver-rule-exists", None, 3, 7),
]


def _check_json(run_cli: RunCli, root: Path) -> dict[str, Any]:
    completed = run_cli("check", str(root), "--pack", str(REPO_ROOT), "--today", TODAY, "--format", "json")
    assert completed.returncode in (0, 1), completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


def test_the_example_register_has_no_errors(run_cli: RunCli, tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "records", tmp_path / "records")
    report = _check_json(run_cli, tmp_path)
    assert [f for f in report["findings"] if f["severity"] == "error"] == []
    assert sorted(f["rule"] for f in report["findings"] if not f.get("waived_by")) == [
        "policy-cites-current-guidance", "policy-review-due"]


@pytest.mark.parametrize("broken", BREAKS, ids=[b.name for b in BREAKS])
def test_breaking_one_row_gives_one_finding_there(run_cli: RunCli, broken: Break, tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "records", tmp_path / "records")
    path = tmp_path / broken.file
    text = path.read_text("utf-8")
    assert text.count(broken.old) == 1, f"{broken.file} no longer holds the text this test breaks"
    path.write_text(text.replace(broken.old, broken.new), "utf-8")

    report = _check_json(run_cli, tmp_path)

    found = [(f["rule"], f["clause"], f["file"], f["line"], f["column"]) for f in report["findings"]
             if f["severity"] == broken.severity and "/policy/" not in "/" + f["file"] and not f.get("waived_by")]
    assert found == [(broken.rule, broken.clause, broken.file, broken.line, broken.column)]
    if broken.severity == "warning":
        assert [f for f in report["findings"] if f["severity"] == "error"] == []
