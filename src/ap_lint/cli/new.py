"""``ap-lint new KIND``: write a new record at the right path, with its next free id and its required fields."""

from __future__ import annotations

from pathlib import Path

import click

from ap_lint.cli.common import PACK_OPTION, TODAY_OPTION, resolve_root, resolve_today
from ap_lint.errors import ConfigError
from ap_lint.pack import find_pack, load_pack
from ap_lint.scaffold import new_record


@click.command(name="new", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("kind")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="The register (default: the one the current folder is in).")
@click.option("--id", "record_id", metavar="ID", help="The new record's id (default: the next free one).")
@TODAY_OPTION
@PACK_OPTION
@click.pass_context
def new_command(context: click.Context, kind: str, root: Path | None, record_id: str | None, today: str | None,
                pack_dir: Path | None) -> None:
    """Write a new record of KIND (e.g. ap-lint new placement --school oakfield).

    Any --FIELD VALUE fills that field (the field that names a record's folder
    chooses the folder). The record's required fields are laid out empty, each
    with its description; ap-lint check then says what each one needs. An
    existing file is never overwritten.
    """
    fields: dict[str, str] = {}
    extra = list(context.args)
    while extra:
        option = extra.pop(0)
        if not option.startswith("--") or not extra or extra[0].startswith("--"):
            raise ConfigError(f"'{option}' is not understood: give fields as --FIELD VALUE")
        fields[option[2:].replace("-", "_")] = extra.pop(0)
    register = resolve_root(root)
    pack = load_pack(find_pack(register, pack_dir))
    path = new_record(register, pack, kind, year=resolve_today(today)[:4], record_id=record_id, fields=fields)
    click.echo(f"Wrote {path.relative_to(register).as_posix()}: fill in its empty fields, then run ap-lint check.")
