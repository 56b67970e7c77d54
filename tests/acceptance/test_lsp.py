"""`ap-lint lsp` driven by a real LSP client over stdio, on a copy of the example register.

Each test opens a record, types a mistake, sees the diagnostic on the right line with the rule id and the
policy clause, then fixes it (by hand or with the quick fix the finding carries) and sees it clear.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest
from lsprotocol import types

from tests.conftest import REPO_ROOT
from tests.lspclient import change_document, lsp_session, open_document, position_of, wait_for_diagnostics

pytestmark = pytest.mark.slow  # each starts the language server and drives it over stdio

TODAY = "2026-11-28"
PLACEMENT = "records/placements/riverside/riverside-2026-001.yaml"
PROVIDER = "records/providers/brackenridge-farm-skills.yaml"


def _register(tmp_path: Path) -> Path:
    root = tmp_path / "register"
    shutil.copytree(REPO_ROOT / "records", root / "records")
    return root


def _run(root: Path, body: Callable[[Any], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with lsp_session([sys.executable, "-m", "ap_lint", "lsp", "--stdio"], root,
                               options={"today": TODAY, "debounce_ms": 20}) as client:
            return await body(client)
    return asyncio.run(main())


def _line_of(text: str, needle: str) -> int:
    """0-based line of the first ``needle``."""
    return text[:text.index(needle)].count("\n")


def _on(line: int, code: str) -> Callable[[list[types.Diagnostic]], bool]:
    return lambda found: any(d.range.start.line == line and d.code == code for d in found)


def _errors(found: list[types.Diagnostic]) -> list[types.Diagnostic]:
    return [d for d in found if d.severity == types.DiagnosticSeverity.Error]


def test_unquoted_time_shows_on_its_line_and_the_quick_fix_clears_it(tmp_path: Path) -> None:
    root = _register(tmp_path)
    path = root / PLACEMENT
    text = path.read_text("utf-8")
    broken = text.replace('end: "12:30"', "end: 15:00", 1)
    line = _line_of(broken, "end: 15:00")

    async def body(client: Any) -> None:
        uri = open_document(client, path)
        clean = await wait_for_diagnostics(client, uri, lambda found: True)
        assert _errors(clean) == []
        change_document(client, uri, 2, broken)
        found = await wait_for_diagnostics(client, uri, _on(line, "yaml-sexagesimal"))
        diagnostic = next(d for d in found if d.code == "yaml-sexagesimal")
        assert diagnostic.severity == types.DiagnosticSeverity.Error
        assert (diagnostic.range.start.character, diagnostic.range.end.character) == (9, 14)
        assert 'Write times in quotes: "15:00"' in diagnostic.message
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic])))
        assert [a.title for a in actions] == ['Put the time in quotes: "15:00"']
        edit = actions[0].edit.changes[uri][0]
        lines = broken.split("\n")
        row = lines[edit.range.start.line]
        lines[edit.range.start.line] = row[:edit.range.start.character] + edit.new_text + row[edit.range.end.character:]
        fixed = "\n".join(lines)
        assert 'end: "15:00"' in fixed
        change_document(client, uri, 3, fixed)
        after = await wait_for_diagnostics(client, uri, lambda found: not _on(line, "yaml-sexagesimal")(found))
        assert _errors(after) == []

    _run(root, body)


def test_an_invalid_date_shows_on_its_line_and_clears_when_fixed(tmp_path: Path) -> None:
    root = _register(tmp_path)
    path = root / PLACEMENT
    text = path.read_text("utf-8")
    broken = text.replace("start_date: 2026-10-06", "start_date: 2026-02-30")
    line = _line_of(broken, "start_date:")

    async def body(client: Any) -> None:
        uri = open_document(client, path)
        await wait_for_diagnostics(client, uri, lambda found: True)
        change_document(client, uri, 2, broken)
        found = await wait_for_diagnostics(client, uri, _on(line, "yaml-invalid-date"))
        diagnostic = next(d for d in found if d.code == "yaml-invalid-date")
        assert diagnostic.range.start.character == len("start_date: ")
        assert "2026-02-30 is not a real calendar date" in diagnostic.message
        change_document(client, uri, 3, text)
        after = await wait_for_diagnostics(client, uri, lambda found: not _on(line, "yaml-invalid-date")(found))
        assert _errors(after) == []

    _run(root, body)


def test_a_missing_approval_at_an_unregistered_provider_cites_the_rule_and_clause(tmp_path: Path) -> None:
    root = _register(tmp_path)
    path = root / PLACEMENT
    text = path.read_text("utf-8")
    approval = "ceo_approval:\n  name: Dr Avery Sampleton\n  date: 2026-09-17\n"
    assert approval in text
    broken = text.replace(approval, "")
    line = _line_of(broken, "\nprovider:") + 1

    async def body(client: Any) -> str:
        uri = open_document(client, path)
        await wait_for_diagnostics(client, uri, lambda found: True)
        change_document(client, uri, 2, broken)
        found = await wait_for_diagnostics(client, uri, _on(line, "unregistered-provider-approved"))
        diagnostic = next(d for d in found if d.code == "unregistered-provider-approved")
        assert diagnostic.severity == types.DiagnosticSeverity.Error
        assert diagnostic.range.start.character == len("provider: ")
        assert diagnostic.message.endswith("(unregistered.approval)")
        assert "Executive Principal" in diagnostic.message
        assert diagnostic.data["clause"] == "unregistered.approval"
        assert diagnostic.code_description is not None
        assert diagnostic.code_description.href.endswith("rules.md#unregistered-provider-approved")
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=diagnostic.range.start))
        change_document(client, uri, 3, text)
        after = await wait_for_diagnostics(client, uri,
                                           lambda found: not _on(line, "unregistered-provider-approved")(found))
        assert _errors(after) == []
        return str(hover.contents.value)

    hover_text = _run(root, body)
    # the hover is `ap-lint explain unregistered-provider-approved`
    assert "unregistered-provider-approved" in hover_text and "unregistered.approval" in hover_text


def test_a_change_in_one_file_shows_what_it_breaks_in_another_open_file(tmp_path: Path) -> None:
    """Renaming the provider's id in its (unsaved) file breaks the open placement that names it; a waived
    finding shows as a hint."""
    root = _register(tmp_path)
    placement, provider = root / PLACEMENT, root / PROVIDER
    provider_text = "\n".join(line for line in provider.read_text("utf-8").split("\n")
                               if not line.startswith("  experience:"))
    line = _line_of(placement.read_text("utf-8"), "\nprovider:") + 1

    async def body(client: Any) -> list[types.Diagnostic]:
        placement_uri = open_document(client, placement)
        provider_uri = open_document(client, provider, provider_text)
        await wait_for_diagnostics(client, placement_uri, lambda found: True)
        waived = await wait_for_diagnostics(client, provider_uri, lambda found: any(
            d.code == "provider-staff-recorded" for d in found))
        hint = next(d for d in waived if d.code == "provider-staff-recorded")
        assert hint.severity == types.DiagnosticSeverity.Hint
        assert hint.message.startswith("Waived by brackenridge-staff-training-2026: ")
        change_document(client, provider_uri, 2,
                        provider_text.replace("id: brackenridge-farm-skills", "id: brackenridge-farm"))
        return await wait_for_diagnostics(client, placement_uri, lambda found: any(
            d.range.start.line == line and d.severity == types.DiagnosticSeverity.Error for d in found))

    found = _run(root, body)
    assert any(d.range.start.line == line and isinstance(d.code, str) for d in found)


def test_a_misspelt_field_offers_the_nearest_name(tmp_path: Path) -> None:
    root = _register(tmp_path)
    path = root / PLACEMENT
    broken = path.read_text("utf-8").replace("planned_end_date:", "planed_end_date:")
    line = _line_of(broken, "planed_end_date:")

    async def body(client: Any) -> list[str]:
        uri = open_document(client, path, broken)
        found = await wait_for_diagnostics(client, uri, lambda found: any(
            d.range.start.line == line and "'planed_end_date' is not a placement field" in d.message for d in found))
        diagnostic = next(d for d in found if d.range.start.line == line)
        assert diagnostic.code == "schema"  # a spelling problem outside the pupil block, not a privacy one
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic])))
        edits = [a.edit.changes[uri][0] for a in actions]
        return [f"{a.title}|{e.range.start.line}:{e.range.start.character}-{e.range.end.character}|{e.new_text}"
                for a, e in zip(actions, edits)]

    assert _run(root, body) == [f"Rename to 'planned_end_date'|{line}:0-15|planned_end_date"]


def test_a_keystroke_on_a_1000_placement_register_is_answered_within_300_ms(tmp_path: Path) -> None:
    """Warm: the median time from a change to its diagnostics, debounce included (bench/lsp.py measures it)."""
    from bench.lsp import measure

    register = tmp_path / "register-1000"
    subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "generate.py"), "--placements", "1000",
                    str(register)], check=True, capture_output=True)
    result = asyncio.run(measure(register, keystrokes=10, debounce_ms=None))
    assert result["median"] < 0.3, result
