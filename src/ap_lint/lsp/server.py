"""`ap-lint lsp`: a language server over stdio that shows ap-lint's findings as you type.

On open and on change (debounced) it checks the register the file belongs to, with
every open editor's text in place of the file on disk, and publishes the findings of
each open file: the YAML traps, the schema's findings and the rules' (the rule id as
the diagnostic's code, the policy clause in the message, a link to the rule's
reference), errors as errors, warnings as warnings, waived findings as hints. A change
in one file that breaks another open file shows there too. Findings that carry a
mechanical fix offer it as a quick fix; hovering a finding shows the rule explained.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml
from lsprotocol import types
from pygls.lsp.server import LanguageServer

from ap_lint import __version__
from ap_lint.errors import ApLintError
from ap_lint.findings import Finding
from ap_lint.cli.common import cache_directory
from ap_lint.live import LiveRegister
from ap_lint.load.register import find_register_root
from ap_lint.output.ruledocs import explain

SOURCE = "ap-lint"
DEFAULT_DEBOUNCE_SECONDS = 0.1
logger = logging.getLogger(__name__)


@dataclass
class _Published:
    """What was last published for one open document, to answer hovers and code actions."""

    findings: list[tuple[Finding, types.Diagnostic]] = field(default_factory=list)


class ApLintServer(LanguageServer):
    """The language server: registers by root, open texts by URI, debounced checks."""

    def __init__(self) -> None:
        super().__init__("ap-lint", __version__)
        self.registers: dict[Path, LiveRegister] = {}
        self.broken: dict[Path, str] = {}
        self.published: dict[str, _Published] = {}
        self.debounce = DEFAULT_DEBOUNCE_SECONDS
        self.today: str | None = None
        self._pending: dict[Path, asyncio.TimerHandle] = {}
        #: seconds each check took, newest last (for tests and `ap-lint lsp` timing)
        self.timings: list[float] = []

    # --- registers and documents -------------------------------------------------------------------------

    def register_for(self, uri: str) -> tuple[LiveRegister, str] | None:
        """The register a document belongs to and its path in it, or None (not a file of a register)."""
        path = uri_to_path(uri)
        if path is None:
            return None
        root = find_register_root(path.parent)
        if root is None or root in self.broken:
            return None
        live = self.registers.get(root)
        if live is None:
            try:
                live = self.registers[root] = LiveRegister(root, today=self.today, cache_dir=cache_directory(root))
            except ApLintError as error:
                self.broken[root] = str(error)
                self.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Error, message=f"ap-lint cannot check {root}: {error}"))
                return None
        try:
            relative = path.resolve().relative_to(root).as_posix()
        except ValueError:
            return None
        return live, relative

    def open_texts(self, root: Path) -> dict[str, tuple[str, str]]:
        """file -> (uri, text) of every open document inside the register at ``root``."""
        texts: dict[str, tuple[str, str]] = {}
        for uri, document in self.workspace.text_documents.items():
            path = uri_to_path(uri)
            if path is None:
                continue
            try:
                relative = path.resolve().relative_to(root).as_posix()
            except ValueError:
                continue
            texts[relative] = (uri, document.source)
        return texts

    def schedule(self, uri: str, delay: float | None = None) -> None:
        """Check the register of ``uri`` after the debounce delay (a newer change restarts the wait)."""
        found = self.register_for(uri)
        if found is None:
            return
        live = found[0]
        pending = self._pending.pop(live.root, None)
        if pending is not None:
            pending.cancel()
        loop = asyncio.get_running_loop()
        self._pending[live.root] = loop.call_later(self.debounce if delay is None else delay, self.run_check, live)

    def run_check(self, live: LiveRegister) -> None:
        """Check the register with the open texts and publish every open document's findings."""
        self._pending.pop(live.root, None)
        started = time.perf_counter()
        opened = self.open_texts(live.root)
        try:
            result = live.check({file: text for file, (_uri, text) in opened.items()})
        except Exception as error:  # noqa: BLE001 - a bug must not stop the editor's server
            logger.exception("check failed")
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error,
                                                           message=f"ap-lint: internal error: {error}"))
            return
        by_file: dict[str, list[Finding]] = {}
        for finding in result.findings:
            by_file.setdefault(finding.file, []).append(finding)
        for file, (uri, text) in opened.items():
            lines = text.split("\n")
            fixes = _FixFinder(text)
            pairs = [(f, to_diagnostic(f, lines, live, fixes)) for f in by_file.get(file, [])]
            self.published[uri] = _Published(pairs)
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=uri, diagnostics=[d for _, d in pairs],
                version=self.workspace.get_text_document(uri).version))
        self.timings.append(time.perf_counter() - started)


server = ApLintServer()


@server.feature(types.INITIALIZE)
def initialize(ls: ApLintServer, params: types.InitializeParams) -> None:
    """Options from the client: ``debounce_ms`` (default 100) and ``today`` (YYYY-MM-DD, for tests)."""
    options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
    if isinstance(options.get("debounce_ms"), (int, float)):
        ls.debounce = max(0.0, float(options["debounce_ms"]) / 1000)
    if isinstance(options.get("today"), str):
        ls.today = options["today"]


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: ApLintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: ApLintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: ApLintServer, params: types.DidSaveTextDocumentParams) -> None:
    found = ls.register_for(params.text_document.uri)
    if found is not None:
        found[0].reload_file(found[1])
        ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ApLintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.published.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    found = ls.register_for(uri)
    if found is not None:
        found[0].reload_file(found[1])  # the text on disk counts again
        for other in ls.open_texts(found[0].root).values():
            ls.schedule(other[0])
            break


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: ApLintServer, params: types.DidChangeWatchedFilesParams) -> None:
    roots = set()
    for change in params.changes:
        found = ls.register_for(change.uri)
        if found is not None:
            roots.add(found[0].root)
    for root in roots:
        ls.registers[root].reload()
        for uri, _text in ls.open_texts(root).values():
            ls.schedule(uri)
            break


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: ApLintServer, params: types.HoverParams) -> types.Hover | None:
    """On a finding: the rule explained (`ap-lint explain`), or the finding's message."""
    published = ls.published.get(params.text_document.uri)
    if published is None:
        return None
    position = params.position
    parts: list[str] = []
    for finding, diagnostic in published.findings:
        if not _contains(diagnostic.range, position):
            continue
        found = ls.register_for(params.text_document.uri)
        text = explain(found[0].checker.pack, found[0].checker.rules, finding.rule) if found else None
        parts.append(text if text else f"**{finding.rule}**: {finding.message}")
    if not parts:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)))


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_action(ls: ApLintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """The mechanical fixes the findings in the range carry (quote a time, write the ISO date, a field's name)."""
    published = ls.published.get(params.text_document.uri)
    if published is None:
        return []
    actions = []
    for _finding, diagnostic in published.findings:
        if not _overlaps(diagnostic.range, params.range):
            continue
        data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
        for fix in data.get("fixes", []):
            edit = types.TextEdit(range=_range_from(fix["range"]), new_text=fix["text"])
            actions.append(types.CodeAction(
                title=fix["title"], kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                is_preferred=len(data["fixes"]) == 1,
                edit=types.WorkspaceEdit(changes={params.text_document.uri: [edit]})))
    return actions


# --- findings as diagnostics ---------------------------------------------------------------------------------

def to_diagnostic(finding: Finding, lines: list[str], live: LiveRegister, fixes: "_FixFinder") -> types.Diagnostic:
    """One finding as an LSP diagnostic on its line, from its column to the end of the value there."""
    line = max(finding.line - 1, 0)
    text = lines[line] if line < len(lines) else ""
    start = min(max(finding.column - 1, 0), len(text))
    end = _value_end(text, start)
    start, end = _utf16(text, start), _utf16(text, end)
    if finding.is_waived:
        severity = types.DiagnosticSeverity.Hint
        message = f"Waived by {finding.waived_by}: {finding.message}"
    else:
        severity = types.DiagnosticSeverity.Error if finding.severity == "error" else types.DiagnosticSeverity.Warning
        message = finding.message
    if finding.clause:
        message += f" ({finding.clause})"
    data: dict[str, Any] = {"rule": finding.rule, "clause": finding.clause, "explain": f"ap-lint explain {finding.rule}"}
    edits = fixes.edits(finding)
    if edits:
        data["fixes"] = edits
    reference = live.checker.pack.root / "docs" / "rules.md"
    described = any(rule.id == finding.rule for rule in live.checker.rules) and reference.is_file()
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=line, character=start), end=types.Position(line=line, character=end)),
        message=message, severity=severity, code=finding.rule, source=SOURCE,
        code_description=types.CodeDescription(href=f"{reference.as_uri()}#{finding.rule}") if described else None,
        data=data)


def _value_end(text: str, start: int) -> int:
    """Where the value starting at ``start`` ends on its line: the closing quote, or before a comment."""
    if start < len(text) and text[start] in "\"'":
        close = text.find(text[start], start + 1)
        return close + 1 if close > 0 else len(text)
    comment = text.find(" #", start)
    end = comment if comment >= 0 else len(text)
    while end > start and text[end - 1] in " \t":
        end -= 1
    return end if end > start else len(text)


class _FixFinder:
    """The text ranges a finding's fixes replace, found in the YAML nodes of the open text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self._nodes: dict[tuple[int, int], tuple[yaml.Node | None, yaml.Node]] | None = None
        self._keys: dict[tuple[int, int], tuple[yaml.Node | None, yaml.Node]] = {}

    def edits(self, finding: Finding) -> list[dict[str, Any]]:
        if not finding.fixes:
            return []
        where = (finding.line - 1, finding.column - 1)
        # a finding about a key (an unknown field) is placed at the key; others at the value
        entry = self._keys.get(where) if finding.at_key and self.nodes() is not None else None
        entry = entry or self.nodes().get(where)
        if entry is None:
            return []
        found = []
        for fix in finding.fixes:
            node = entry[0] if fix.target == "key" else entry[1]
            if node is None:
                continue
            (start_line, start_column), text = (node.start_mark.line, node.start_mark.column), fix.text
            end = _content_end(node)
            colon = self._colon_after(entry[0]) if fix.target == "value" and _is_block(node) else None
            if colon is not None and colon[0] < start_line:
                # a block list or mapping below its field's name: the value replacing it goes on the name's line
                (start_line, start_column), text = colon, " " + fix.text
            found.append({"title": fix.title, "text": text, "range": {
                "start": {"line": start_line, "character": self._utf16(start_line, start_column)},
                "end": {"line": end.line, "character": self._utf16(end.line, end.column)}}})
        return found

    def _colon_after(self, key: yaml.Node | None) -> tuple[int, int] | None:
        """(line, column) just after the ':' that follows ``key`` on its line."""
        if key is None:
            return None
        row = self.lines[key.end_mark.line] if key.end_mark.line < len(self.lines) else ""
        at = row.find(":", key.end_mark.column)
        return (key.end_mark.line, at + 1) if at >= 0 else None

    def _utf16(self, line: int, column: int) -> int:
        return _utf16(self.lines[line], column) if line < len(self.lines) else column

    def nodes(self) -> dict[tuple[int, int], tuple[yaml.Node | None, yaml.Node]]:
        """(line, column) of each value's start (0-based) -> (its key node, if a mapping's value; the value).

        A block mapping starts where its first key does: the outer value wins that position."""
        if self._nodes is None:
            self._nodes = {}
            try:
                root = yaml.compose(self.text, Loader=_ComposeLoader)
            except yaml.YAMLError:
                root = None
            pending: list[tuple[yaml.Node | None, yaml.Node]] = [(None, root)] if root is not None else []
            while pending:
                key, node = pending.pop()
                self._nodes.setdefault((node.start_mark.line, node.start_mark.column), (key, node))
                if isinstance(node, yaml.MappingNode):
                    pending.extend(node.value)
                    for pair_key, pair_value in node.value:
                        self._keys[(pair_key.start_mark.line, pair_key.start_mark.column)] = (pair_key, pair_value)
                elif isinstance(node, yaml.SequenceNode):
                    pending.extend((None, item) for item in node.value)
        return self._nodes


def _is_block(node: yaml.Node) -> bool:
    return isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and bool(node.value)


def _content_end(node: yaml.Node) -> yaml.Mark:
    """Where ``node``'s own text ends. A block list or mapping ends, to YAML, where the next line starts: its last
    value's end is taken instead, so a fix that replaces it leaves the line break and what follows alone."""
    while _is_block(node):
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node.end_mark


try:  # libyaml's composer, where PyYAML was built with it
    from yaml import CSafeLoader as _ComposeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _ComposeLoader  # type: ignore[assignment]


def _utf16(text: str, column: int) -> int:
    """A column in characters as LSP counts it by default: in UTF-16 code units."""
    return column if text.isascii() else len(text[:column].encode("utf-16-le")) // 2


def _contains(span: types.Range, position: types.Position) -> bool:
    after_start = (position.line, position.character) >= (span.start.line, span.start.character)
    before_end = (position.line, position.character) <= (span.end.line, span.end.character)
    return after_start and before_end


def _overlaps(first: types.Range, second: types.Range) -> bool:
    return not ((first.end.line, first.end.character) < (second.start.line, second.start.character)
                or (second.end.line, second.end.character) < (first.start.line, first.start.character))


def _range_from(data: dict[str, Any]) -> types.Range:
    return types.Range(start=types.Position(**data["start"]), end=types.Position(**data["end"]))


def uri_to_path(uri: str) -> Path | None:
    """The local path of a file: URI, or None for other schemes."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def serve() -> None:
    """Run the server over standard input and output until the client exits."""
    server.start_io()
