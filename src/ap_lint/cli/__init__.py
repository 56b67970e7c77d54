"""The command line: a thin layer that parses options, calls the engine, prints, and maps results to exit codes.

Exit codes: 0 no errors (warnings allowed), 1 errors, 2 usage, configuration
or internal failure. Every command is a module of this package, registered below.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from typing import Any, Callable

import click

from ap_lint import __version__
from ap_lint.cli.audit import audit_command
from ap_lint.cli.check import check
from ap_lint.cli.common import EXIT_FAILURE, EXIT_OK
from ap_lint.cli.editor import editor_schemas_command, lsp_command
from ap_lint.cli.history import history_command
from ap_lint.cli.report import report_command
from ap_lint.cli.rules import coverage_command, docs_command, explain_command, test_rules_command
from ap_lint.errors import ApLintError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ap-lint")
def cli() -> None:
    """Check an alternative provision register against its policy.

    The register is a folder with records/ (YAML files). Its structure is
    checked with JSON Schemas (schemas/) and the policy with declarative rules
    (rules/).
    """


for command in (check, explain_command, coverage_command, test_rules_command, docs_command, history_command,
                report_command, audit_command, editor_schemas_command, lsp_command):
    cli.add_command(command)


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
