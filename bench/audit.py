"""Time `ap-lint audit` over a school year of a register kept in git, against one cold `ap-lint check`.

    python bench/audit.py [--placements 1000] [--commits 500] [--seed 7] [--keep DIR]

The register is the benchmark's generated one (bench/generate.py) as a long history: placements added
and reviewed over time, each commit dated on the day of its changes. The audit covers the 365 days that
hold the most commits. The peer, in the same run on the same register, is one `ap-lint check --no-cache`
of the register as it stands: the ratio says how many cold checks a year's audit costs (a day-by-day
audit made of `check --as-of` calls would cost about 365). Times are whole-process: wall clock, and CPU
time of the process and its children (the figure that holds on a busy machine). The target (issue:
"a year of a 1,000-placement register with 500 commits in under a minute") is printed with PASS/FAIL.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (bench/generate.py, beside this file)

TARGET_SECONDS = 60.0


def ap_lint() -> list[str]:
    found = shutil.which("ap-lint")
    return [found] if found else [sys.executable, "-m", "ap_lint"]


def timed(command: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the children, exit code) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise SystemExit(f"bench/audit: {' '.join(command)} failed: {done.stderr.strip()}")
    return wall, cpu, done.returncode


def busiest_year(register: Path) -> tuple[str, str]:
    """The 365 days holding the most main-line commits (by committer date)."""
    log = subprocess.run(["git", "log", "--first-parent", "--format=%cs", "HEAD"], cwd=register, check=True,
                         capture_output=True, text=True).stdout.split()
    days = sorted(datetime.date.fromisoformat(d) for d in log)
    best, start = 0, days[0]
    for first in days:
        count = sum(1 for d in days if first <= d < first + datetime.timedelta(days=365))
        if count > best:
            best, start = count, first
    return start.isoformat(), (start + datetime.timedelta(days=364)).isoformat()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--placements", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the register here and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ap-lint-bench-audit-"))
    register = folder / "register"
    if register.exists():
        shutil.rmtree(register)
    register.mkdir(parents=True)
    generate.generate(register, args.placements, seed=args.seed, commits=args.commits)
    first, last = busiest_year(register)
    commits = int(subprocess.run(["git", "rev-list", "--count", "--first-parent", f"--since={first}",
                                  f"--until={last}T23:59:59", "HEAD"], cwd=register, check=True,
                                 capture_output=True, text=True).stdout)
    env_note = f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    check_wall, check_cpu, _ = timed([*ap_lint(), "check", "--no-cache", "--today", last], register)
    audit_wall, audit_cpu, _ = timed([*ap_lint(), "audit", "--from", first, "--to", last, "--format", "json"],
                                     register)
    print(f"register: {args.placements} placements, {args.commits} commits; the year {first} to {last} holds "
          f"{commits} of them ({env_note})")
    print(f"ap-lint check --no-cache (peer):  wall {check_wall:6.1f} s  cpu {check_cpu:6.1f} s")
    print(f"ap-lint audit, one year:          wall {audit_wall:6.1f} s  cpu {audit_cpu:6.1f} s  "
          f"({audit_wall / check_wall:.1f}x the peer's wall time, {audit_cpu / check_cpu:.1f}x its cpu time)")
    verdict = "PASS" if audit_wall <= TARGET_SECONDS else "FAIL"
    print(f"target: a year's audit within {TARGET_SECONDS:.0f} s wall: {audit_wall:.1f} s {verdict} "
          f"(cpu {audit_cpu:.1f} s)")
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
