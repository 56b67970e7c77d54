"""``ap-lint init DIR``: a register repository of its own, with the policy pack copied in."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import click

from ap_lint.cli.common import PACK_OPTION, TODAY_OPTION, resolve_today
from ap_lint.errors import PolicyPackError
from ap_lint.pack import bundled_pack
from ap_lint.scaffold import init_register


@click.command(name="init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@PACK_OPTION
@TODAY_OPTION
@click.option("--ap-lint-source", metavar="PIP-REQUIREMENT",
              help="What the hook and the workflow install (default: this ap-lint, from where it was installed).")
def init_command(directory: Path, pack_dir: Path | None, today: str | None, ap_lint_source: str | None) -> None:
    """Make DIRECTORY a register of its own: the policy pack (rules, schemas, policy) copied in, a
    pre-commit hook, the CI workflow, editor settings and a README, and the records every register needs
    laid out to fill in."""
    pack = pack_dir or bundled_pack()
    if pack is None:
        raise PolicyPackError("No policy pack to copy: name one with --pack.")
    todo = init_register(directory, pack, year=resolve_today(today)[:4], source=ap_lint_source)
    if shutil.which("git") and not (directory / ".git").exists():
        subprocess.run(["git", "init", "-q", str(directory)], check=False, capture_output=True)
    click.echo(f"Made a register in {directory}, with the policy pack from {pack}.")
    if todo:
        click.echo("Fill in the empty fields of " + ", ".join(todo) + ", then run ap-lint check there.")
    click.echo("Then: pre-commit install, and read README.md.")
