"""The command line: parse options, call the engine, print, and map the result to an exit code.

Exit codes: 0 no errors (warnings allowed), 1 errors, 2 usage, configuration
or internal failure.
"""

from __future__ import annotations

import datetime
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import click

from ap_lint import __version__
from ap_lint.checker import Checker, CheckOptions, CheckResult
from ap_lint.errors import ApLintError, RegisterNotFound
from ap_lint.register import RECORDS_DIR, find_register_root
from ap_lint.reporters import REPORTER_BY_NAME, ReportOptions

EXIT_OK, EXIT_FINDINGS, EXIT_FAILURE = 0, 1, 2


def exit_code(result: CheckResult, fail_on: str = "error") -> int:
    """The one place a check result becomes an exit code."""
    failing = result.errors + (result.warnings if fail_on == "warning" else [])
    return EXIT_FINDINGS if failing else EXIT_OK


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
@ROOT_ARGUMENT
@TODAY_OPTION
@PACK_OPTION
@click.option("--format", "output_format", type=click.Choice(sorted(REPORTER_BY_NAME)), default="text",
              show_default=True, help="How to print findings.")
def check(root: Path | None, today: str | None, pack_dir: Path | None, output_format: str) -> None:
    """Check every record of the register at ROOT (default: the nearest folder with records/)."""
    register_root = resolve_root(root)
    options = CheckOptions(root=register_root, today=resolve_today(today), pack_dir=pack_dir)
    result = Checker.for_root(register_root, pack_dir).check(options)
    stream = click.get_text_stream("stdout")
    report_options = ReportOptions(color=use_color(stream) and output_format == "text")
    # color= keeps click from stripping the colour FORCE_COLOR asked for when stdout is not a terminal
    click.echo(REPORTER_BY_NAME[output_format](result, report_options), nl=False, color=report_options.color)
    sys.exit(exit_code(result))


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
    sys.exit(_handle_errors(lambda: cli.main(standalone_mode=False)))


from ap_lint import commands  # noqa: E402,F401  (registers the other sub-commands)
