"""The library call: check a register as ``ap-lint check`` does, and get the findings it would print.

    >>> import ap_lint
    >>> result = ap_lint.check("path/to/register", today="2026-11-28")
    >>> [(f.file, f.line, f.column, f.rule, f.clause, f.severity) for f in result.errors]

The command line is this call plus option parsing, formatting and an exit code.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from pathlib import Path
from typing import Mapping, Sequence
from zoneinfo import ZoneInfo

from ap_lint.checker import Checker, CheckOptions, CheckResult
from ap_lint.errors import RegisterNotFound
from ap_lint.git.runner import one_check
from ap_lint.git.scope import change_for, changes_pack, newer_files, scope_to_change
from ap_lint.load.register import RECORDS_DIR

#: "today" is the date where the register's organisation is, unless a caller names it
TIME_ZONE = "Europe/London"


def today_in_time_zone(zone: str = TIME_ZONE) -> str:
    """Today's date (``YYYY-MM-DD``) in ``zone``."""
    return datetime.datetime.now(ZoneInfo(zone)).date().isoformat()


def _outside_pack_named(result: CheckResult, register_root: Path) -> CheckResult:
    """When the pack is not the register's own, findings on its files name them where they are, and a note
    says where the pack came from: a finding never points at a file the register does not have."""
    pack_root = result.pack.root.resolve()
    if pack_root == register_root:
        return result
    pack_files = {r.file for r in result.records if result.pack.kinds[r.kind].from_pack}
    findings = [dataclasses.replace(f, file=(pack_root / f.file).as_posix()) if f.file in pack_files else f
                for f in result.findings]
    note = (f"This register has no policy pack of its own (rules/pack.yaml), so the one at {pack_root} was used. "
            "Run ap-lint init in a new folder to start a register with a copy of the pack it can see and change.")
    return dataclasses.replace(result, findings=findings, notes=[*result.notes, note])


def check(root: str | os.PathLike[str], *, today: str | None = None, pack: str | os.PathLike[str] | None = None,
          since: str | None = None, staged: bool = False, files: Sequence[str] = (), jobs: int = 1,
          cache_dir: str | os.PathLike[str] | None = None, overrides: Mapping[str, str] | None = None) -> CheckResult:
    """Check the register at ``root`` and return its findings, located and sorted.

    ``today`` (``YYYY-MM-DD``; default: today in England) is the date time-dependent rules judge by;
    ``pack`` a policy pack folder (default: the register's own, else the installed one). ``since`` (a
    revision: a pull request's base), ``staged`` or ``files`` (paths relative to ``root``) scope what is
    reported to those changes and what they break elsewhere (``result.scope``, ``result.not_shown``).
    ``jobs`` worker processes; ``cache_dir`` a folder for the cache (None: no cache).
    ``overrides`` maps files (paths relative to ``root``) to texts checked in their place, as an editor
    holds them unsaved; a file that is not on disk yet is checked as if it were (the cache is then only read).
    Raises ``ap_lint.errors.ApLintError`` (with a one-line message) for a register or pack that cannot be
    checked at all.
    """
    with one_check():
        return _check(root, today=today, pack=pack, since=since, staged=staged, files=files, jobs=jobs,
                      cache_dir=cache_dir, overrides=overrides)


def _check(root: str | os.PathLike[str], *, today: str | None, pack: str | os.PathLike[str] | None, since: str | None, staged: bool,
           files: Sequence[str], jobs: int, cache_dir: str | os.PathLike[str] | None,
           overrides: Mapping[str, str] | None) -> CheckResult:
    register_root = Path(root).resolve()
    if not (register_root / RECORDS_DIR).is_dir():
        raise RegisterNotFound(f"{root} is not a register: it has no {RECORDS_DIR}/ folder.")
    if today is None:
        today = today_in_time_zone()
    pack_dir = Path(pack) if pack is not None else None
    change = change_for(register_root, since=since, staged=staged, files=list(files))
    if overrides is None:
        checker = Checker.for_root(register_root, pack_dir, Path(cache_dir) if cache_dir is not None else None)
        # a scope that leaves the pack alone reports history findings on its own files: only their history is read
        history_paths = (change.files if change is not None and since is None
                         and not changes_pack(checker, register_root, change.files) else None)
        options = CheckOptions(root=register_root, today=today, pack_dir=pack_dir, since=since, jobs=jobs,
                               cache_dir=Path(cache_dir) if cache_dir is not None else None,
                               history_paths=history_paths, newer=newer_files(register_root, change),
                               change=change)
        result = checker.check(options)
    else:
        from ap_lint.live import LiveRegister  # the register kept in memory, as the editor's server keeps it

        options = CheckOptions(root=register_root, today=today, pack_dir=pack_dir, since=since, jobs=jobs,
                               cache_dir=Path(cache_dir) if cache_dir is not None else None)
        live = LiveRegister(register_root, today=today, pack_dir=pack_dir, cache_dir=options.cache_dir,
                            since=since, jobs=jobs)
        checker, result = live.checker, live.check(overrides)
        if change is not None:
            result, not_shown = scope_to_change(checker, options, result, change)
            result.scope, result.not_shown = change.files, not_shown
    return _outside_pack_named(result, register_root)
