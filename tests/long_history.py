"""A register repository with a long history, built in one ``git fast-import`` (seconds for 1,000 commits).

The first commit holds the example register. Each later commit adds one
behaviour placement (a copy of oakfield-2026-001 with its own id and pupil) and
records a review in the placement the commit before added, as a data team
would; every ``breach_every``-th commit also moves a decision date, so the
history has findings to find. All data is fictional.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL = "records/placements/oakfield/oakfield-2026-001.yaml"
_START = 1_790_000_000  # seconds since 1970: 2026-09-20
GIT_ENVIRONMENT = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def placement_path(number: int) -> str:
    return f"records/placements/oakfield/oakfield-2027-{number:04d}.yaml"


def placement_text(number: int, reviews: int = 0, decision: str = "2026-09-03") -> str:
    """Placement ``number``: the model with its own id and pupil, ``reviews`` extra reviews and a decision date."""
    text = (REPO_ROOT / MODEL).read_text("utf-8")
    text = text.replace("oakfield-2026-001", f"oakfield-2027-{number:04d}")
    text = text.replace("CRST-P-10482", f"CRST-P-{70000 + number}")
    text = text.replace("  date: 2026-09-03", f"  date: {decision}", 1)
    extra = "".join(f"  - date: 2026-11-2{day}\n    attendance_percent: 9{day}\n"
                    "    progress: Attending every session and completing the work set each week.\n"
                    "    decision: continue\n" for day in range(1, reviews + 1))
    return text.replace("reintegration:", extra + "reintegration:", 1)


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _commit(number: int, message: str, files: dict[str, str]) -> bytes:
    stamp = b"%d +0000" % (_START + number * 3600)
    lines = [b"commit refs/heads/main\n", b"mark :%d\n" % (number + 1),
             b"author Ann Example <ann.example@example.invalid> " + stamp + b"\n",
             b"committer Ann Example <ann.example@example.invalid> " + stamp + b"\n", _data(message.encode())]
    if number:
        lines.append(b"from :%d\n" % number)
    for path, text in files.items():
        lines.append(b"M 100644 inline " + path.encode() + b"\n" + _data(text.encode("utf-8")))
    return b"".join(lines) + b"\n"


def build(root: Path, commits: int, breach_every: int = 0) -> list[str]:
    """A repository at ``root`` with the example register and ``commits`` more commits; returns their paths touched.

    ``breach_every`` n > 0: every n-th commit also moves the decision date of
    the placement it reviews (a ``history-decision-date-fixed`` finding).
    """
    root.mkdir(parents=True, exist_ok=True)
    run = {"cwd": root, "check": True, "capture_output": True, "env": {**os.environ, **GIT_ENVIRONMENT}}
    subprocess.run(["git", "init", "-q", "-b", "main"], **run)  # type: ignore[call-overload]
    base = {path.relative_to(REPO_ROOT).as_posix(): path.read_text("utf-8")
            for path in sorted((REPO_ROOT / "records").rglob("*.yaml"))}
    stream = [_commit(0, "Register as at September", base)]
    touched = []
    for number in range(1, commits + 1):
        files = {placement_path(number): placement_text(number)}
        if number > 1:
            moved = breach_every and number % breach_every == 0
            files[placement_path(number - 1)] = placement_text(number - 1, reviews=1,
                                                               decision="2026-08-28" if moved else "2026-09-03")
        touched.extend(files)
        stream.append(_commit(number, f"Add placement {number} and review placement {number - 1}", files))
    subprocess.run(["git", "fast-import", "--quiet"], input=b"".join(stream), **run)  # type: ignore[call-overload]
    subprocess.run(["git", "checkout", "-q", "-f", "main"], **run)  # type: ignore[call-overload]
    return touched


def add_commit(root: Path, number: int, message: str, files: dict[str, str]) -> None:
    """One more commit on top, made with git itself."""
    for path, text in files.items():
        (root / path).write_text(text, "utf-8")
    environment = {**os.environ, **GIT_ENVIRONMENT, "GIT_AUTHOR_NAME": "Ann Example",
                   "GIT_AUTHOR_EMAIL": "ann.example@example.invalid", "GIT_COMMITTER_NAME": "Ann Example",
                   "GIT_COMMITTER_EMAIL": "ann.example@example.invalid",
                   "GIT_AUTHOR_DATE": f"{_START + number * 3600} +0000",
                   "GIT_COMMITTER_DATE": f"{_START + number * 3600} +0000"}
    for args in (["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=environment)


def measure(commits: int) -> None:
    """Print how long the history pass takes on a ``commits``-commit history: cold, cached, one new commit, scoped."""
    import resource
    import tempfile
    import time

    from ap_lint.checker import Checker
    from ap_lint.git.history import check_history
    from ap_lint.load.register import discover
    from ap_lint.pack import load_pack

    def cpu() -> tuple[float, float]:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime

    with tempfile.TemporaryDirectory(prefix="ap-lint-history-") as folder:
        root, cache = Path(folder) / "register", Path(folder) / "cache"
        build(root, commits, breach_every=100)
        checker = Checker.from_pack(load_pack(REPO_ROOT))

        def run(label: str, **options: object) -> None:
            sources, _ = discover(root, checker.pack)
            records = checker.load(sources)
            wall, used = time.perf_counter(), cpu()
            result = check_history(root, checker.compiler, checker.rules, records, "2026-11-28",
                                   **options)  # type: ignore[arg-type]
            now = cpu()
            print(f"{commits} commits, {label}: {time.perf_counter() - wall:.3f} s wall, CPU {now[0] - used[0]:.3f} s "
                  f"in ap-lint + {now[1] - used[1]:.3f} s in git, {len(result.findings)} findings")

        run("cold, no cache")
        run("cold, writing the cache", cache_dir=cache)
        run("cached, nothing new", cache_dir=cache)
        number = commits + 1
        add_commit(root, number, "One more placement", {placement_path(number): placement_text(number)})
        run("one new commit", cache_dir=cache)
        run("one file (pre-commit), no cache", paths=[placement_path(commits)])
        number += 1
        add_commit(root, number, "And one more", {placement_path(number): placement_text(number)})
        run("one file (pre-commit) after a new commit, cached before it", paths=[placement_path(number)],
            cache_dir=cache)


if __name__ == "__main__":
    import sys

    for count in sys.argv[1:] or ["1000"]:
        measure(int(count))
