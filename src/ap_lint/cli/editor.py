"""`ap-lint editor-schemas` (the schemas editors read) and `ap-lint lsp` (findings as you type)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ap_lint.cli.common import EXIT_FINDINGS, PACK_OPTION
from ap_lint.errors import ConfigError
from ap_lint.editor_schemas import editor_files, stale_files, write_files
from ap_lint.pack import find_pack, load_pack
from ap_lint.load.register import find_register_root


@click.command(name="editor-schemas")
@click.option("--check", "check_only", is_flag=True, help="Do not write; fail if a generated file is out of date.")
@PACK_OPTION
def editor_schemas_command(check_only: bool, pack_dir: Path | None) -> None:
    """Write the schemas editors read (schemas/editor/) from the source schemas, and map them in
    .vscode/settings.json: each field shows its own text on hover, and the plain-English messages."""
    root = find_register_root(Path.cwd()) or Path.cwd()
    pack = load_pack(find_pack(root, pack_dir))
    if pack.root.resolve() != root.resolve():
        raise ConfigError(f"ap-lint editor-schemas writes into the policy pack, and {root} uses the pack at "
                          f"{pack.root}: run it in the pack's own folder (its editor schemas are in "
                          f"{pack.root / 'schemas' / 'editor'}).")
    files = editor_files(pack, root)
    if check_only:
        stale = stale_files(files)
        for path in stale:
            click.echo(f"{path} is out of date: run `ap-lint editor-schemas`.", err=True)
        if stale:
            sys.exit(EXIT_FINDINGS)
        click.echo(f"{len(files)} editor files are up to date.")
        return
    written = write_files(files)
    click.echo(f"Wrote {len(written)} of {len(files)} editor files." if written else
               f"{len(files)} editor files were already up to date.")


@click.command(name="lsp")
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default; editors pass it).")
def lsp_command(stdio: bool) -> None:
    """Run the language server: editors show ap-lint's findings as you type (see docs/editor.md)."""
    from ap_lint.lsp.server import serve  # imported here: the other commands do not load pygls

    serve()
