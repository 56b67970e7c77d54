"""The schemas editors read: generated from the source schemas, current, and shown right by the YAML server.

The YAML server tests drive yaml-language-server itself (the server behind VS Code's YAML extension), pinned
and installed by .ci/run; they skip with the reason when node or the package is absent.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from ap_lint.editor_schemas import editor_files, editor_schema, stale_files
from ap_lint.pack import load_pack
from tests.conftest import REPO_ROOT
from tests.lspclient import change_document, lsp_session, open_document, position_of, wait_for_diagnostics

YAML_SERVER_VERSION = "1.25.0"
YAML_SERVER = Path(os.environ.get(
    "AP_LINT_YAML_LANGUAGE_SERVER",
    Path.home() / ".cache/ap-lint-ci/yls/node_modules/yaml-language-server/bin/yaml-language-server"))
PLACEMENT = "records/placements/riverside/riverside-2026-001.yaml"
DATE_MESSAGE = ("Write dates as YYYY-MM-DD without quotes, for example 2026-09-07, and check that the date "
                "exists (there is no 2026-02-30).")


def test_generated_editor_files_are_current(run_cli: Any) -> None:
    """The committed schemas/editor/ and .vscode/settings.json are what `ap-lint editor-schemas` writes."""
    stale = stale_files(editor_files(load_pack(REPO_ROOT), REPO_ROOT))
    assert stale == [], f"run `ap-lint editor-schemas`: stale {stale}"
    done = run_cli("editor-schemas", "--check")
    assert done.returncode == 0, done.stderr


def test_check_fails_when_a_source_schema_changes(tmp_path: Path, run_cli: Any) -> None:
    """Editing a source schema's text without regenerating makes --check fail, naming the stale file."""
    root = tmp_path / "pack"
    for folder in ("rules", "schemas", "policy", ".vscode"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    shutil.copytree(REPO_ROOT / "records", root / "records")
    source = root / "schemas/placement.schema.json"
    schema = json.loads(source.read_text("utf-8"))
    schema["properties"]["start_date"]["description"] = "The first day, changed."
    source.write_text(json.dumps(schema, indent=2), "utf-8")
    done = run_cli("editor-schemas", "--check", cwd=root)
    assert done.returncode == 1
    assert "schemas/editor/placement.schema.json is out of date: run `ap-lint editor-schemas`" in done.stderr
    assert run_cli("editor-schemas", cwd=root).returncode == 0
    written = json.loads((root / "schemas/editor/placement.schema.json").read_text("utf-8"))
    assert written["properties"]["start_date"]["description"] == "The first day, changed."
    assert run_cli("editor-schemas", "--check", cwd=root).returncode == 0


def test_a_field_keeps_its_own_text_over_the_shared_definition() -> None:
    """`$ref` is inlined with the field's own keywords winning; x-message becomes the editor's messages."""
    source = {
        "$defs": {"day": {"title": "Date", "description": "Any date.", "type": "string",
                          "pattern": "^[0-9]{4}$", "x-message": "Write a date."}},
        "properties": {
            "begins": {"$ref": "#/$defs/day", "title": "Begins", "description": "When it begins."},
            "ends": {"$ref": "#/$defs/day", "x-message": "Write the end date."},
            "other": {"type": "integer", "x-message": "A whole number."},
        },
    }
    out = editor_schema(source, "x.schema.json")
    begins, ends, other = (out["properties"][name] for name in ("begins", "ends", "other"))
    assert (begins["title"], begins["description"], begins["type"]) == ("Begins", "When it begins.", "string")
    assert begins["patternErrorMessage"] == begins["errorMessage"] == "Write a date."
    assert ends["title"] == "Date" and ends["patternErrorMessage"] == "Write the end date."
    assert other["errorMessage"] == "A whole number." and "patternErrorMessage" not in other
    assert "$ref" not in json.dumps(out) and "$defs" not in out
    assert "x.schema.json" in out["$comment"]


# --- yaml-language-server itself ---------------------------------------------------------------------------

def _yaml_server_command() -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (.ci/run installs it with yaml-language-server)")
    if not YAML_SERVER.is_file():
        pytest.skip(f"yaml-language-server {YAML_SERVER_VERSION} is not installed at {YAML_SERVER} "
                    "(.ci/run installs it; or set AP_LINT_YAML_LANGUAGE_SERVER)")
    return [node, str(YAML_SERVER), "--stdio"]


def _workspace(tmp_path: Path) -> Path:
    """A register as the data team opens it: records, schemas and the project's .vscode/settings.json."""
    root = tmp_path / "register"
    for folder in ("records", "schemas", ".vscode"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    return root


async def _yaml_session_run(root: Path, body: Any) -> Any:
    settings = json.loads((root / ".vscode/settings.json").read_text("utf-8"))
    yaml_settings: dict[str, Any] = {}
    for key, value in settings.items():
        if key.startswith("yaml."):
            section = yaml_settings
            *parents, name = key[len("yaml."):].split(".")
            for part in parents:
                section = section.setdefault(part, {})
            section[name] = value
    async with lsp_session(_yaml_server_command(), root) as client:
        client.set_configuration({"yaml": yaml_settings, "http": {}, "[yaml]": {}, "editor": {}, "files": {}})
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"yaml": yaml_settings}))
        return await body(client)


def _hover_text(hover: types.Hover | None) -> str:
    assert hover is not None
    contents = hover.contents
    if isinstance(contents, types.MarkupContent):
        return contents.value
    if isinstance(contents, list):
        return "\n".join(c if isinstance(c, str) else c.value for c in contents)
    return contents if isinstance(contents, str) else contents.value


@pytest.mark.slow
def test_yaml_server_hover_shows_each_fields_own_text(tmp_path: Path) -> None:
    """Hovering start_date, planned_end_date and provider shows three different texts, each the field's own."""
    command = _yaml_server_command()
    assert command
    root = _workspace(tmp_path)
    path = root / PLACEMENT
    text = path.read_text("utf-8")
    own = json.loads((REPO_ROOT / "schemas/placement.schema.json").read_text("utf-8"))["properties"]

    async def body(client: Any) -> list[str]:
        uri = open_document(client, path)
        await wait_for_diagnostics(client, uri, lambda found: True)
        texts = []
        for field in ("start_date", "planned_end_date", "provider"):
            hover = await client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(text, f"\n{field}:", 2)))
            texts.append(_hover_text(hover))
        return texts

    texts = asyncio.run(_yaml_session_run(root, body))
    assert len(set(texts)) == 3, texts
    for field, shown in zip(("start_date", "planned_end_date", "provider"), texts):
        assert own[field]["title"] in shown, (field, shown)
        assert own[field]["description"].split(",")[0] in shown, (field, shown)
    assert "lower-case letters" not in texts[2]  # not the shared id definition's text


@pytest.mark.slow
def test_yaml_server_shows_the_plain_english_message_for_a_wrong_date(tmp_path: Path) -> None:
    """A date written 14/09/2026 or 2026-13-45 shows the schema's x-message, not the regex or RFC 3339."""
    command = _yaml_server_command()
    assert command
    root = _workspace(tmp_path)
    path = root / PLACEMENT
    text = path.read_text("utf-8")
    line = text[:text.index("\nstart_date:")].count("\n") + 1

    async def body(client: Any) -> tuple[list[types.Diagnostic], list[types.Diagnostic], list[types.Diagnostic]]:
        uri = open_document(client, path)
        clean = await wait_for_diagnostics(client, uri, lambda found: True)
        change_document(client, uri, 2, text.replace("start_date: 2026-10-06", "start_date: 14/10/2026"))
        pattern = await wait_for_diagnostics(client, uri, lambda found: any(d.range.start.line == line
                                                                            for d in found))
        change_document(client, uri, 3, text.replace("start_date: 2026-10-06", "start_date: 2026-13-45"))
        fmt = await wait_for_diagnostics(client, uri, lambda found: any(
            d.range.start.line == line and "13-45" not in d.message for d in found))
        return clean, pattern, fmt

    clean, pattern, fmt = asyncio.run(_yaml_session_run(root, body))
    assert [d.message for d in clean if d.range.start.line == line] == []
    for found in (pattern, fmt):
        messages = [d.message for d in found if d.range.start.line == line]
        assert messages == [DATE_MESSAGE], messages


def test_a_register_using_another_pack_is_told_where_the_pack_is(register_copy: Path, run_cli: Any) -> None:
    """It never writes into an installed pack: one line saying where the pack and its editor schemas are."""
    done = run_cli("editor-schemas", cwd=register_copy)
    assert done.returncode == 2
    assert done.stderr.startswith("ap-lint: error: ap-lint editor-schemas writes into the policy pack")
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (register_copy / "schemas").exists() and not (register_copy / ".vscode").exists()
