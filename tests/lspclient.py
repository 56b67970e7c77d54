"""A real LSP client (pytest-lsp's, on pygls) for tests that drive a language server over stdio."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, AsyncIterator

from lsprotocol import types
from pytest_lsp import LanguageClient
from pytest_lsp.client import make_test_lsp_client


@contextlib.asynccontextmanager
async def lsp_session(command: list[str], root: Path, options: Any = None,
                      env: dict[str, str] | None = None) -> AsyncIterator[LanguageClient]:
    """Start the server, initialise it for the workspace at ``root``, yield the client, shut it down."""
    client = make_test_lsp_client()
    await client.start_io(*command, env=env)
    try:
        await asyncio.wait_for(client.initialize_session(types.InitializeParams(
            capabilities=types.ClientCapabilities(
                text_document=types.TextDocumentClientCapabilities(
                    hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown,
                                                                        types.MarkupKind.PlainText]),
                    publish_diagnostics=types.PublishDiagnosticsClientCapabilities(),
                ),
                workspace=types.WorkspaceClientCapabilities(configuration=True),
            ),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options,
        )), timeout=60)
        yield client
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), timeout=10)
        with contextlib.suppress(Exception):
            await client.stop()


def open_document(client: LanguageClient, path: Path, text: str | None = None) -> str:
    """Send didOpen for ``path`` (with ``text``, default: its content on disk); returns its URI."""
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="yaml", version=1, text=path.read_text("utf-8") if text is None else text)))
    return uri


def change_document(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """Send a full-text didChange."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def wait_for_diagnostics(client: LanguageClient, uri: str, predicate: Any,
                               timeout: float = 20.0) -> list[types.Diagnostic]:
    """Wait until the diagnostics published for ``uri`` satisfy ``predicate``; return them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        current = client.diagnostics.get(uri)
        if current is not None and predicate(current):
            return list(current)
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"no diagnostics for {uri} satisfied the test within {timeout} s; "
                                 f"last: {[(d.range.start.line, d.code, d.message) for d in current or []]}")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS),
                                   timeout=min(remaining, 1.0))


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position of the first ``needle`` in ``text`` (plus ``offset`` characters)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))
