"""The report: figures, breakdowns, due dates, lists and findings by clause, against registers with known counts.

The register is built in a temporary folder from the example register's
schools and providers, with placements written here so every count is known.
The pack is a copy of the repository's with two rules, so the findings are
known too.
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ap_lint.checker import Checker, CheckOptions, CheckResult
from ap_lint.errors import PolicyPackError
from ap_lint.findings import Finding, Severity
from ap_lint.load.loader import load_record
from ap_lint.output.report import build_report, load_report_spec, render_html, render_markdown
from ap_lint.output.report.model import DueItem, FindingsByClause, ListTable, Report
from ap_lint.output.report.render import due_when, long_date, markdown_cell

from tests.conftest import REPO_ROOT, checker_for, write_files

TODAY = "2026-11-28"
RULES_KEPT = ("behaviour-directed-by-principal.yaml", "policy-review-due.yaml")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _as_yaml_dates(value: Any) -> Any:
    """ISO strings back to dates, so the YAML is written as a person writes it (dates unquoted)."""
    if isinstance(value, dict):
        return {k: _as_yaml_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_yaml_dates(v) for v in value]
    if isinstance(value, str) and _DATE.match(value):
        return datetime.date.fromisoformat(value)
    return value


def _template(name: str) -> dict[str, Any]:
    path = REPO_ROOT / "records" / "placements" / name.split("-")[0] / f"{name}.yaml"
    data = load_record(path.read_bytes(), path.name).data
    assert isinstance(data, dict)
    return data


def _placement(template: str, **changes: Any) -> dict[str, Any]:
    data = _template(template)
    data.pop("ceo_approval", None)
    for dotted, value in changes.items():
        target = data
        *parents, last = dotted.split("__")
        for part in parents:
            target = target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return data


RIVERSIDE = {"decision": {"by": "principal", "name": "Mr Casey Demoford", "date": "2026-07-09"}}

#: id -> placement. Known counts (today 2026-11-28):
#: active: p1, p2, r1, r2 (pupils A, B, D, D: 3 pupils; providers hillcrest, brackenridge, northvale: 3)
#: planned: p3. Live by school: oakfield 3, riverside 2. Live by reason: behaviour 1, medical 1, added-value 3.
#: Live by provider: hillcrest 2, northvale 2, brackenridge 1. All by status: planned 1, active 4,
#: completed 1, ended-early 0, withdrawn 1.
PLACEMENTS: dict[str, dict[str, Any]] = {
    "oakfield-2026-101": _placement(
        "oakfield-2026-001", id="oakfield-2026-101", pupil__ref="TEST-A",
        reviews=[{"date": "2026-09-30", "attendance_percent": 90, "progress": "Settling in well.",
                  "decision": "continue"},
                 {"date": "2026-11-01", "attendance_percent": 92, "progress": "Meeting most objectives.",
                  "decision": "continue"}],
        reintegration__target_date="2026-12-20"),  # review due 2026-12-13; reintegration 2026-12-20
    "oakfield-2026-102": _placement(
        "oakfield-2026-002", id="oakfield-2026-102", pupil__ref="TEST-B", start_date="2026-10-01",
        reviews=None),  # review due 2026-11-12: overdue by 16 days
    "oakfield-2026-103": _placement(
        "oakfield-2026-003", id="oakfield-2026-103", pupil__ref="TEST-C", status="planned",
        start_date="2027-01-11", reviews=None),  # starts in 44 days
    "riverside-2026-101": _placement(
        "oakfield-2026-003", id="riverside-2026-101", school="riverside", pupil__ref="TEST-D",
        provider="brackenridge-farm-skills", site="farm", **RIVERSIDE,
        ceo_approval={"name": "Dr Avery Sampleton", "date": "2026-07-06"}),
    "riverside-2026-102": _placement(
        "oakfield-2026-003", id="riverside-2026-102", school="riverside", pupil__ref="TEST-D",
        site="town-centre", **RIVERSIDE),
    "riverside-2025-101": _placement(
        "oakfield-2025-001", id="riverside-2025-101", school="riverside", pupil__ref="TEST-E",
        decision={"by": "principal", "name": "Mr Casey Demoford", "date": "2025-10-16"}),
    "riverside-2026-103": _placement(
        "oakfield-2026-003", id="riverside-2026-103", school="riverside", pupil__ref="TEST-F",
        provider="greystone-independent-school", site="main", status="withdrawn", **RIVERSIDE),
}


def make_pack(folder: Path, report_yaml: str | None = None) -> Path:
    """A copy of the repository's pack with two rules (and this report.yaml, when given)."""
    shutil.copytree(REPO_ROOT / "schemas", folder / "schemas")
    shutil.copytree(REPO_ROOT / "policy", folder / "policy")
    (folder / "rules" / "checks").mkdir(parents=True)
    for name in ("pack.yaml", "settings.yaml", "report.yaml"):
        shutil.copy(REPO_ROOT / "rules" / name, folder / "rules" / name)
    for name in RULES_KEPT:
        shutil.copy(REPO_ROOT / "rules" / "checks" / name, folder / "rules" / "checks" / name)
    if report_yaml is not None:
        (folder / "rules" / "report.yaml").write_text(report_yaml, "utf-8")
    return folder


def make_register(folder: Path, placements: dict[str, dict[str, Any]] = PLACEMENTS) -> Path:
    records = folder / "records"
    records.mkdir(parents=True, exist_ok=True)
    for part in ("trust.yaml", "calendar.yaml", "schools", "providers"):
        source = REPO_ROOT / "records" / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, records / part)
    for placement_id, data in placements.items():
        path = records / "placements" / data["school"] / f"{placement_id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(_as_yaml_dates(data), sort_keys=False), "utf-8")
    return folder


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    return make_pack(tmp_path / "pack")


@pytest.fixture
def register(tmp_path: Path) -> Path:
    return make_register(tmp_path / "register")


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The report of the known register on TODAY (read-only: shared by the tests of one module)."""
    folder = tmp_path_factory.mktemp("known")
    return report_of(make_register(folder / "register"), make_pack(folder / "pack"))


def check(register: Path, pack: Path, today: str = TODAY) -> tuple[Checker, CheckResult]:
    checker = checker_for(register, pack)
    return checker, checker.check(CheckOptions(root=register, today=today, pack_dir=pack))


def report_of(register: Path, pack: Path, today: str = TODAY, result: CheckResult | None = None) -> Report:
    checker, checked = check(register, pack, today)
    spec = load_report_spec(checker.pack, checker.compiler)
    return build_report(spec, result or checked, checker.compiler)


def block(report: Report, block_id: str) -> Any:
    found = [b for section in report.sections for b in section.blocks if b.id == block_id]
    assert found, f"no block {block_id}"
    return found[0]


def bars(report: Report, block_id: str) -> list[tuple[str, int]]:
    return [(bar.label, bar.count) for bar in block(report, block_id).bars]


# ---------------------------------------------------------------- figures and breakdowns

def test_the_register_loads_without_structural_errors(register: Path, pack: Path) -> None:
    _, result = check(register, pack)
    assert [f for f in result.findings if f.rule == "schema"] == []


def test_figures_count_pupils_placements_and_providers(known: Report) -> None:
    figures = {name: known.figures[name] for name in ("pupils", "placements", "planned", "providers")}
    assert figures == {"pupils": 3, "placements": 4, "planned": 1, "providers": 3}


def test_the_headline_and_cards_say_the_figures_in_words(known: Report) -> None:
    assert known.headline == (
        "3 pupils are in alternative provision (4 active placements) at 3 providers, and 1 more placement is "
        "planned. No errors need action; 1 warning to note. 2 dates are overdue, and 2 more fall due in the "
        "next 30 days.")
    assert [(card.value, card.label, card.tone) for card in known.cards] == [
        (3, "pupils in alternative provision", "neutral"),
        (len(bars(known, "by-provider")), "providers with active or planned placements", "neutral"),
        (0, "errors need action", "ok"),
        (2, "dates overdue", "error"),
        (2, "dates due in the next 30 days", "neutral"),
    ]


def test_placements_by_school_are_labelled_by_the_schools_name(known: Report) -> None:
    assert bars(known, "by-school") == [("Oakfield Academy", 3), ("Riverside Academy", 2)]


def test_placements_by_reason_keep_the_declared_order_and_labels(known: Report) -> None:
    assert bars(known, "by-reason") == [
        ("To improve behaviour", 1), ("Medical needs", 1), ("To add value to existing provision", 3)]


def test_placements_by_provider_mark_the_unregistered_one(known: Report) -> None:
    assert bars(known, "by-provider") == [
        ("Hillcrest Learning Centre", 2), ("Northvale College", 2), ("Brackenridge Farm Skills (unregistered)", 1)]


def test_placements_by_status_show_every_status_even_when_none(known: Report) -> None:
    assert bars(known, "by-status") == [
        ("Planned (not started)", 1), ("Active", 4), ("Completed", 1), ("Ended early", 0), ("Withdrawn", 1)]
    assert block(known, "by-status").total == 7


def test_a_breakdown_with_no_matching_record_has_no_bars(tmp_path: Path, pack: Path) -> None:
    register = make_register(tmp_path / "empty", {})
    report = report_of(register, pack)
    assert block(report, "by-school").bars == ()
    assert report.headline.startswith("0 pupils are in alternative provision (0 active placements) at 0 providers.")


# ---------------------------------------------------------------- due dates

def test_due_dates_in_the_next_30_days_and_overdue_ones(known: Report) -> None:
    due = block(known, "due")
    assert [(i.date, i.days, i.what, i.record) for i in due.items] == [
        ("2026-04-30", -212, "Policy review", "offsite-alternative-provision-principles"),
        ("2026-11-12", -16, "Placement review", "oakfield-2026-102"),
        ("2026-12-13", 15, "Placement review", "oakfield-2026-101"),
        ("2026-12-20", 22, "Reintegration target", "oakfield-2026-101"),
    ]
    assert [i.label for i in due.overdue] == [
        "Review and re-ratify 'Offsite/Alternative Provision Principles' (due in the Spring Term 2026)",
        "Review oakfield-2026-102 (Oakfield Academy, at Hillcrest Learning Centre)",
    ]


def test_the_policy_review_falls_due_at_the_end_of_the_term_in_the_calendar(register: Path, pack: Path) -> None:
    calendar = register / "records" / "calendar.yaml"
    calendar.write_text(calendar.read_text("utf-8") + "terms:\n  - name: Spring Term 2026\n    from: 2026-01-05\n"
                                                        "    to: 2026-03-27\n", "utf-8")
    due = block(report_of(register, pack), "due")
    assert [(i.date, i.what) for i in due.items if i.what == "Policy review"] == [("2026-03-27", "Policy review")]


def test_review_due_uses_the_placements_own_interval(tmp_path: Path, pack: Path) -> None:
    placement = dict(PLACEMENTS["oakfield-2026-101"], review_every_weeks=2)
    register = make_register(tmp_path / "r", {"oakfield-2026-101": placement})
    due = block(report_of(register, pack), "due")
    assert [(i.date, i.what) for i in due.items if i.what == "Placement review"] == [("2026-11-15", "Placement review")]


def test_the_next_dates_after_the_window_are_shown_in_order(known: Report) -> None:
    due = block(known, "due")
    assert [(i.date, i.what, i.record) for i in due.later] == [
        ("2027-01-08", "Placement review", "riverside-2026-101"),
        ("2027-01-08", "Placement review", "riverside-2026-102"),
        ("2027-01-11", "Placement starts", "oakfield-2026-103"),
        ("2027-02-12", "Planned end", "oakfield-2026-101"),
        ("2027-03-25", "Planned end", "oakfield-2026-102"),
    ]


def test_provider_dates_fall_due_only_for_providers_in_use(register: Path, pack: Path) -> None:
    agreement = register / "records" / "providers" / "greystone-independent-school.yaml"
    agreement.write_text(agreement.read_text("utf-8").replace("expires_on: 2027-08-31", "expires_on: 2026-12-01"))
    hillcrest = register / "records" / "providers" / "hillcrest-learning-centre.yaml"
    hillcrest.write_text(hillcrest.read_text("utf-8").replace("expires_on: 2027-08-31", "expires_on: 2026-12-01"))
    due = block(report_of(register, pack), "due")
    assert [(i.what, i.record) for i in due.items if i.what == "Provider agreement expires"] == [
        ("Provider agreement expires", "hillcrest-learning-centre")]  # greystone has no live placement


# ---------------------------------------------------------------- lists

def test_unregistered_providers_in_use_list_their_ceo_approvals(known: Report) -> None:
    table: ListTable = block(known, "unregistered-providers")
    assert table.columns == ("Provider", "Placements", "Executive Principal's approval", "Approved before the start?")
    assert [[(cell.lines, cell.tone) for cell in row] for row in table.rows] == [[
        (("Brackenridge Farm Skills",), ""),
        (("riverside-2026-101 (active, from 2026-09-16)",), ""),
        (("riverside-2026-101: approved by Dr Avery Sampleton on 2026-07-06",), ""),
        (("Yes, every placement",), "ok"),
    ]]


def test_an_unregistered_placement_without_approval_is_flagged(tmp_path: Path, pack: Path) -> None:
    placement = {k: v for k, v in PLACEMENTS["riverside-2026-101"].items() if k != "ceo_approval"}
    register = make_register(tmp_path / "r", {"riverside-2026-101": placement})
    row = block(report_of(register, pack), "unregistered-providers").rows[0]
    assert (row[2].lines, row[3].lines, row[3].tone) == (
        ("riverside-2026-101: no approval recorded",), ("No: see the compliance section",), "error")


def test_the_policys_review_status(register: Path, pack: Path) -> None:
    row = block(report_of(register, pack), "policy-review").rows[0]
    assert [(cell.lines[0], cell.tone) for cell in row] == [
        ("Offsite/Alternative Provision Principles", ""),
        ("2024-03-20 by the Chair of the Education and Standards (E&S) Committee", ""),
        ("Spring Term 2026", ""),
        ("Overdue: the committee should review and re-ratify it", "warning"),
    ]
    before = block(report_of(register, pack, today="2026-03-01"), "policy-review").rows[0]
    assert (before[3].lines[0], before[3].tone) == ("In date", "ok")


# ---------------------------------------------------------------- findings by clause

def _finding(file: str, rule: str, severity: Severity, clause: str | None, record: str, waived_by: str | None = None,
             line: int = 3) -> Finding:
    return Finding(file=file, line=line, column=1, rule=rule, severity=severity,
                   message=f"Message of {rule}.", clause=clause, record=record, waived_by=waived_by)


P101 = "records/placements/oakfield/oakfield-2026-101.yaml"
P102 = "records/placements/oakfield/oakfield-2026-102.yaml"


@pytest.fixture
def with_findings(register: Path, pack: Path) -> Report:
    _, result = check(register, pack)
    findings = [
        _finding(P101, "behaviour-directed-by-principal", "error", "behaviour.direction", "oakfield-2026-101"),
        _finding(P102, "some-warning-rule", "warning", "medical", "oakfield-2026-102"),
        _finding("records/providers/brackenridge-farm-skills.yaml", "provider-staff-recorded", "warning",
                 "provider.staff", "brackenridge-farm-skills", waived_by="brackenridge-staff-training-2026"),
        _finding(P102, "placement-id-matches-file", "error", None, "oakfield-2026-102", line=1),
    ]
    return report_of(register, pack, result=dataclasses.replace(result, findings=findings))


def test_findings_are_grouped_by_clause_in_the_policys_order(with_findings: Report) -> None:
    findings: FindingsByClause = block(with_findings, "findings")
    rows = {(c.id, c.title): (len(c.errors), len(c.warnings), len(c.waived), c.verdict, c.tone)
            for c in findings.clauses}
    assert rows[("behaviour.direction", "behaviour.direction")] == (1, 0, 0, "1 error needs action", "error")
    assert rows[("medical", "medical")] == (0, 1, 0, "1 warning to note", "warning")
    assert rows[("provider.staff", "provider.staff")][:3] == (0, 0, 1)
    assert rows[(None, "Record integrity and privacy (not tied to one clause)")] == (
        1, 0, 0, "1 error needs action", "error")
    assert rows[("policy.review", "policy.review")] == (0, 0, 0, "Followed", "ok")  # checked, nothing found
    assert rows[("rationale", "rationale")] == (0, 0, 0, "No rule checks this yet", "neutral")  # not in this pack
    assert [c.id for c in findings.clauses][:3] == ["purpose.inclusion", "rationale", "purpose.limited"]
    assert [c.verdict for c in findings.clauses if c.id == "purpose.inclusion"] == ["Not machine-checkable"]


def test_findings_name_their_records_and_places(with_findings: Report) -> None:
    findings: FindingsByClause = block(with_findings, "findings")
    named = [(c.title, r.result, r.record, r.where, r.waiver) for c in findings.with_findings for r in c.findings]
    assert named == [
        ("behaviour.direction", "Error", "oakfield-2026-101", f"{P101}:3:1", None),
        ("medical", "Warning", "oakfield-2026-102", f"{P102}:3:1", None),
        ("provider.staff", "Waived", "brackenridge-farm-skills", "records/providers/brackenridge-farm-skills.yaml:3:1",
         "brackenridge-staff-training-2026"),
        ("Record integrity and privacy (not tied to one clause)", "Error", "oakfield-2026-102", f"{P102}:1:1", None),
    ]


def test_placements_by_compliance_follow_their_own_findings(with_findings: Report) -> None:
    assert bars(with_findings, "compliance") == [
        ("Compliant", 3), ("Compliant, with warnings to note", 0), ("Errors need action", 2)]
    rows = {row[0].lines[0]: (row[-1].lines[0], row[-1].tone) for row in block(with_findings, "live-placements").rows}
    assert rows["oakfield-2026-101"] == ("No: 1 error needs action", "error")
    assert rows["oakfield-2026-102"] == ("No: 1 error needs action", "error")
    assert rows["riverside-2026-101"] == ("Yes", "ok")
    assert with_findings.figures["errors"] == 2 and with_findings.figures["waived"] == 1


# ---------------------------------------------------------------- rendering

def test_html_is_self_contained_and_accessible(known: Report) -> None:
    page = render_html(known)
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "@import" not in page and "url(" not in page
    assert page.count("<table") == page.count("<caption")
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 5
    assert "@media print" in page
    assert [html.unescape(h) for h in re.findall(r"<h2 id=\"[a-z-]+\">([^<]+)</h2>", page)] == [
        "Summary", "Contents", "Who is in alternative provision, why and where", "What falls due in the next 30 days",
        "Is the policy being followed?", "Unregistered providers in use", "The policy's own review",
        "About this report"]


def test_html_escapes_record_text(tmp_path: Path, pack: Path) -> None:
    register = make_register(tmp_path / "r", PLACEMENTS)
    school = register / "records" / "schools" / "oakfield.yaml"
    school.write_text(school.read_text("utf-8").replace("name: Oakfield Academy", "name: Oakfield <b>Academy</b>"))
    page = render_html(report_of(register, pack))
    assert "Oakfield &lt;b&gt;Academy&lt;/b&gt;" in page and "<b>Academy</b>" not in page


def test_markdown_tables_for_a_pull_request_comment(known: Report) -> None:
    lines = render_markdown(known).splitlines()
    assert lines[0] == "# Alternative provision register"
    assert "| Oakfield Academy | 3 | ████████████████████ |" in lines
    assert "| Riverside Academy | 2 | ██████████████ |" in lines
    assert ("| Thu 12 Nov 2026 | ✖ Overdue by 16 days | Placement review | Review oakfield-2026-102 "
            "(Oakfield Academy, at Hillcrest Learning Centre) | oakfield-2026-102 |") in lines
    assert "| `policy.review` | 0 | 1 | 0 | ⚠ 1 warning to note |" in lines


def test_markdown_cells_escape_pipes_and_markup() -> None:
    assert markdown_cell("a | b\n<c>") == "a \\| b \\<c\\>"


@pytest.mark.parametrize(("days", "words"), [(-3, "Overdue by 3 days"), (-1, "Overdue by 1 day"), (0, "Today"),
                                             (1, "Tomorrow"), (12, "In 12 days")])
def test_due_when_in_words(days: int, words: str) -> None:
    assert due_when(days) == words


def test_long_dates() -> None:
    assert (long_date("2027-01-11"), long_date("Spring Term 2026")) == ("Mon 11 Jan 2027", "Spring Term 2026")


def test_a_due_item_is_overdue_only_before_today() -> None:
    item = DueItem("2026-11-28", 0, "Review", "Review x", "x", "x.yaml")
    assert (item.overdue, dataclasses.replace(item, days=-1).overdue) == (False, True)


# ---------------------------------------------------------------- the declaration, checked

def _load(register: Path, pack: Path) -> None:
    checker = Checker.for_root(register, pack)
    load_report_spec(checker.pack, checker.compiler)


def _broken(tmp_path: Path, old: str, new: str,
            placements: dict[str, dict[str, Any]] | None = None) -> tuple[Path, Path]:
    text = (REPO_ROOT / "rules" / "report.yaml").read_text("utf-8")
    assert old in text
    return make_register(tmp_path / "r", placements or {}), make_pack(tmp_path / "p", text.replace(old, new, 1))


def _line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(("old", "new", "message"), [
    ("    group_by: record.school\n", "    group_by: record.school +\n",
     "breakdowns.by-school.group_by: the expression stops before it is complete"),
    ("    group_by: record.school\n", "    group_by: schol.name\n",
     "breakdowns.by-school.group_by: 'schol' is not a name this rule can read. Did you mean 'school'?"),
    ("  by-school:\n    title: Placements by school\n    kind: placement\n",
     "  by-school:\n    title: Placements by school\n    kind: placemint\n",
     "breakdowns.by-school.kind: 'placemint' is not a kind in rules/pack.yaml"),
    ("    show: [by-reason, by-school, by-provider, by-status]",
     "    show: [by-reason, by-schools, by-provider, by-status]",
     "sections[0].show: there is no breakdown or list 'by-schools'"),
    ("  - {figure: live_providers, label:", "  - {figure: live_provider, label:",
     "cards[1].figure: there is no figure 'live_provider'"),
])
def test_a_broken_report_declaration_is_reported_at_its_line(tmp_path: Path, old: str, new: str,
                                                              message: str) -> None:
    register, pack = _broken(tmp_path, old, new)
    with pytest.raises(PolicyPackError) as raised:
        _load(register, pack)
    text = (pack / "rules" / "report.yaml").read_text("utf-8")
    assert raised.value.file == "rules/report.yaml"
    assert raised.value.line == _line_of(text, new.strip().splitlines()[-1].strip())
    assert raised.value.message.startswith(message)


def test_the_schema_rejects_an_unknown_field(tmp_path: Path) -> None:
    register, pack = _broken(tmp_path, "title: Alternative provision register\n",
                             "title: Alternative provision register\ncolour: blue\n")
    with pytest.raises(PolicyPackError) as raised:
        _load(register, pack)
    text = (pack / "rules" / "report.yaml").read_text("utf-8")
    assert (raised.value.file, raised.value.line) == ("rules/report.yaml", _line_of(text, "colour: blue"))
    assert "'colour' is not a field here" in raised.value.message


def test_a_figure_may_not_take_a_built_in_name(tmp_path: Path) -> None:
    register, pack = _broken(tmp_path, "  planned:\n    kind: placement", "  errors:\n    kind: placement")
    with pytest.raises(PolicyPackError) as raised:
        _load(register, pack)
    assert raised.value.message == "figures: 'errors' is a built-in name; choose another"


def test_an_expression_that_fails_on_a_record_becomes_a_note(tmp_path: Path) -> None:
    register, pack = _broken(tmp_path, "    when: record.status in settings.live_statuses\n    group_by: record.school\n",
                             "    when: record.nope\n    group_by: record.school\n",
                             {"oakfield-2026-101": PLACEMENTS["oakfield-2026-101"]})
    report = report_of(register, pack)
    assert block(report, "by-school").bars == ()
    assert report.notes == (
        "Breakdown 'Placements by school': could not be worked out for "
        "records/placements/oakfield/oakfield-2026-101.yaml (NOT_FOUND: Key not found in map : \"nope\").",)


# ---------------------------------------------------------------- a pack about something else

TINY_REPORT = """\
title: Shop orders
headline: "{orders} {orders == 1 ? 'order' : 'orders'}; {errors} {errors == 1 ? 'error' : 'errors'}."
figures:
  orders: {kind: order}
sections:
  - {id: orders, title: Orders, show: [by-shop, big-orders, findings]}
breakdowns:
  by-shop: {title: Orders by shop, kind: order, group_by: record.shop, label: "{shop.name}", group_title: Shop}
lists:
  big-orders:
    title: Orders with more than one item
    kind: order
    when: size(record.items) > 1
    columns:
      - {title: Order, value: record.id}
      - {title: Items, value: record.items}
"""


def test_the_engine_reports_a_register_about_anything(tiny_register: Path) -> None:
    write_files(tiny_register, {
        "rules/report.yaml": TINY_REPORT,
        "records/orders/o-2.yaml": "id: o-2\nshop: mill\ncustomer: c-2\nitems: [bread]\n",
        "records/orders/o-3.yaml": "id: o-3\nshop: corner\ncustomer: c-3\nitems: [a, b, c, d]\n",
    })
    report = report_of(tiny_register, tiny_register, today="2026-01-01")
    assert report.headline == "3 orders; 2 errors."
    assert bars(report, "by-shop") == [("Corner Shop", 2), ("Mill Shop", 1)]
    assert [[c.lines for c in row] for row in block(report, "big-orders").rows] == [
        [("o-1",), ("tea", "milk")], [("o-3",), ("a", "b", "c", "d")]]
    clauses = [(c.title, c.verdict) for c in block(report, "findings").clauses]
    assert clauses == [("orders.small", "1 error needs action"), ("orders.shop", "1 error needs action"),
                       ("Not tied to one clause", "Followed")]


def test_a_pack_without_a_report_declaration_gets_findings_by_clause(tiny_register: Path) -> None:
    report = report_of(tiny_register, tiny_register, today="2026-01-01")
    assert report.title == "Policy compliance report"
    assert report.headline == "0 errors need action; 0 warnings to note."
    assert [s.title for s in report.sections] == ["Is the policy being followed?"]
    assert "<h1>Policy compliance report</h1>" in render_html(report)


def test_markdown_dates_that_are_not_dates_are_escaped() -> None:
    from ap_lint.output.report.render import _environment
    template = _environment(autoescape=False).from_string("{{ value|long_date }}")
    assert template.render(value="2027-01-11") == "Mon 11 Jan 2027"
    assert template.render(value="![x](https://evil.example/p.png) @team") == (
        "!\\[x\\](https\u200b://evil.example/p.png) @\u200bteam")
