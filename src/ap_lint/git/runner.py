"""The one way ap-lint runs git: a timeout, a clean environment, and output that a user's settings cannot change.

Every git command goes through ``GitRunner``: ``LC_ALL=C``, no pager, no
colour, file names printed as they are (``core.quotepath=off``), and an
environment that keeps only what locates the repository and its settings
(``PATH``, ``HOME``, the ``GIT_DIR``/``GIT_INDEX_FILE`` family a hook is given)
and drops what changes git's output (``GIT_EXTERNAL_DIFF``, ``GIT_PAGER``,
trace variables, the user's locale). A command that outlives the timeout is
a clear error, never a hang.

``Repository.open`` asks git once where the register sits in its repository:
the register folder's prefix, the commit checked out, and a shallow clone's
boundary.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ap_lint.errors import GitError

#: the longest one git command may run
GIT_TIMEOUT_SECONDS = 120

#: settings that keep a user's git configuration from changing what git prints
_CONFIG = ("-c", "core.quotepath=off", "-c", "color.ui=never", "-c", "log.showSignature=false",
           "-c", "log.follow=false", "-c", "log.diffMerges=first-parent", "-c", "diff.noprefix=false",
           "-c", "core.pager=cat")

#: variables passed to git as they are: where programs, the home folder (global settings) and temporary files are
_KEPT = ("PATH", "HOME", "USERPROFILE", "SYSTEMROOT", "COMSPEC", "PATHEXT", "TMPDIR", "TEMP", "TMP",
         "XDG_CONFIG_HOME", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM",
         "GIT_CEILING_DIRECTORIES", "GIT_NAMESPACE")
#: variables that name the repository (git sets them for a hook); made absolute, as git runs in another folder
_KEPT_PATHS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
               "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR")


#: git commands that only read: within one check (``one_check``) the same question gets the same answer
_READ_ONLY = frozenset({"rev-parse", "ls-files", "diff", "diff-files", "cat-file", "log", "rev-list", "merge-base"})
_ANSWER_BYTES = 1 << 20
#: the answers git gave within the current check, by folder, command, input and environment
_ANSWERS: contextvars.ContextVar[dict[tuple[object, ...], subprocess.CompletedProcess[bytes]] | None] = (
    contextvars.ContextVar("ap_lint_git_answers", default=None))


@contextlib.contextmanager
def one_check() -> Iterator[None]:
    """Within this block git is asked each read-only question once: a check reads the repository as it is when
    it starts and writes nothing there, so asking twice (the scope, then the history pass) would only cost time.
    """
    token = _ANSWERS.set({})
    try:
        yield
    finally:
        _ANSWERS.reset(token)


class NotARepository(GitError):
    """The register is not inside a git work tree (or git cannot be run)."""


def clean_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every git command runs in (``extra`` added last)."""
    environment = {name: os.environ[name] for name in _KEPT if name in os.environ}
    for name in _KEPT_PATHS:
        value = os.environ.get(name)
        if value:
            separator = os.pathsep if name == "GIT_ALTERNATE_OBJECT_DIRECTORIES" else None
            parts = value.split(separator) if separator else [value]
            environment[name] = (separator or "").join(os.path.abspath(part) for part in parts)
    environment.update({"LC_ALL": "C", "LANG": "C", "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0",
                        "GIT_PAGER": "cat", "PAGER": "cat"})
    environment.update(extra or {})
    return environment


def first_line(stderr: bytes) -> str:
    """git's message, without ``fatal:``: the first non-empty line of its error output."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    text = lines[0] if lines else "no message"
    return text.removeprefix("fatal: ").removeprefix("error: ")


class GitRunner:
    """Runs git in one folder."""

    def __init__(self, folder: Path, timeout: float = GIT_TIMEOUT_SECONDS) -> None:
        self.folder = folder
        self.timeout = timeout

    def run(self, *args: str, stdin: bytes | None = None,
            environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
        """Run ``git ARGS``; any exit status is returned. GitError when git is missing or too slow."""
        answers = _ANSWERS.get()
        if answers is None or not args or args[0] not in _READ_ONLY:
            return self._run(args, stdin, environment)
        key = (str(self.folder), args, stdin, tuple(sorted((environment or {}).items())))
        done = answers.get(key)
        if done is None:
            done = self._run(args, stdin, environment)
            if len(done.stdout) <= _ANSWER_BYTES:  # a large answer (blobs, a long log) is not worth its memory
                answers[key] = done
        return done

    def _run(self, args: tuple[str, ...], stdin: bytes | None,
             environment: dict[str, str] | None) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(["git", "--no-pager", "--literal-pathspecs", *_CONFIG, *args], cwd=self.folder,
                                  input=stdin, capture_output=True, timeout=self.timeout, check=False,
                                  env=clean_environment(environment))
        except FileNotFoundError:
            raise NotARepository("git is not installed (or not on PATH)") from None
        except NotADirectoryError:
            raise NotARepository(f"{self.folder} is not a folder") from None
        except OSError as error:
            raise NotARepository(f"git cannot be run ({error.strerror or error})") from None
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} took longer than {self.timeout:g} s; try again.") from None

    def output(self, *args: str, stdin: bytes | None = None) -> bytes:
        """Run ``git ARGS`` and return what it printed; a failure is a GitError naming the command."""
        done = self.run(*args, stdin=stdin)
        if done.returncode != 0:
            raise GitError(f"git {args[0]} failed in {self.folder}: {first_line(done.stderr)}")
        return done.stdout


@dataclass(frozen=True)
class Repository:
    """The git repository that holds a register: how to run git there and where the register sits in it."""

    runner: GitRunner
    #: the register folder relative to the repository's top folder, with a trailing slash ("" at the top)
    prefix: str
    #: the commit checked out; None before the first commit
    head: str | None
    #: a shallow clone's boundary commits (their parents were not fetched)
    boundary: frozenset[str]

    @property
    def root(self) -> Path:
        return self.runner.folder

    @classmethod
    def open(cls, root: Path) -> "Repository":
        """The repository holding ``root``; NotARepository when there is none."""
        runner = GitRunner(root)
        # exit status 1 with the first three answers: a repository with no commit yet
        done = runner.run("rev-parse", "--show-prefix", "--is-shallow-repository", "--git-path", "shallow",
                          "-q", "--verify", "HEAD^{commit}")
        if done.returncode not in (0, 1):
            message = first_line(done.stderr)
            if "not a git repository" in message:
                raise NotARepository("not a git repository")
            raise NotARepository(f"git cannot read the repository ({message})")
        lines = (done.stdout.decode("utf-8", "surrogateescape").split("\n") + [""] * 4)[:4]
        prefix, shallow, shallow_file, head_line = lines
        head = head_line.strip() if done.returncode == 0 and head_line.strip() else None
        boundary: frozenset[str] = frozenset()
        if shallow == "true":
            try:
                boundary = frozenset((root / shallow_file).read_text("ascii").split())
            except OSError:
                boundary = frozenset()
        return cls(runner, prefix, head, boundary)

    def relative(self, path: bytes) -> str | None:
        """A path git printed (relative to the repository's top) relative to the register; None outside it."""
        text = path.decode("utf-8", "surrogateescape")
        if not text.startswith(self.prefix):
            return None
        return text[len(self.prefix):]

    def in_repository(self, path: str) -> str:
        """A register path as git names it from the repository's top folder."""
        return self.prefix + path

    def resolve(self, revision: str) -> str:
        """The commit ``revision`` names; a clear error when git does not know it."""
        return resolve_revision(self.runner, revision)

    def merge_base(self, revision: str) -> str:
        """Where the checked-out branch left ``revision`` (the revision itself when they share no commit)."""
        commit = self.resolve(revision)
        if self.head is None:
            return commit
        done = self.runner.run("merge-base", commit, self.head)
        found = done.stdout.decode("ascii", "replace").strip()
        return found if done.returncode == 0 and found else commit


def resolve_revision(runner: GitRunner, revision: str) -> str:
    """The commit ``revision`` names; a clear error when git does not know it."""
    if revision.startswith("-"):
        raise GitError(f"'{revision}' is not a revision: name a branch, tag or commit.")
    done = runner.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    if done.returncode != 0:
        raise GitError(f"git does not know the revision '{revision}'. Fetch it first (in GitHub Actions: "
                       "actions/checkout with fetch-depth: 0), or name another branch, tag or commit.")
    return done.stdout.decode("ascii", "replace").strip()


def commit_snapshot(root: Path, message: str, date: str, author: str = "Example Editor") -> None:
    """Commit everything in ``root`` as one commit dated ``date`` (creating the repository if needed).

    For rule examples and tests: git runs without the user's or the system's
    configuration, with a fixed author and date, so the history is reproducible.
    """
    stamp = f"{date}T12:00:00+00:00"
    email = author.lower().replace(" ", ".") + "@example.invalid"
    environment = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
                   "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": stamp,
                   "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": stamp}
    steps = [["add", "-A", "."], ["commit", "-q", "--allow-empty", "--no-verify", "-m", message]]
    if not (root / ".git").exists():
        steps.insert(0, ["init", "-q", "-b", "main"])
    runner = GitRunner(root)
    for step in steps:
        done = runner.run(*step, environment=environment)
        if done.returncode != 0:
            raise GitError(f"git {step[0]} failed: {first_line(done.stderr)}")
