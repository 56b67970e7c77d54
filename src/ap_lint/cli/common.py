"""What the commands share: exit codes, how the register, the date and the outputs are found, common options."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Any

import click

from ap_lint import cache
from ap_lint.api import today_in_time_zone
from ap_lint.checker import CheckResult
from ap_lint.errors import EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK, ConfigError, RegisterNotFound
from ap_lint.fsutil import write_atomic
from ap_lint.load.register import RECORDS_DIR, find_register_root
from ap_lint.parallel import JOBS_PER_CORE, MAX_JOBS, default_jobs
from ap_lint.output.escape import visible
from ap_lint.output.formats import REPORTER_BY_NAME, ReportOptions, failing_findings


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
    """Where the register's cache lives: AP_LINT_CACHE_DIR, else a folder of its own in the user's cache folder.

    The check refuses a folder that git tracks, that is a link, or that lies in records/ (``ap_lint.cache``).
    """
    return cache.cache_directory(register_root)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def resolve_today(value: str | None) -> str:
    """The date to check against: ``--today``, else ``AP_LINT_TODAY``, else the real date; exactly ``YYYY-MM-DD``."""
    if value is not None:
        text, source = value, "--today"
    elif os.environ.get("AP_LINT_TODAY") is not None:
        text, source = os.environ["AP_LINT_TODAY"], "AP_LINT_TODAY"
    else:
        return today_in_time_zone()  # the date in England, as the library call takes it
    try:
        if _ISO_DATE.fullmatch(text) is None:
            raise ValueError(text)
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise click.UsageError(f"{source} must be a date written YYYY-MM-DD, "
                               f"not '{visible(text)}'.") from None


def resolve_jobs(value: int | None) -> int:
    """Worker processes: ``--jobs`` (at most JOBS_PER_CORE a core are used), else one per core."""
    cores = default_jobs()
    if value is None:
        return cores
    if not 1 <= value <= MAX_JOBS:
        raise click.UsageError(f"--jobs must be a number from 1 to {MAX_JOBS}, not {value}; leave it out to use "
                               f"one worker per core ({cores} here).")
    return min(value, JOBS_PER_CORE * cores)


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
