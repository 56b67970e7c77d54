"""``ap-lint report``: write the register's report as a web page or as Markdown.

The report is not a gate: it exits 0 once written, whatever the check found,
and 2 when it cannot be made (no register, a broken pack, a file it cannot write).
"""

from __future__ import annotations

from pathlib import Path

import click

import dataclasses

from ap_lint import api
from ap_lint.audit.asof import Register, parse_day
from ap_lint.audit.breaches import audit
from ap_lint.checker import Checker, CheckOptions
from ap_lint.cli.common import PACK_OPTION, ROOT_ARGUMENT, TODAY_OPTION, resolve_root, resolve_today
from ap_lint.errors import ConfigError
from ap_lint.fsutil import write_atomic
from ap_lint.output.report import RENDERER_BY_SUFFIX, build_report, load_report_spec
from ap_lint.output.report.period import build_period


def renderer_suffix(output: Path) -> str:
    """The output's format from its file name; a usage error when it is neither a web page nor Markdown."""
    suffix = output.suffix.lower()
    if suffix not in RENDERER_BY_SUFFIX:
        choices = ", ".join(sorted(RENDERER_BY_SUFFIX))
        raise click.UsageError(f"--output must end in one of {choices} (a web page or Markdown), not '{output.name}'.")
    return suffix


@click.command(name="report")
@ROOT_ARGUMENT
@TODAY_OPTION
@PACK_OPTION
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write: .html for a web page (self-contained, printable), .md for Markdown.")
@click.option("--from", "start", metavar="YYYY-MM-DD",
              help="Add a section over the period from this day to today: errors open over time, breaches opened "
                   "and closed, the slowest to close, and acknowledged past breaches (read from git history).")
def report_command(root: Path | None, today: str | None, pack_dir: Path | None, output: Path,
                   start: str | None) -> None:
    """Write the report of the register at ROOT: its figures, compliance by policy clause, what falls due.

    What the report shows is declared by the policy pack (rules/report.yaml). It
    is not a gate: ap-lint report exits 0 once the file is written.
    """
    suffix = renderer_suffix(output)
    register_root = resolve_root(root)
    options = CheckOptions(root=register_root, today=resolve_today(today), pack_dir=pack_dir)
    checker = Checker.for_root(register_root, pack_dir)
    spec = load_report_spec(checker.pack, checker.compiler)
    result = checker.check(options)
    report = build_report(spec, result, checker.compiler)
    if start is not None:
        first = parse_day(start, "--from")
        if first > options.today:
            raise ConfigError(f"--from ({first}) is after today ({options.today}).")
        with Register(register_root, api.TIME_ZONE, pack_dir) as past:
            report = dataclasses.replace(report, period=build_period(audit(past, first, options.today), result))
    text = RENDERER_BY_SUFFIX[suffix](report)
    try:
        write_atomic(output, text)
    except OSError as error:
        raise ConfigError(f"cannot write the report to {output}: {error.strerror or error}.") from None
    click.echo(f"Wrote {output}. {report.headline}".rstrip())
