"""The command line: parse options, call the engine, print, and map the result to an exit code.

Exit codes: 0 no errors (warnings allowed), 1 errors, 2 usage, configuration
or internal failure.
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import click

from ap_lint import __version__
from ap_lint.cache import CACHE_DIR_NAME
from ap_lint.checker import Checker, CheckOptions, CheckResult
from ap_lint.errors import ApLintError, ConfigError, RegisterNotFound
from ap_lint.fsutil import write_atomic
from ap_lint.gitutil import change_for, scope_to_change
from ap_lint.parallel import default_jobs
from ap_lint.register import RECORDS_DIR, find_register_root
from ap_lint.reporters import REPORTER_BY_NAME, ReportOptions, failing_findings

EXIT_OK, EXIT_FINDINGS, EXIT_FAILURE = 0, 1, 2


def exit_code(result: CheckResult, fail_on: str = "error") -> int:
    """The one place a check result becomes an exit code."""
    return EXIT_FINDINGS if failing_findings(result, fail_on) else EXIT_OK


def resolve_root(root: Path | None) -> Path:
    if root is not None:
        if not (root / RECORDS_DIR).is_dir():
            raise RegisterNotFound(f"{root} is not a register: it has no {RECORDS_DIR}/ folder.")
        return root.resolve()
    found = find_register_root(Path.cwd())
    if found is None:
        raise RegisterNotFound(f"No register here: no {RECORDS_DIR}/ folder in {Path.cwd()} or above it. "
                               "Run ap-lint inside a register, or name its folder: ap-lint check PATH.")
    return found


def cache_directory(register_root: Path) -> Path:
    """Where the cache lives: AP_LINT_CACHE_DIR, else .ap-lint-cache/ in the register (git-ignored)."""
    configured = os.environ.get("AP_LINT_CACHE_DIR")
    return Path(configured) if configured else register_root / CACHE_DIR_NAME


def resolve_today(value: str | None) -> str:
    text = value or os.environ.get("AP_LINT_TODAY") or datetime.date.today().isoformat()
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        source = "--today" if value else "AP_LINT_TODAY"
        raise click.UsageError(f"{source} must be a date written YYYY-MM-DD, not '{text}'.") from None


def use_color(stream: Any) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def resolve_format(name: str) -> str:
    """``auto`` is ``github`` inside GitHub Actions (GITHUB_ACTIONS=true), else ``text``."""
    if name != "auto":
        return name
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def parse_outputs(_context: click.Context, _parameter: click.Parameter,
                  values: tuple[str, ...]) -> list[tuple[str, Path]]:
    """``--output FORMAT:PATH`` values as (format, path) pairs."""
    outputs = []
    for value in values:
        name, colon, path = value.partition(":")
        if not colon or not path or name not in REPORTER_BY_NAME:
            raise click.BadParameter(f"'{value}' is not FORMAT:PATH with FORMAT one of "
                                     f"{', '.join(sorted(REPORTER_BY_NAME))} (for example sarif:results.sarif).")
        outputs.append((name, Path(path)))
    return outputs


def split_paths(paths: tuple[Path, ...]) -> tuple[Path, list[str]]:
    """The register root and the files (relative to it) named on the command line: ``[ROOT] [FILE]...``."""
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise click.UsageError(f"Path '{missing[0]}' does not exist.")
    folders = [p for p in paths if p.is_dir()]
    files = [p for p in paths if not p.is_dir()]
    if len(folders) > 1:
        raise click.UsageError(f"Name one register folder, not {len(folders)}: {', '.join(map(str, folders))}.")
    if folders or not files or find_register_root(Path.cwd()) is not None:
        root = resolve_root(folders[0] if folders else None)
    else:
        root = resolve_root(find_register_root(files[0].absolute().parent))
    named = []
    for file in files:
        try:
            named.append(file.absolute().resolve().relative_to(root).as_posix())
        except ValueError:
            raise click.UsageError(f"{file} is not inside the register at {root}.") from None
    return root, named


def write_outputs(outputs: list[tuple[str, Path]], result: CheckResult, options: ReportOptions) -> None:
    """Write each ``--output`` file, atomically."""
    for name, path in outputs:
        try:
            write_atomic(path, REPORTER_BY_NAME[name](result, options))
        except OSError as error:
            raise ConfigError(f"cannot write {path}: {error.strerror or error}") from None


ROOT_ARGUMENT = click.argument("root", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
TODAY_OPTION = click.option("--today", metavar="YYYY-MM-DD",
                            help="The date to check against (default: AP_LINT_TODAY, else the real date).")
PACK_OPTION = click.option("--pack", "pack_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                           help="Policy pack folder (default: the register's own rules/, else the installed pack).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ap-lint")
def cli() -> None:
    """Check an alternative provision register against its policy.

    The register is a folder with records/ (YAML files). Its structure is
    checked with JSON Schemas (schemas/) and the policy with declarative rules
    (rules/).
    """


@cli.command()
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
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache (.ap-lint-cache/ in the register).")
@click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes for large registers (default: one per core).")
def check(paths: tuple[Path, ...], today: str | None, pack_dir: Path | None, output_format: str,
          outputs: list[tuple[str, Path]], fail_on: str, since: str | None, staged: bool, no_cache: bool,
          jobs: int | None) -> None:
    """Check every record of the register at ROOT (default: the nearest folder with records/).

    With FILEs (as pre-commit passes them), --staged or --since, the whole
    register is still checked, but only the findings on those files, and the
    findings elsewhere that their changes cause, are reported.
    """
    register_root, files = split_paths(paths)
    if since is not None and (staged or files):
        raise click.UsageError("--since reports on everything changed since REV: leave out --staged and FILEs.")
    change = change_for(register_root, since=since, staged=staged, files=files)
    options = CheckOptions(root=register_root, today=resolve_today(today), pack_dir=pack_dir, since=since,
                           cache_dir=None if no_cache else cache_directory(register_root),
                           jobs=jobs or default_jobs())
    checker = Checker.for_root(register_root, pack_dir)
    result = checker.check(options)
    not_shown = 0
    if change is not None:
        result, not_shown = scope_to_change(checker, options, result, change)
    report_options = ReportOptions(fail_on=fail_on, scope=change.files if change else None, not_shown=not_shown)
    write_outputs(outputs, result, report_options)
    shown = resolve_format(output_format)
    stream = sys.stdout
    report_options = dataclasses.replace(report_options, color=use_color(stream) and shown == "text")
    # color= keeps click from stripping the colour FORCE_COLOR asked for when stdout is not a terminal
    click.echo(REPORTER_BY_NAME[shown](result, report_options), nl=False, color=report_options.color)
    sys.exit(exit_code(result, fail_on))


def _handle_errors(function: Callable[[], Any]) -> int:
    try:
        function()
    except ApLintError as error:
        click.echo(f"ap-lint: error: {error}", err=True)
        return error.exit_code
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        error.show()
        return EXIT_FAILURE
    except click.exceptions.Abort:
        click.echo("ap-lint: aborted", err=True)
        return EXIT_FAILURE
    except SystemExit as done:
        return int(done.code or 0) if isinstance(done.code, int) or done.code is None else EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback for users
        click.echo(f"ap-lint: internal error: {type(error).__name__}: {error}. "
                   "This is a bug in ap-lint; set AP_LINT_DEBUG=1 to see the details.", err=True)
        if os.environ.get("AP_LINT_DEBUG"):
            traceback.print_exc()
        return EXIT_FAILURE
    return EXIT_OK


def main() -> None:
    """Entry point of the ``ap-lint`` command."""
    # One short-lived run builds millions of small objects that live until it exits: collect cyclic
    # garbage less often, so the collector does not walk them over and over.
    gc.set_threshold(100_000, 50, 100)
    sys.exit(_handle_errors(lambda: cli.main(standalone_mode=False)))


from ap_lint import commands  # noqa: E402,F401  (registers the other sub-commands)
from ap_lint import history_command  # noqa: E402,F401  (registers `ap-lint history`)
from ap_lint import report_command  # noqa: E402,F401  (registers `ap-lint report`)
from ap_lint import editor_command  # noqa: E402,F401  (registers `ap-lint editor-schemas` and `ap-lint lsp`)
