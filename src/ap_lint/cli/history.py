"""``ap-lint history RECORD``: a record's timeline from git, with what each commit changed, in words."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import click

from ap_lint.cli.common import PACK_OPTION, ROOT_ARGUMENT, resolve_root, resolve_today
from ap_lint.errors import GitError
from ap_lint.git.log import paths_in_history
from ap_lint.git.runner import NotARepository, Repository
from ap_lint.git.timeline import TimelineEntry, timeline
from ap_lint.pack import Pack, find_pack, load_pack
from ap_lint.load.register import RECORDS_DIR, discover


def find_record_file(root: Path, pack: Pack, repository: Repository, name: str) -> str:
    """The file (relative to the register) of the record ``name``: an id, or a path under records/.

    A record deleted since is found in the history. Several files with one id
    are a usage error that asks for the path.
    """
    if name.endswith(".yaml") or "/" in name:
        path = PurePosixPath(name).as_posix()
        return path if path.startswith(RECORDS_DIR + "/") else f"{RECORDS_DIR}/{path}"
    sources, _ = discover(root, pack)
    found = sorted(s.display for s in sources if not pack.kinds[s.kind].from_pack and s.path.stem == name)
    if not found:
        found = sorted(path for path in paths_in_history(repository, [RECORDS_DIR + "/"])
                       if PurePosixPath(path).stem == name and pack.kind_of(path) is not None)
    if not found:
        raise click.UsageError(f"There is no record '{name}' in the register or in its history. "
                               "Give the record's id (its file name without .yaml).")
    if len(found) > 1:
        raise click.UsageError(f"'{name}' names more than one record file ({', '.join(found)}): "
                               "give the file's path instead.")
    return found[0]


def heading(entry: TimelineEntry) -> str:
    """``2026-10-16 8b7d6e5 Ann Example: Record the October review``."""
    commit = entry.commit
    if not commit.committed:
        return "Not committed yet (changes on disk):"
    return f"{commit.date} {commit.short} {commit.author}: {commit.subject}"


def format_timeline_text(record: str, path: str, entries: list[TimelineEntry]) -> str:
    committed = sum(1 for entry in entries if entry.commit.committed)
    lines = [f"History of {record} ({path}), oldest first: "
             f"{committed} commit{'' if committed == 1 else 's'}."]
    for entry in entries:
        lines.append("")
        lines.append(heading(entry))
        if entry.event in ("created", "deleted"):
            lines.append(f"  {entry.event}")
        elif not entry.changes:
            lines.append("  no change to any field (layout or comments only)")
        lines.extend(f"  {change.text}" for change in entry.changes)
    return "\n".join(lines) + "\n"


def format_timeline_json(record: str, path: str, entries: list[TimelineEntry]) -> str:
    document = {"record": record, "file": path, "history": [entry.as_dict() for entry in entries]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@click.command(name="history")
@click.argument("record")
@ROOT_ARGUMENT
@PACK_OPTION
@click.option("--format", "output_format", type=click.Choice(["json", "text"]), default="text",
              show_default=True, help="How to print the timeline.")
def history_command(record: str, root: Path | None, pack_dir: Path | None, output_format: str) -> None:
    """Show RECORD's history from git: each commit that touched it, and what it changed.

    RECORD is a record's id (oakfield-2026-001) or its file's path under
    records/. The register at ROOT (default: the nearest folder with records/)
    must be in a git repository.
    """
    register_root = resolve_root(root)
    try:
        repository = Repository.open(register_root)
    except NotARepository as reason:
        raise GitError(f"ap-lint history reads the register's git history, but {register_root}: {reason}.") from None
    pack = load_pack(find_pack(register_root, pack_dir))
    path = find_record_file(register_root, pack, repository, record)
    entries = timeline(repository, path, resolve_today(None))
    if not entries:
        raise click.UsageError(f"{path} has no history: git has never seen it and it is not on disk.")
    name = PurePosixPath(path).stem
    formatter = format_timeline_json if output_format == "json" else format_timeline_text
    click.echo(formatter(name, path, entries), nl=False)
