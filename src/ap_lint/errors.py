"""The one hierarchy of expected failures.

Each maps to an exit code and a one-line message at the top of the CLI; a user
never sees a traceback for bad input.
"""

from __future__ import annotations

#: the exit codes: no failing findings; failing findings; usage, configuration or internal failure
EXIT_OK, EXIT_FINDINGS, EXIT_FAILURE = 0, 1, 2


class ApLintError(Exception):
    """An expected failure that stops the run (exit code 2)."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.message}"


class PolicyPackError(ApLintError):
    """A schema, rule, settings or pack file is broken."""


class RegisterNotFound(ApLintError):
    """No register root (a folder holding records/) was found."""


class ConfigError(ApLintError):
    """Options or environment that cannot be used."""


class GitError(ApLintError):
    """git could not answer a question the run needed."""
