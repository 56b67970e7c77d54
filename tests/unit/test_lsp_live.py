"""The live register behind `ap-lint lsp`: unsaved texts over the disk's, checked incrementally, give exactly
the findings a full check of the same files gives."""

from __future__ import annotations

import shutil
from pathlib import Path

from ap_lint.checker import Checker, CheckOptions
from ap_lint.live import LiveRegister
from tests.conftest import REPO_ROOT

TODAY = "2026-11-28"
PLACEMENT = "records/placements/riverside/riverside-2026-001.yaml"
PROVIDER = "records/providers/brackenridge-farm-skills.yaml"


def _full_check(checker: Checker, root: Path, texts: dict[str, str], tmp_path: Path) -> list[dict[str, object]]:
    """A cold `ap-lint check` of a copy of ``root`` with ``texts`` written to disk."""
    copy = tmp_path / f"full-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(root / "records", copy / "records")
    for file, text in texts.items():
        (copy / file).write_text(text, "utf-8")
    result = checker.check(CheckOptions(root=copy, today=TODAY, jobs=1))
    return [f.as_dict() for f in result.findings]


def test_incremental_checks_with_unsaved_texts_match_full_checks(tmp_path: Path) -> None:
    root = tmp_path / "register"
    shutil.copytree(REPO_ROOT / "records", root / "records")
    placement = (root / PLACEMENT).read_text("utf-8")
    provider = (root / PROVIDER).read_text("utf-8")
    approval = "ceo_approval:\n  name: Dr Avery Sampleton\n  date: 2026-09-17\n"
    steps = [
        {},
        {PLACEMENT: placement.replace(approval, "")},                                   # a rule breaks
        {PLACEMENT: placement},                                                          # and is fixed
        {PROVIDER: provider.replace("id: brackenridge-farm-skills", "id: brackenridge-farm")},  # breaks another
        {PROVIDER: provider.replace("id: brackenridge-farm-skills", "id: brackenridge-farm"),
         PLACEMENT: placement.replace("start_date: 2026-10-06", "start_date: 2026-02-30")},
        {PLACEMENT: placement.replace('end: "12:30"', "end: 15:00", 1)},
        {"records/placements/riverside/riverside-2026-009.yaml":                         # a new, unsaved file
         placement.replace("riverside-2026-001", "riverside-2026-009")},
        {},
    ]
    live = LiveRegister(root, today=TODAY)
    checker = Checker.for_root(root)
    for index, texts in enumerate(steps):
        found = [f.as_dict() for f in live.check(texts).findings]
        assert found == _full_check(checker, root, texts, tmp_path), f"step {index}"
    assert any(f["rule"] == "unregistered-provider-approved" and f["file"] == PLACEMENT
               for f in [f.as_dict() for f in live.check(steps[1]).findings])


def test_only_the_changed_record_and_its_relations_are_evaluated_again(tmp_path: Path) -> None:
    root = tmp_path / "register"
    shutil.copytree(REPO_ROOT / "records", root / "records")
    live = LiveRegister(root, today=TODAY)
    live.check({})
    text = (root / PLACEMENT).read_text("utf-8")
    live.check({PLACEMENT: text.replace("rationale: Two", "rationale: Three")})
    evaluator = live._evaluator[1] if live._evaluator else None
    assert evaluator is not None and evaluator.stale is not None
    assert PLACEMENT in evaluator.stale
    assert len(evaluator.stale) < len(live.disk) / 2


def test_the_library_call_checks_unsaved_texts_in_place_of_the_files(tmp_path: Path) -> None:
    """`ap_lint.check(root, overrides={file: text})`: the text is checked, the file on disk is left alone."""
    import ap_lint

    root = tmp_path / "register"
    shutil.copytree(REPO_ROOT / "records", root / "records")
    on_disk = (root / PLACEMENT).read_text("utf-8")
    broken = on_disk.replace('end: "12:30"', "end: 15:00", 1)
    line = broken[:broken.index("end: 15:00")].count("\n") + 1
    result = ap_lint.check(root, today=TODAY, overrides={PLACEMENT: broken})
    assert [(f.file, f.line, f.column, f.rule) for f in result.errors] == [(PLACEMENT, line, 10, "yaml-sexagesimal")]
    assert result.errors[0].fixes[0].text == '"15:00"'
    assert (root / PLACEMENT).read_text("utf-8") == on_disk
    assert ap_lint.check(root, today=TODAY, overrides={}).errors == []
