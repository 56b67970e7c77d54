"""``ap-lint audit``: every breach open at any time in a period, from the register's main line."""

from __future__ import annotations

from pathlib import Path

import click

from ap_lint import api
from ap_lint.audit.asof import Register, parse_day
from ap_lint.audit.breaches import audit
from ap_lint.cli.common import PACK_OPTION, ROOT_ARGUMENT, resolve_root
from ap_lint.errors import ConfigError
from ap_lint.output.audit import AUDIT_FORMAT_BY_NAME


@click.command(name="audit")
@ROOT_ARGUMENT
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="The first day of the period.")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="The last day of the period (default: today).")
@click.option("--format", "output_format", type=click.Choice(sorted(AUDIT_FORMAT_BY_NAME)), default="text",
              show_default=True, help="text, json, or md (Markdown).")
@PACK_OPTION
def audit_command(root: Path | None, start: str, end: str | None, output_format: str,
                  pack_dir: Path | None) -> None:
    """Every breach open at any time from --from to --to: when it opened and closed, by which commit and author
    (or because time passed), and for how long; a summary per policy clause.

    The register on each day is the main line's commit at the end of that day, checked with today = that day.
    """
    register_root = resolve_root(root)
    first = parse_day(start, "--from")
    last = parse_day(end, "--to") if end is not None else api.today_in_time_zone()
    if last < first:
        raise ConfigError(f"--to ({last}) is before --from ({first}).")
    with Register(register_root, api.TIME_ZONE, pack_dir) as past:
        found = audit(past, first, last)
    click.echo(AUDIT_FORMAT_BY_NAME[output_format](found), nl=False)
