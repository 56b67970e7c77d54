"""The command line: a thin layer that parses options, calls the engine, prints, and maps results to exit codes.

Exit codes: 0 no errors (warnings allowed), 1 errors, 2 usage, configuration
or internal failure. Every command is a module of this package, registered in
COMMANDS below and imported only when it runs (or help lists it), so that
``ap-lint check`` never pays for the governors' report or the editor's server.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import traceback
from typing import Any, Callable

import click

from ap_lint import __version__
from ap_lint.errors import EXIT_FAILURE, EXIT_OK, ApLintError

#: every command, in the order help lists them: its name, and the module and function that define it
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("ap_lint.cli.check", "check"),
    "explain": ("ap_lint.cli.rules", "explain_command"),
    "coverage": ("ap_lint.cli.rules", "coverage_command"),
    "test-rules": ("ap_lint.cli.rules", "test_rules_command"),
    "docs": ("ap_lint.cli.rules", "docs_command"),
    "history": ("ap_lint.cli.history", "history_command"),
    "report": ("ap_lint.cli.report", "report_command"),
    "audit": ("ap_lint.cli.audit", "audit_command"),
    "editor-schemas": ("ap_lint.cli.editor", "editor_schemas_command"),
    "lsp": ("ap_lint.cli.editor", "lsp_command"),
    "new": ("ap_lint.cli.new", "new_command"),
    "init": ("ap_lint.cli.init", "init_command"),
}


class _Commands(click.Group):
    """The group of COMMANDS, each imported when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command) and command.name == cmd_name, cmd_name
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ap-lint")
def cli() -> None:
    """Check an alternative provision register against its policy.

    The register is a folder with records/ (YAML files). Its structure is
    checked with JSON Schemas (schemas/) and the policy with declarative rules
    (rules/).
    """


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
