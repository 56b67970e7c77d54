"""Git: which files a change touches, what they held before it, and what it breaks.

A check scoped to a change (the pre-commit hook, ``--staged``, a pull request's
``--since``) still evaluates the whole register, because rules look across
records. It then reports the findings on the changed files, plus the findings
elsewhere that the change causes: those that are absent when the changed files
are taken at their previous version (``git show BASE:path``; absent if the
file is new).

Paths in and out are relative to the register root, with forward slashes,
like ``Finding.file``. Git runs in the register's folder (``runner``), so a
register may be a folder inside a larger repository.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from ap_lint.errors import GitError
from ap_lint.findings import Finding
from ap_lint.git.blobs import BlobReader
from ap_lint.git.runner import GitRunner, NotARepository, Repository
from ap_lint.git.runner import resolve_revision as runner_resolve
from ap_lint.load.register import SourceFile, discover, record_from_bytes
from ap_lint.pack import CHECKS_DIR

if TYPE_CHECKING:
    from ap_lint.checker import Checker, CheckOptions, CheckResult
    from ap_lint.context import RunContext

def _runner(root: Path) -> GitRunner:
    return GitRunner(root)


def _names(output: bytes) -> set[str]:
    return {name.decode("utf-8", "surrogateescape") for name in output.split(b"\0") if name}


def in_repository(root: Path) -> bool:
    """Whether ``root`` is inside a git working tree."""
    try:
        done = _runner(root).run("rev-parse", "--is-inside-work-tree")
    except NotARepository:
        return False
    return done.returncode == 0 and done.stdout.strip() == b"true"


def require_repository(root: Path, needed_by: str) -> None:
    """Stop with a clear message (exit 2) when ``root`` is not in a git working tree."""
    try:
        inside = _runner(root).run("rev-parse", "--is-inside-work-tree")
    except NotARepository as reason:
        raise GitError(f"{needed_by} needs git, and {reason}.") from None
    if inside.returncode != 0 or inside.stdout.strip() != b"true":
        raise GitError(f"{needed_by} needs a git repository, and {root} is not inside one. "
                       "Run it in a clone of the register, or leave the option out to check everything.")


def head(root: Path) -> str | None:
    """The commit checked out, or None in a repository with no commits yet (or outside one)."""
    try:
        return Repository.open(root).head  # the question the history pass asks too
    except NotARepository:
        return None


def resolve_revision(root: Path, revision: str) -> str:
    """The commit ``revision`` names; a clear error when git does not know it."""
    return runner_resolve(_runner(root), revision)


def merge_base(root: Path, revision: str) -> str:
    """Where the checked-out branch left ``revision`` (the revision itself when there is no common commit)."""
    commit = resolve_revision(root, revision)
    current = head(root)
    if current is None:
        return commit
    done = _runner(root).run("merge-base", commit, current)
    found = done.stdout.decode("ascii", "replace").strip()
    return found if done.returncode == 0 and found else commit


def untracked_files(root: Path) -> set[str]:
    """Files under ``root`` that git does not track and does not ignore."""
    return _names(_runner(root).output("ls-files", "--others", "--exclude-standard", "-z"))


def changed_files(root: Path, since: str) -> set[str]:
    """Files under ``root`` changed since the commit ``since`` (committed, staged or not), plus untracked files.

    Deleted and renamed files are included under their old names too, so a
    caller sees every path whose content differs from ``since``.
    """
    require_repository(root, "Comparing with a revision")
    commit = resolve_revision(root, since)
    # --relative: only paths under ROOT, named relative to it
    diff = _runner(root).output("diff", "--name-only", "--no-renames", "--relative", "-z", commit, "--")
    return _names(diff) | untracked_files(root)


def staged_files(root: Path) -> set[str]:
    """Files under ``root`` whose staged content differs from HEAD (all staged files before the first commit)."""
    require_repository(root, "--staged")
    return _names(_runner(root).output("diff", "--cached", "--name-only", "--no-renames", "--relative", "-z", "--"))


def read_at(root: Path, commit: str | None, paths: Iterable[str]) -> dict[str, bytes | None]:
    """The content of each path at ``commit``: None where it did not exist (or ``commit`` is None)."""
    wanted = sorted(set(paths))
    contents: dict[str, bytes | None] = dict.fromkeys(wanted)
    if commit is None or not wanted:
        return contents
    repository = Repository.open(root)
    prefix = repository.prefix
    found = BlobReader(repository.runner).read(f"{commit}:{prefix}{path}" for path in wanted)
    return {path: found.get(f"{commit}:{prefix}{path}") for path in wanted}


@dataclass(frozen=True)
class Scope:
    """The files a scoped check reports on, and the commit their previous version is read from.

    ``base`` is None when there is no previous version to read: outside git
    (``compare`` is False: only the named files' findings are reported) or
    before the first commit (``compare`` is True: every changed file is new).
    """

    files: frozenset[str]
    base: str | None
    compare: bool
    described: str


def change_for(root: Path, *, since: str | None = None, staged: bool = False,
               files: Iterable[str] = ()) -> Scope | None:
    """The change a check is scoped to, from its options; None to report on the whole register.

    ``since``: the files changed since the branch left that revision (a pull
    request's base), compared with that point. ``staged`` and ``files`` (what
    pre-commit passes): those files, compared with HEAD.
    """
    named = frozenset(files)
    if since is not None:
        require_repository(root, "--since")
        base = merge_base(root, since)
        return Scope(frozenset(changed_files(root, base)), base, True, f"has changed since {since}")
    if not staged and not named:
        return None
    if staged:
        named |= staged_files(root)
    if not in_repository(root):
        return Scope(named, None, False, "was named")
    return Scope(named, head(root), True, "is staged" if staged else "was named")


def newer_files(root: Path, change: Scope | None) -> frozenset[str]:
    """Files newer than the rest of the register: those the change adds, and any git does not track yet.

    Of two records that clash (a copied file whose id was not changed), the newer one is to blame.
    """
    if not in_repository(root):
        return frozenset()
    newer = set(untracked_files(root))
    if change is not None and change.compare and change.base is not None:
        newer |= {path for path, raw in read_at(root, change.base, change.files).items() if raw is None}
    elif change is not None and change.compare:
        newer |= change.files
    return frozenset(newer)


def changes_pack(checker: Checker, root: Path, files: frozenset[str]) -> bool:
    """Whether ``files`` (relative to ``root``) include the policy pack's own files (rules, schemas, policy)."""
    if checker.pack.root.resolve() != root.resolve():
        return False
    pack_files = set(checker.pack.files)
    checks = CHECKS_DIR.as_posix() + "/"
    return any(f in pack_files or f.startswith(checks) for f in files)


def _before(checker: Checker, options: CheckOptions, result: CheckResult, change: Scope,
            run: RunContext | None = None, problems: list[Finding] | None = None) -> CheckResult:
    """The check as it comes out with the changed files at their previous version."""
    if problems is None:
        _, problems = discover(options.root, checker.pack)
    old = read_at(options.root, change.base, change.files)
    records = [r for r in result.records if r.file not in change.files]
    kinds = {r.file: r.kind for r in result.records}
    for path in sorted(change.files):
        kind = kinds.get(path) or checker.pack.kind_of(path)
        raw = old[path]
        if kind is None or raw is None:
            continue  # not a record, or new since the base
        source = SourceFile(kind, options.root / path, path, checker.pack.kinds[kind].front_matter)
        record = record_from_bytes(source, raw, options.max_file_bytes)
        checker.validate(record)
        records.append(record)

    def text_of(file: str) -> str | None:
        if file in change.files:
            raw = old.get(file)
            return raw.decode("utf-8", "replace") if raw is not None else None
        from_pack = file in kinds and checker.pack.kinds[kinds[file]].from_pack
        path = (checker.pack.root if from_pack else options.root) / file
        try:
            return path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    return checker.evaluate(options.root, records, problems, text_of,
                            run if run is not None else checker.run_context(options.today))


def _identity(finding: Finding) -> tuple[object, ...]:
    return (finding.file, finding.rule, finding.severity, finding.path, finding.message, finding.waived_by)


def scope_to_change(checker: Checker, options: CheckOptions, result: CheckResult, change: Scope,
                    run: RunContext | None = None, problems: list[Finding] | None = None) -> tuple[CheckResult, int]:
    """Keep the findings that concern ``change``; return the scoped result and how many were left out.

    Kept: every finding on a changed file, and every finding elsewhere that is
    not there when the changed files are at their previous version (history
    findings only on the changed files). A change to the policy pack itself
    (rules, schemas, policy) keeps everything.
    """
    if changes_pack(checker, options.root, change.files):
        note = "The change touches the policy pack, so every finding in the register is shown."
        return dataclasses.replace(result, notes=[*result.notes, note]), 0
    earlier: set[tuple[object, ...]] | None = None
    if change.compare:
        earlier = {_identity(f) for f in _before(checker, options, result, change, run, problems).findings}
    # history findings are about commits, not about how records relate: only those on the changed files count
    history = {rule.id for rule in checker.rules if rule.history is not None}
    kept = [f for f in result.findings if f.file in change.files
            or (earlier is not None and f.rule not in history and _identity(f) not in earlier)]
    left_out = len(result.findings) - len(kept)
    notes = list(result.notes)
    if not change.files:
        notes.append(f"No files to report on: nothing {change.described}.")
    if left_out:
        caused = "" if change.compare else " (outside git, findings the change causes elsewhere cannot be told apart)"
        notes.append(f"{left_out} finding{'' if left_out == 1 else 's'} on other files, not caused by the change, "
                     f"{'is' if left_out == 1 else 'are'} not shown{caused}. Run ap-lint check without file "
                     "names, --staged or --since to see every finding.")
    return dataclasses.replace(result, findings=kept, notes=notes), left_out
