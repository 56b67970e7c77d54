"""The main line through time: which commit the register stood at on each day, and a copy of it to check.

The timeline is the first-parent line of HEAD, each commit dated by its committer date in the register's
time zone (the moment a change reached the main line). This is the one place where the dates of commits
are used; the history rules themselves judge the commit graph alone.
"""

from __future__ import annotations

import datetime
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from zoneinfo import ZoneInfo

from ap_lint.errors import GitError
from ap_lint.git.runner import GitRunner

GIT_TIMEOUT_SECONDS = 120


def _git(cwd: Path, *args: str) -> str:
    """What ``git ARGS`` printed in ``cwd``, run the project's one way (see ``git.runner``)."""
    return GitRunner(cwd, GIT_TIMEOUT_SECONDS).output(*args).decode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class MainLineCommit:
    """A commit of the main line: when it reached the main line (a date in the time zone) and who made it."""

    sha: str
    day: str
    author: str
    subject: str


@dataclass(frozen=True)
class MainLine:
    """The first-parent commits of HEAD, oldest first, and where the register sits in the repository."""

    repository: Path
    prefix: str
    commits: tuple[MainLineCommit, ...]

    @classmethod
    def read(cls, register_root: Path, time_zone: str) -> MainLine:
        """The main line of the repository holding ``register_root``; a clear error outside git."""
        try:
            top = _git(register_root, "rev-parse", "--show-toplevel").strip()
        except GitError:
            raise GitError(f"{register_root} is not in a git repository: the register's past is read from its git "
                           "history. Run this in a clone of the register.") from None
        prefix = _git(register_root, "rev-parse", "--show-prefix").strip()
        try:
            log = _git(register_root, "log", "--first-parent", "--format=%H%x00%ct%x00%an%x00%s", "HEAD")
        except GitError:
            log = ""  # no commits yet
        zone = ZoneInfo(time_zone)
        commits = []
        for line in reversed(log.splitlines()):
            sha, stamp, author, subject = line.split("\0", 3)
            day = datetime.datetime.fromtimestamp(int(stamp), zone).date().isoformat()
            commits.append(MainLineCommit(sha, day, author, subject))
        return cls(Path(top), prefix, tuple(commits))

    def at_end_of(self, day: str) -> MainLineCommit | None:
        """The commit the main line stood at at the end of ``day``: the newest one that reached it by then."""
        found = None
        for commit in self.commits:
            if commit.day <= day:
                found = commit
        return found

    def between(self, after: MainLineCommit | None, upto: MainLineCommit) -> list[MainLineCommit]:
        """The commits after ``after`` up to and including ``upto``, in main-line order."""
        shas = [c.sha for c in self.commits]
        start = shas.index(after.sha) + 1 if after is not None else 0
        return list(self.commits[start:shas.index(upto.sha) + 1])


class Snapshot:
    """A private copy of the repository whose work tree can be set to any commit; the user's is never touched.

    It shares the repository's objects (``git clone --shared``), so it costs only the files checked out.
    """

    def __init__(self, line: MainLine) -> None:
        self.line = line
        self._folder = Path(tempfile.mkdtemp(prefix="ap-lint-as-of-"))
        self.repository = self._folder / "register"
        _git(self._folder, "clone", "--quiet", "--shared", "--no-checkout", str(line.repository), str(self.repository))
        self.commit: str | None = None

    @property
    def register_root(self) -> Path:
        return self.repository / self.line.prefix if self.line.prefix else self.repository

    def set(self, commit: str) -> Path:
        """Put the work tree at ``commit`` and return the register's folder in it."""
        if commit != self.commit:
            _git(self.repository, "checkout", "--quiet", "--force", "--detach", commit)
            _git(self.repository, "clean", "--quiet", "-d", "--force", "-x")
            self.commit = commit
        return self.register_root

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
