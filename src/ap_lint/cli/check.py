"""``ap-lint check``: parse the options, call ``ap_lint.api.check``, print, and map the result to an exit code."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from ap_lint import api
from ap_lint.cli.common import (
    PACK_OPTION, TODAY_OPTION, cache_directory, exit_code, parse_outputs, resolve_format,
    resolve_jobs, resolve_today, split_paths, use_color, write_outputs,
)
from ap_lint.output.formats import REPORTER_BY_NAME, ReportOptions
from ap_lint.parallel import JOBS_PER_CORE, MAX_JOBS


@click.command(name="check")
@click.argument("paths", nargs=-1, metavar="[ROOT] [FILE]...", type=click.Path(path_type=Path))
@TODAY_OPTION
@PACK_OPTION
@click.option("--format", "output_format", type=click.Choice([*sorted(REPORTER_BY_NAME), "auto"]), default="text",
              show_default=True, help="How to print findings; auto is github inside GitHub Actions, else text.")
@click.option("--output", "outputs", multiple=True, metavar="FORMAT:PATH", callback=parse_outputs,
              help="Also write the findings in FORMAT to the file PATH (repeatable): sarif:results.sarif.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error", show_default=True,
              help="The lowest severity that fails the run (exit 1).")
@click.option("--since", metavar="REV", help="Report on the files changed since the branch left REV "
                                             "(a pull request's base), and on what those changes break.")
@click.option("--staged", is_flag=True, help="Report on the files staged for commit (and any FILE named), "
                                             "and on what those changes break.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache (AP_LINT_CACHE_DIR, else a folder of the "
                                                   "register's own in the user's cache folder).")
@click.option("--jobs", type=int, default=None, metavar="N",
              help=f"Worker processes for large registers (default: one per core; at most {JOBS_PER_CORE} a core "
                   f"are used, and N may be at most {MAX_JOBS}).")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
              help="Check the register as it stood on the main line at the end of that day, with today = that day "
                   "and the policy pack as it stood then.")
def check(paths: tuple[Path, ...], today: str | None, pack_dir: Path | None, output_format: str,
          outputs: list[tuple[str, Path]], fail_on: str, since: str | None, staged: bool, no_cache: bool,
          jobs: int | None, as_of: str | None) -> None:
    """Check every record of the register at ROOT (default: the nearest folder with records/).

    With FILEs (as pre-commit passes them), --staged or --since, the whole
    register is still checked, but only the findings on those files, and the
    findings elsewhere that their changes cause, are reported.
    """
    register_root, files = split_paths(paths)
    if since is not None and (staged or files):
        raise click.UsageError("--since reports on everything changed since REV: leave out --staged and FILEs.")
    if as_of is not None and (since is not None or staged or files or today is not None):
        raise click.UsageError("--as-of checks the whole register as it stood on that day (today = that day): "
                               "leave out --today, --since, --staged and FILEs.")
    if as_of is not None:
        from ap_lint.audit.asof import check_as_of, parse_day  # the register as it stood: read from git

        result = check_as_of(register_root, parse_day(as_of, "--as-of"), pack=pack_dir, time_zone=api.TIME_ZONE)
    else:
        result = api.check(register_root, today=resolve_today(today), pack=pack_dir, since=since, staged=staged,
                           files=files, jobs=resolve_jobs(jobs),
                           cache_dir=None if no_cache else cache_directory(register_root))
    report_options = ReportOptions(fail_on=fail_on, scope=result.scope, not_shown=result.not_shown)
    write_outputs(outputs, result, report_options)
    shown = resolve_format(output_format)
    report_options = dataclasses.replace(report_options, color=use_color(sys.stdout) and shown == "text")
    # color= keeps click from stripping the colour FORCE_COLOR asked for when stdout is not a terminal
    click.echo(REPORTER_BY_NAME[shown](result, report_options), nl=False, color=report_options.color)
    sys.exit(exit_code(result, fail_on))
