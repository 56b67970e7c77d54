"""Measure ``ap-lint check`` against check-jsonschema on generated registers in git.

    python bench/run.py                      # 1,000, 10,000 and 100,000 placements, and a long history
    python bench/run.py --sizes 1000         # a quick look: 1,000 placements, and the long history

For each size it generates a compliant register (bench/generate.py) as a git
repository holding it in one commit, and a register of 1,000 placements built
up over 1,000 commits (``--history``). On the same files it measures, as
separate processes, each with wall time and peak memory:

- ``ap-lint check`` cold (its cache removed first), warm (run again, nothing
  changed), after one placement changed in the working tree, the pre-commit
  run (``--staged`` with one staged placement), and with ``--no-cache`` when
  the command has that option; on the long history also after 10 and after
  100 new commits on top of a warm run, and, from the same cache, after the
  same edits left uncommitted (the difference is what the commits' history
  costs);
- check-jsonschema 0.39 validating only the placement files against
  ``schemas/placement.schema.json`` (installed into bench/.venv-peer);
- for context: reading and parsing every placement file with PyYAML's
  CSafeLoader in one process, and starting ``ap-lint --version``.

Each measurement is repeated (default 3 times up to 10,000 placements, once
above) and the median kept. It prints a table, the targets with PASS or FAIL,
writes bench/out/results-<date>-<time>.json (with the commit measured and the date)
and, with ``--markdown``, Markdown tables for the README. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402  (bench/generate.py, beside this file)
from ap_lint.fsutil import write_atomic  # noqa: E402

PEER_REQUIREMENT = "check-jsonschema==0.39.*"
PEER_VERSION_PREFIX = "0.39."
PLACEMENT_SCHEMA = REPO / "schemas" / "placement.schema.json"
CACHE_DIR_NAME = ".ap-lint-cache"
SAMPLE_SECONDS = 0.05
GIB = 1024 ** 3
DEFAULT_TODAY = "2026-11-28"
LARGE = 100_000
BASE = 10_000

# (name, limit): at 10,000 placements in one commit, ap-lint's time over check-jsonschema's.
RATIO_TARGETS = (("cold", 0.10), ("warm", 0.03), ("changed", 0.05))
SCALE_TIME_LIMIT = 12.0
SCALE_MEMORY_LIMIT = GIB
PRECOMMIT_LIMIT = 0.5  # seconds: a warm pre-commit run on the long history
NEW_COMMITS = (10, 100)  # commits added on top of a warm run of the long history
NOISE_SECONDS = 0.1  # allowed on top of a history target's limit: timing noise
DEFAULT_HISTORY = "1000:1000"

PARSE_ONLY = """
import sys, time, yaml
paths = open(sys.argv[1], encoding="utf-8").read().split("\\n")
began = time.perf_counter()
for path in paths:
    with open(path, "rb") as stream:
        yaml.load(stream.read(), Loader=yaml.CSafeLoader)
print(time.perf_counter() - began)
"""

LABELS = {
    "cold": "ap-lint check, cold (no cache)",
    "warm": "ap-lint check, warm (nothing changed)",
    "changed": "ap-lint check, one placement changed",
    "precommit": "ap-lint check --staged, one file staged (pre-commit)",
    "new_10": "ap-lint check, 10 new commits on a warm run",
    "new_100": "ap-lint check, 100 new commits on a warm run",
    "edits_10": "ap-lint check, the same edits as 10 new commits, not committed",
    "edits_100": "ap-lint check, the same edits as 100 new commits, not committed",
    "no_cache": "ap-lint check --no-cache",
    "peer": "check-jsonschema, placements only",
    "parse": "PyYAML CSafeLoader parse only, in-process",
    "startup": "ap-lint --version (start-up)",
}


@dataclass
class Measurement:
    """One run of one command: wall time, peak memory and how it ended."""

    seconds: float
    peak_bytes: int
    largest_process_bytes: int
    exit_code: int
    cpu_seconds: float = 0.0
    batches: int = 1


@dataclass
class Series:
    """Repeated measurements of one thing, summarised by the median."""

    runs: list[Measurement] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(run.cpu_seconds for run in self.runs)

    @property
    def peak_bytes(self) -> int:
        return max(run.peak_bytes for run in self.runs)

    def summary(self) -> dict[str, Any]:
        return {"median_seconds": round(self.seconds, 4), "median_cpu_seconds": round(self.cpu_seconds, 4),
                "min_seconds": round(min(run.seconds for run in self.runs), 4), "peak_bytes": self.peak_bytes,
                "runs": [asdict(run) for run in self.runs]}


# --- measuring one process ---------------------------------------------------

def _process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux /proc)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as stream:
                    pending.extend(int(child) for child in stream.read().split())
        except OSError:
            continue
    return found


def _memory_of(pid: int) -> int:
    """Proportional set size of one process (shared pages split between sharers), else its RSS."""
    for path, key in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(path, encoding="ascii") as stream:
                for line in stream:
                    if line.startswith(key):
                        return int(line.split()[1]) * 1024
        except OSError:
            continue
    return 0


class TreeSampler(threading.Thread):
    """Samples the memory of the processes below ``pid`` until stopped; keeps the peak of their sum."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total = sum(_memory_of(pid) for pid in _process_tree(self.pid)[1:])  # not the wrapper itself
            self.peak = max(self.peak, total)
            self.done.wait(SAMPLE_SECONDS)


# A small process that starts the measured command and reports its own child's resource usage. Linux
# keeps a process's peak RSS across exec, so a command started straight from this (larger) process
# would inherit this process's RSS as its peak; from the wrapper it inherits at most the wrapper's.
WRAPPER = """
import os, sys, time
began = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - began
with open(sys.argv[1], "w", encoding="ascii") as out:
    out.write(f"{seconds} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime} {os.waitstatus_to_exitcode(status)}")
"""


def measure(command: Sequence[str], cwd: Path, env: dict[str, str], log: Path) -> Measurement:
    """Run ``command`` once; its wall time, CPU time and peak memory.

    Peak memory is the larger of the biggest single process's peak RSS (from
    ``wait4``, in a small wrapper process) and the sampled peak of the summed
    memory of the command and its children (for a checker that forks workers).
    """
    report = log.with_suffix(".usage")
    report.unlink(missing_ok=True)
    wrapped = [sys.executable, "-S", "-E", "-c", WRAPPER, str(report), *command]
    with open(log, "wb") as output:
        process = subprocess.Popen(wrapped, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        sampler = TreeSampler(process.pid)
        sampler.start()
        process.wait()
        sampler.done.set()
        sampler.join()
    try:
        seconds, maxrss, cpu, exit_code = report.read_text("ascii").split()
    except (OSError, ValueError):
        raise SystemExit(f"run: could not measure {' '.join(command)} (the wrapper exited {process.returncode}).")
    largest = int(maxrss) * 1024  # kilobytes on Linux
    return Measurement(float(seconds), max(largest, sampler.peak), largest, int(exit_code), float(cpu))


def measure_batched(command: Sequence[str], arguments: Sequence[str], cwd: Path, env: dict[str, str],
                    log: Path) -> Measurement:
    """Run ``command`` over ``arguments`` in as few batches as the command-line limit allows (like xargs).

    Times add up; peak memory is the largest of any batch.
    """
    batches = split_arguments(arguments, argument_budget(env))
    total = Measurement(0.0, 0, 0, 0, batches=len(batches))
    for batch in batches:
        run = measure([*command, *batch], cwd, env, log)
        total.seconds += run.seconds
        total.cpu_seconds += run.cpu_seconds
        total.peak_bytes = max(total.peak_bytes, run.peak_bytes)
        total.largest_process_bytes = max(total.largest_process_bytes, run.largest_process_bytes)
        total.exit_code = total.exit_code or run.exit_code
    return total


def argument_budget(env: dict[str, str]) -> int:
    """Bytes of arguments one command line may carry here, with a wide margin."""
    try:
        limit = os.sysconf("SC_ARG_MAX")
    except (ValueError, OSError):
        limit = 131072
    environment = sum(len(k) + len(v) + 2 for k, v in env.items())
    return max(16384, (limit - environment) // 2)


def split_arguments(arguments: Sequence[str], budget: int) -> list[list[str]]:
    batches: list[list[str]] = [[]]
    used = 0
    for argument in arguments:
        size = len(argument.encode()) + 1 + 8  # the string, its NUL and its pointer
        if batches[-1] and used + size > budget:
            batches.append([])
            used = 0
        batches[-1].append(argument)
        used += size
    return batches


# --- the tools ---------------------------------------------------------------

SOURCE: Path | None = None  # --src: run ap-lint from this checkout's src/ instead of the installed command


def ap_lint_command() -> list[str]:
    found = shutil.which("ap-lint")
    return [found] if found and SOURCE is None else [sys.executable, "-m", "ap_lint"]


def child_environment() -> dict[str, str]:
    """The environment every measured command runs in."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # both tools start as a user's would, from cached bytecode
    env.pop("AP_LINT_TODAY", None)
    if SOURCE is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(SOURCE / "src"), *filter(None, [env.get("PYTHONPATH")])])
    return env


def has_option(command: Sequence[str], option: str) -> bool:
    result = subprocess.run([*command, "check", "--help"], capture_output=True, text=True, check=False,
                            env=child_environment())
    return option in result.stdout


def ensure_peer(venv: Path) -> Path:
    """The check-jsonschema 0.39 executable in its own venv, installed there first if missing."""
    executable = venv / "bin" / "check-jsonschema"
    if not executable.exists() or not peer_version(executable).startswith(PEER_VERSION_PREFIX):
        progress(f"installing {PEER_REQUIREMENT} into {venv} ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        PEER_REQUIREMENT], check=True, stdout=subprocess.DEVNULL)
    version = peer_version(executable)
    if not version.startswith(PEER_VERSION_PREFIX):
        raise SystemExit(f"run: {executable} is version '{version}', expected {PEER_REQUIREMENT}.")
    return executable


def peer_version(executable: Path) -> str:
    try:
        result = subprocess.run([str(executable), "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return ""
    match = re.search(r"version\s+(\S+)", result.stdout)
    return match.group(1) if match else ""


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    memory = 0
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), cpu)
        memory = next((int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal:")), 0)
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                            text=True, check=False).stdout.strip()
    commit_id, _, commit_date = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%H %cs"],
                                               capture_output=True, text=True,
                                               check=False).stdout.strip().partition(" ")
    version = subprocess.run([*ap_lint_command(), "--version"], capture_output=True, text=True,
                             check=False, env=child_environment()).stdout.strip()
    if SOURCE is not None:
        source = subprocess.run(["git", "-C", str(SOURCE), "describe", "--always", "--dirty"], capture_output=True,
                                text=True, check=False).stdout.strip()
        version += f" from {SOURCE / 'src'}" + (f" ({source})" if source else "")
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_bytes": memory, "python": platform.python_version(),
            "platform": platform.platform(), "ap_lint": version, "commit": commit, "commit_id": commit_id,
            "commit_date": commit_date}


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- one size ----------------------------------------------------------------

@dataclass(frozen=True)
class Register:
    """One generated register: its placements, and its commits (None: not in git; 1: one commit)."""

    placements: int
    commits: int | None

    @property
    def key(self) -> str:
        if self.commits is None:
            return f"{self.placements}-no-git"
        return str(self.placements) if self.commits == 1 else f"{self.placements}x{self.commits}"

    @property
    def title(self) -> str:
        if self.commits is None:
            return f"{self.placements:,} placements, not in git"
        return f"{self.placements:,} placements, " + ("one commit" if self.commits == 1 else f"{self.commits:,} commits")

    @property
    def history(self) -> bool:
        return self.commits is not None and self.commits > 1


@dataclass
class SizeResult:
    register: Register
    records: int
    generate_seconds: float
    series: dict[str, Series]
    parse_seconds: list[float]
    notes: list[str]
    peer_from: str | None = None  # the register whose check-jsonschema run this one shares (same files)

    @property
    def placements(self) -> int:
        return self.register.placements

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {"placements": self.placements, "commits": self.register.commits,
                                "records": self.records, "generate_seconds": round(self.generate_seconds, 3),
                                "notes": self.notes}
        if self.peer_from is not None:
            data["peer_from"] = self.peer_from
        for name, series in self.series.items():
            data[name] = series.summary()
        if self.parse_seconds:
            data["parse"]["in_process_seconds"] = round(statistics.median(self.parse_seconds), 4)
            data["parse"]["in_process_runs"] = [round(s, 4) for s in self.parse_seconds]
        return data

    def seconds(self, name: str) -> float | None:
        if name == "parse" and self.parse_seconds:
            return statistics.median(self.parse_seconds)
        series = self.series.get(name)
        return series.seconds if series and series.runs else None

    def cpu_seconds(self, name: str) -> float | None:
        series = self.series.get(name)
        return series.cpu_seconds if series and series.runs else None


class ChangedRecord:
    """One placement whose rationale is rewritten before each 'one changed' run, then restored.

    The new sentences are the generator's own for the placement's reason, so
    the register stays compliant: no rule, the history rules included, finds
    anything in the change (a past review's progress, by contrast, may not be
    rewritten once committed).
    """

    LINE = re.compile(r"^rationale: .*$", re.MULTILINE)
    REASON = re.compile(r"^reason: (\S+)$", re.MULTILINE)

    def __init__(self, placements: Sequence[Path]) -> None:
        self.path = next((p for p in placements if self.LINE.search(p.read_text("utf-8"))), placements[0])
        self.original = self.path.read_text("utf-8")
        reason = self.REASON.search(self.original)
        templates = generate.RATIONALES[reason.group(1) if reason else "behaviour"]
        sentences = [t.format(s=subject) for subject in generate.SUBJECTS for t in templates]
        self.sentences = [s for s in sentences if f"rationale: {generate.scalar(s)}" not in self.original]
        self.count = 0

    def touch(self) -> None:
        sentence = generate.scalar(self.sentences[self.count % len(self.sentences)])
        self.count += 1
        self.path.write_text(self.LINE.sub(lambda _: f"rationale: {sentence}", self.original, count=1), "utf-8")

    def restore(self) -> None:
        self.path.write_text(self.original, "utf-8")


def keep_caches(caches: Sequence[Path], folder: Path) -> list[tuple[Path, Path]]:
    """Copy each cache folder that exists into ``folder``; what to put back with ``restore_caches``."""
    shutil.rmtree(folder, ignore_errors=True)
    kept = []
    for number, cache in enumerate(caches):
        if cache.is_dir():
            copy = folder / str(number)
            shutil.copytree(cache, copy, symlinks=True)
            kept.append((cache, copy))
    return kept


def restore_caches(caches: Sequence[Path], kept: list[tuple[Path, Path]]) -> None:
    """Put the cache folders back as ``keep_caches`` found them (a folder that did not exist is removed)."""
    for cache in caches:
        shutil.rmtree(cache, ignore_errors=True)
    for cache, copy in kept:
        shutil.copytree(copy, cache, symlinks=True)


def check_exit(name: str, run: Measurement, log: Path, notes: list[str]) -> None:
    """Note a run that found errors (the register is not compliant); stop on a run that failed."""
    if run.exit_code == 0:
        return
    tail = log.read_text("utf-8", errors="replace").strip().splitlines()[-3:]
    note = f"{LABELS[name]} exited {run.exit_code}: " + " | ".join(tail)
    if run.exit_code != 1 or name in ("parse", "startup"):
        raise SystemExit(f"run: {note}\nNothing was measured; fix this and run again.")
    if note not in notes:
        notes.append(note)
        progress("WARNING " + note)


def git_quiet(root: Path, *args: str) -> None:
    """Run git in the generated register (its own fixed author; no user configuration)."""
    generate.run_git(root, *args)


def run_size(register: Register, args: argparse.Namespace, peer: Path | None, no_cache: bool,
             shared_peer: SizeResult | None = None) -> SizeResult:
    """Generate one register and measure every run on it, ``repeat`` rounds.

    ``shared_peer``: a register already measured with the same files (the
    long history ends in the same register as the one commit of its size), whose
    check-jsonschema, parse-only and start-up runs are reused.
    """
    size = register.placements
    root = args.out / f"register-{register.key}"
    progress(f"{register.title}: generating {root} ...")
    began = time.perf_counter()
    counts = generate.generate(root, size, args.seed, git=register.commits is not None,
                               commits=register.commits if register.history else None)
    generate_seconds = time.perf_counter() - began
    placements = sorted((root / "records" / "placements").glob("*/*.yaml"))
    relative = [p.relative_to(root).as_posix() for p in placements]
    work = args.out / "work"
    work.mkdir(parents=True, exist_ok=True)
    list_file = work / f"placements-{register.key}.txt"
    list_file.write_text("\n".join(str(p) for p in placements), "utf-8")
    log = work / f"last-{register.key}.log"
    env = child_environment()
    xdg = work / f"xdg-cache-{register.key}"
    env["XDG_CACHE_HOME"] = str(xdg)  # any per-user cache the checker keeps goes here, so cold runs can clear it
    caches = [root / CACHE_DIR_NAME, xdg, *args.cache_dir]
    check = [*ap_lint_command(), "check", str(root), "--today", args.today, "--pack", str(args.pack)]
    repeat = args.repeat or (3 if size <= BASE else 1)
    names = ("cold", "warm", "changed", "precommit", "no_cache", "new_10", "new_100", "edits_10", "edits_100", "peer",
             "parse", "startup")
    series = {name: Series() for name in names}
    parse_seconds: list[float] = []
    notes: list[str] = []
    changed = ChangedRecord(placements)
    in_git = register.commits is not None
    base_commit = generate.run_git(root, "rev-parse", "HEAD").strip() if register.history else ""

    def timed(name: str, command: Sequence[str]) -> Measurement:
        run = measure(command, root, env, log)
        check_exit(name, run, log, notes)
        series[name].runs.append(run)
        return run

    try:
        for round_number in range(1, repeat + 1):
            progress(f"{register.title}: round {round_number} of {repeat}")
            for cache in caches:
                shutil.rmtree(cache, ignore_errors=True)
            timed("cold", check)
            timed("warm", check)
            changed.touch()
            timed("changed", check)
            if in_git:  # pre-commit: one more edit to the same file, staged; the hook checks the staged files
                changed.touch()
                git_quiet(root, "add", "--", changed.path.relative_to(root).as_posix())
                timed("precommit", [*check, "--staged"])
                changed.restore()
                git_quiet(root, "reset", "--quiet", "--", changed.path.relative_to(root).as_posix())
            else:
                changed.restore()
            if no_cache:
                timed("no_cache", [*check, "--no-cache"])
            if register.history:
                for count in NEW_COMMITS:
                    measure(check, root, env, log)  # warm again on the register as generated (not timed)
                    snapshot = keep_caches(caches, work / f"caches-{register.key}")
                    generate.add_commits(root, count, f"Round {round_number}")
                    new_head = generate.run_git(root, "rev-parse", "HEAD").strip()
                    # the same files, changed the same way but not committed: everything but the commits' history
                    git_quiet(root, "reset", "--quiet", "--soft", base_commit)
                    timed(f"edits_{count}", check)
                    restore_caches(caches, snapshot)
                    git_quiet(root, "reset", "--quiet", "--soft", new_head)
                    timed(f"new_{count}", check)
                    git_quiet(root, "reset", "--quiet", "--hard", base_commit)
            if shared_peer is not None:
                continue
            if peer is not None:
                run = measure_batched([str(peer), "--schemafile", str(PLACEMENT_SCHEMA)], relative, root, env, log)
                check_exit("peer", run, log, notes)
                series["peer"].runs.append(run)
            run = timed("parse", [sys.executable, "-c", PARSE_ONLY, str(list_file)])
            if run.exit_code == 0:
                parse_seconds.append(float(log.read_text("utf-8").split()[-1]))
            series["startup"].runs.append(measure([*ap_lint_command(), "--version"], root, env, log))
    finally:
        changed.restore()
        if in_git:
            git_quiet(root, "reset", "--quiet", *(["--hard", base_commit] if base_commit else []))
    if shared_peer is not None:
        for name in ("peer", "parse", "startup"):
            series[name] = shared_peer.series.get(name, Series())
        parse_seconds = list(shared_peer.parse_seconds)
    elif peer is not None and series["peer"].runs:
        batches = series["peer"].runs[0].batches
        notes.append(f"check-jsonschema was given the {size:,} placement files in one command line."
                     if batches == 1 else f"check-jsonschema was given the {size:,} placement files in "
                     f"{batches} command lines (the limit is ARG_MAX); their times are added up.")
    return SizeResult(register, sum(counts.values()), generate_seconds,
                      {k: v for k, v in series.items() if v.runs}, parse_seconds, notes,
                      shared_peer.register.key if shared_peer is not None else None)


# --- reporting ---------------------------------------------------------------

def find(results: dict[str, SizeResult], placements: int, history: bool) -> SizeResult | None:
    """The register of ``placements`` measured in this run: a long history, else in one commit (or not in git)."""
    found = [r for r in results.values() if r.placements == placements and r.register.history == history]
    return found[0] if found else None


def difference(value: float | None, base: float | None) -> float | None:
    return value - base if value is not None and base is not None else None


def target(name: str, value: float | None, limit: float | None, unit: str, **extra: Any) -> dict[str, Any]:
    result = "n/a" if limit is None else verdict(value, limit)
    return {"target": name, "value": value, "limit": limit, "unit": unit, "result": result, **extra}


def ratios(results: dict[str, SizeResult]) -> list[dict[str, Any]]:
    """Each target of issue 16 with its measured value and PASS/FAIL (or n/a when a run is missing)."""
    found = []
    base = find(results, BASE, history=False)
    if base is not None:
        peer = base.seconds("peer")
        peer_cpu = base.cpu_seconds("peer")
        for name, limit in RATIO_TARGETS:
            value, cpu = base.seconds(name), base.cpu_seconds(name)
            ratio = value / peer if value is not None and peer else None
            cpu_ratio = cpu / peer_cpu if cpu is not None and peer_cpu else None
            found.append(target(f"{base.register.title}: {LABELS[name]} / check-jsonschema", ratio, limit, "x",
                                cpu_ratio=cpu_ratio))
    for result in results.values():
        if not result.register.history:
            continue
        title = result.register.title
        found.append(target(f"{title}: pre-commit (--staged, one file), warm", result.seconds("precommit"),
                            PRECOMMIT_LIMIT, "s", cpu=result.cpu_seconds("precommit")))
        one = find(results, result.placements, history=False)
        commits = result.register.commits or 1
        if one is None:
            found.append(target(f"{title}: history pass linear in new commits (needs --sizes "
                                f"{result.placements})", None, None, "s"))
            continue
        # CPU time: these compare runs on two registers made minutes apart, which wall time on a shared
        # machine does not allow (the load changes between them); the work done is what is compared.
        cold_history = (result.cpu_seconds("cold") or 0) - (one.cpu_seconds("cold") or 0)  # uncached history pass
        found.append(target(f"{title}: CPU time the history adds to a warm run", difference(
            result.cpu_seconds("warm"), one.cpu_seconds("warm")), NOISE_SECONDS, "s", wall=difference(
            result.seconds("warm"), one.seconds("warm")), cold_history_cpu_seconds=cold_history))
        for count in NEW_COMMITS:
            # the same edits made as commits, or left uncommitted, from the same cache: the difference is what
            # reading those commits' history costs
            extra = difference(result.cpu_seconds(f"new_{count}"), result.cpu_seconds(f"edits_{count}"))
            limit = 2 * count / commits * max(cold_history, 0) + NOISE_SECONDS
            found.append(target(f"{title}: CPU time {count} new commits add over the same edits uncommitted", extra,
                                limit, "s", over_warm=difference(result.cpu_seconds(f"new_{count}"),
                                                                 one.cpu_seconds("warm")),
                                cold_history_cpu_seconds=cold_history))
    large = find(results, LARGE, history=False)
    if large is not None:
        cold_large = large.seconds("cold")
        cold_base = base.seconds("cold") if base is not None else None
        ratio = cold_large / cold_base if cold_large is not None and cold_base else None
        found.append(target(f"{large.register.title}: cold time / {BASE:,} cold time", ratio, SCALE_TIME_LIMIT,
                            "x"))
        peaks = [large.series[n].peak_bytes for n in ("cold", "warm", "changed", "precommit", "no_cache")
                 if n in large.series]
        found.append(target(f"{large.register.title}: ap-lint peak memory", max(peaks) if peaks else None,
                            SCALE_MEMORY_LIMIT, "bytes"))
    return found


def verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "n/a"
    return "PASS" if value <= limit else "FAIL"


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def fmt_bytes(value: float | None) -> str:
    return "-" if value is None else f"{value / 1024 ** 2:,.0f} MiB"


def fmt_value(item: dict[str, Any]) -> str:
    if item["value"] is None:
        return "n/a"
    if item["unit"] == "bytes":
        return fmt_bytes(item["value"])
    return fmt_seconds(item["value"]) if item["unit"] == "s" else f"{item['value']:.3f}x"


def fmt_cpu_ratio(item: dict[str, Any]) -> str:
    if "over_warm" in item:
        return "-" if item["over_warm"] is None else f"cpu {fmt_seconds(item['over_warm'])} over a warm run"
    for clock in ("cpu", "wall"):
        if clock in item:
            return "-" if item[clock] is None else f"{clock} {fmt_seconds(item[clock])}"
    return "-" if item.get("cpu_ratio") is None else f"{item['cpu_ratio']:.3f}x"


def fmt_limit(item: dict[str, Any]) -> str:
    if item["limit"] is None:
        return "-"
    if item["unit"] == "bytes":
        return f"<= {fmt_bytes(item['limit'])}"
    return f"<= {fmt_seconds(item['limit'])}" if item["unit"] == "s" else f"<= {item['limit']:g}x"


ROWS = ("cold", "warm", "changed", "precommit", "new_10", "edits_10", "new_100", "edits_100", "no_cache", "peer",
        "parse", "startup")
CHECK_ROWS = ("cold", "warm", "changed", "precommit", "new_10", "edits_10", "new_100", "edits_100", "no_cache",
              "parse")


def table_rows(results: dict[str, SizeResult]) -> tuple[list[str], list[list[str]]]:
    """Rows of what was measured x registers: median wall time (its ratio to the peer), median CPU time, peak memory."""
    header = ["measurement", *(r.register.title for r in results.values())]
    rows = []
    for name in ROWS:
        if not any(name in r.series for r in results.values()):
            continue
        row = [LABELS[name]]
        for result in results.values():
            value = result.seconds(name)
            series = result.series.get(name)
            peer = result.seconds("peer")
            cell = fmt_seconds(value)
            if name in CHECK_ROWS and value is not None and peer:
                cell += f" ({value / peer:.3f}x)"
            if series is not None and name != "parse":
                cell += f", cpu {fmt_seconds(series.cpu_seconds)}, {fmt_bytes(series.peak_bytes)}"
            if name in ("peer", "parse", "startup") and result.peer_from is not None and value is not None:
                cell = "same files as " + results[result.peer_from].register.title
            row.append(cell)
        rows.append(row)
    return header, rows


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def report(results: dict[str, SizeResult], machine: dict[str, Any], markdown: bool) -> str:
    header, rows = table_rows(results)
    targets = ratios(results)
    target_rows = [[t["target"], fmt_value(t), fmt_limit(t), t["result"], fmt_cpu_ratio(t)] for t in targets]
    target_header = ["target", "measured", "limit", "result", "other clock"]
    measured_at = f"commit {machine['commit']} ({machine['commit_date']}), measured {machine['measured_on']}"
    out = [f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {fmt_bytes(machine['memory_bytes'])}, "
           f"Python {machine['python']}, {machine['ap_lint']}, {measured_at}.",
           f"Load average before and after: {machine['load_before'][0]:.2f}, {machine['load_after'][0]:.2f}.",
           "Each cell: median wall time (its ratio to check-jsonschema's), median CPU time of the process and its",
           "children, and peak memory over the runs. Parse only is timed inside its process.",
           "", text_table(header, rows)]
    if target_rows:
        out += ["", text_table(target_header, target_rows)]
        history = next((t for t in targets if "cold_history_cpu_seconds" in t), None)
        if history is not None:
            out += ["", f"History: a warm run of the long history may take at most {NOISE_SECONDS:g} s of CPU more than",
                    "one of the same register in one commit (it reads no history). New commits: the same edits are",
                    "made as commits and, from the same cache, left uncommitted; the CPU time the commits add may be",
                    "at most 2 x (new commits / commits) of the cold history pass (CPU time of the cold run of the",
                    "long history less that of one commit: "
                    f"{fmt_seconds(history['cold_history_cpu_seconds'])}) plus {NOISE_SECONDS:g} s, so that the",
                    "history pass costs what is new, not the whole history. Beside it, what the whole run adds over",
                    "a warm run (the edited records evaluated again, the cache written). Other targets are on",
                    "wall time, with CPU time (or the ratio of CPU times) beside."]
    notes = [note for result in results.values() for note in result.notes]
    if notes:
        out += ["", *(f"note: {note}" for note in notes)]
    if markdown:
        out += ["", "Markdown:", "", markdown_table(header, rows)]
        if target_rows:
            out += ["", markdown_table(target_header, target_rows)]
        out += ["", f"Measured on {machine['nproc']} CPUs ({machine['cpu']}), {fmt_bytes(machine['memory_bytes'])}, "
                    f"Python {machine['python']}, {machine['ap_lint']}, at {measured_at}, "
                    "with `python bench/run.py`."]
    return "\n".join(out) + "\n"


def write_results(path: Path, document: dict[str, Any]) -> None:
    """Write the JSON results atomically (readers see the old file or the new one)."""
    write_atomic(path, json.dumps(document, indent=2) + "\n")


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sizes takes numbers separated by commas, not '{text}'") from None
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError("--sizes takes one or more positive numbers, for example 1000,10000")
    return sizes


def parse_history(text: str) -> list[tuple[int, int]]:
    """``--history 1000:1000,10000:1000``: (placements, commits) of each long-history register."""
    found = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        placements, _, commits = part.replace("_", "").partition(":")
        try:
            pair = (int(placements), int(commits))
        except ValueError:
            raise argparse.ArgumentTypeError(f"--history takes PLACEMENTS:COMMITS pairs separated by commas, "
                                             f"for example 1000:1000, not '{text}'") from None
        if pair[0] < 1 or pair[1] < 2:
            raise argparse.ArgumentTypeError("--history needs 1 or more placements and 2 or more commits, "
                                             "for example 1000:1000")
        found.append(pair)
    return found


def registers(sizes: Sequence[int], history: Sequence[tuple[int, int]], in_git: bool) -> list[Register]:
    """The registers to measure, in order: each size in one commit (or not in git), then the long histories."""
    found = [Register(size, 1 if in_git else None) for size in sorted(set(sizes))]
    if in_git:
        found += [Register(placements, commits) for placements, commits in sorted(set(history))]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark ap-lint check against check-jsonschema.")
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, BASE, LARGE],
                        help="placement counts of the one-commit registers, comma-separated "
                             "(default 1000,10000,100000)")
    parser.add_argument("--history", type=parse_history, default=parse_history(DEFAULT_HISTORY),
                        metavar="PLACEMENTS:COMMITS",
                        help=f"long-history registers, comma-separated (default {DEFAULT_HISTORY}: 1,000 placements "
                             "built up over 1,000 commits)")
    parser.add_argument("--no-history", action="store_true", help="measure no long-history register")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs of each measurement (default 3 up to 10,000 placements, 1 above)")
    parser.add_argument("--today", default=DEFAULT_TODAY, help=f"the date to check on (default {DEFAULT_TODAY})")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--out", type=Path, default=BENCH / "out", help="work folder (default bench/out)")
    parser.add_argument("--peer-venv", type=Path, default=BENCH / ".venv-peer",
                        help="venv for check-jsonschema (default bench/.venv-peer)")
    parser.add_argument("--pack", type=Path, default=REPO,
                        help="policy pack ap-lint checks with (default: this repository's rules/ and schemas/)")
    parser.add_argument("--src", type=Path, default=None,
                        help="run ap-lint from this checkout's src/ (e.g. a git worktree of another commit) "
                             "instead of the installed ap-lint command")
    parser.add_argument("--no-peer", action="store_true", help="skip check-jsonschema (no ratios)")
    parser.add_argument("--no-git", action="store_true",
                        help="generate the registers outside git, as before issue 16 (no history, no pre-commit)")
    parser.add_argument("--cache-dir", type=Path, action="append", default=[],
                        help="another cache folder to remove before each cold run (repeatable)")
    parser.add_argument("--markdown", action="store_true", help="also print Markdown tables for the README")
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    args.out = args.out.resolve()
    global SOURCE
    if args.src is not None:
        if not (args.src / "src" / "ap_lint").is_dir():
            parser.error(f"--src {args.src} has no src/ap_lint/")
        SOURCE = args.src.resolve()
    peer = None if args.no_peer else ensure_peer(args.peer_venv)
    no_cache = has_option(ap_lint_command(), "--no-cache")  # also a warm-up: bytecode is cached before timing
    machine = machine_info()
    if peer is not None:
        machine["check_jsonschema"] = peer_version(peer)
    started = datetime.datetime.now().astimezone()
    machine["measured_on"] = started.date().isoformat()
    machine["load_before"] = os.getloadavg()
    if machine["load_before"][0] > 0.5 * (os.cpu_count() or 1):
        progress(f"WARNING the machine is busy (load {machine['load_before'][0]:.1f}): times will be noisy")
    results: dict[str, SizeResult] = {}
    for register in registers(args.sizes, [] if args.no_history else args.history, not args.no_git):
        same_files = find(results, register.placements, history=False) if register.history else None
        results[register.key] = run_size(register, args, peer, no_cache, same_files)
    machine["load_after"] = os.getloadavg()
    text = report(results, machine, args.markdown)
    document = {"started": started.isoformat(timespec="seconds"), "today": args.today, "seed": args.seed,
                "commit": machine["commit_id"], "commit_date": machine["commit_date"], "in_git": not args.no_git,
                "machine": machine, "registers": {key: r.summary() for key, r in results.items()},
                "targets": ratios(results)}
    path = args.out / f"results-{started.strftime('%Y-%m-%d-%H%M%S')}.json"  # one file a run
    write_results(path, document)
    sys.stdout.write(text)
    progress(f"results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
