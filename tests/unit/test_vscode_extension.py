"""The VS Code extension (editors/vscode/): a manifest VS Code accepts, starting the server the CLI has."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from ap_lint.cli import cli
from tests.conftest import REPO_ROOT

EXTENSION = REPO_ROOT / "editors" / "vscode"


def test_the_manifest_starts_ap_lint_lsp_and_brings_the_yaml_extension() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text("utf-8"))
    assert (EXTENSION / manifest["main"]).is_file()
    assert manifest["engines"]["vscode"].startswith("^1.")
    assert "redhat.vscode-yaml" in manifest["extensionPack"]
    assert manifest["activationEvents"] == ["workspaceContains:records/**/*.yaml"]
    command = manifest["contributes"]["configuration"]["properties"]["ap-lint.command"]["default"]
    assert command[:2] == ["ap-lint", "lsp"] and cli.get_command(None, "lsp") is not None
    # pinned exactly, so the packaged extension is reproducible
    assert all(version[0].isdigit() for version in manifest["dependencies"].values())
    recommended = json.loads((REPO_ROOT / ".vscode" / "extensions.json").read_text("utf-8"))["recommendations"]
    assert "redhat.vscode-yaml" in recommended


def test_the_client_is_valid_javascript() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    done = subprocess.run([node, "--check", str(EXTENSION / "extension.js")], capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, done.stderr
