"""Measure ``ap-lint check`` against check-jsonschema on generated registers.

    python bench/run.py                      # 1,000 and 10,000 placements
    python bench/run.py --sizes 1000,10000,100000 --markdown

For each size it generates a compliant register (bench/generate.py) and, on
the same files, measures as separate processes, each with wall time and peak
memory:

- ``ap-lint check`` cold (its cache removed first), warm (run again, nothing
  changed), after one placement changed, and with ``--no-cache`` when the
  command has that option;
- check-jsonschema 0.39 validating only the placement files against
  ``schemas/placement.schema.json`` (installed into bench/.venv-peer);
- for context: reading and parsing every placement file with PyYAML's
  CSafeLoader in one process, and starting ``ap-lint --version``.

Each measurement is repeated (default 3 times up to 10,000 placements, once
above) and the median kept. It prints a table, the ratios to the peer with the
targets, writes bench/out/results-<date>.json and, with ``--markdown``, a
Markdown table for the README. See bench/README.md.
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

# (name, numerator, limit): the targets of the "fast at trust and national scale" issue.
RATIO_TARGETS = (("cold", 0.10), ("warm", 0.03), ("changed", 0.05))
SCALE_TIME_LIMIT = 12.0
SCALE_MEMORY_LIMIT = GIB

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
    version = subprocess.run([*ap_lint_command(), "--version"], capture_output=True, text=True,
                             check=False, env=child_environment()).stdout.strip()
    if SOURCE is not None:
        source = subprocess.run(["git", "-C", str(SOURCE), "describe", "--always", "--dirty"], capture_output=True,
                                text=True, check=False).stdout.strip()
        version += f" from {SOURCE / 'src'}" + (f" ({source})" if source else "")
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_bytes": memory, "python": platform.python_version(),
            "platform": platform.platform(), "ap_lint": version, "commit": commit}


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- one size ----------------------------------------------------------------

@dataclass
class SizeResult:
    placements: int
    records: int
    generate_seconds: float
    series: dict[str, Series]
    parse_seconds: list[float]
    notes: list[str]

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {"placements": self.placements, "records": self.records,
                                "generate_seconds": round(self.generate_seconds, 3), "notes": self.notes}
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
    """One placement whose progress sentence is rewritten before each 'one changed' run, then restored."""

    LINE = re.compile(r"^(    progress: ).*$", re.MULTILINE)

    def __init__(self, placements: Sequence[Path]) -> None:
        self.path = next((p for p in placements if self.LINE.search(p.read_text("utf-8"))), placements[0])
        self.original = self.path.read_text("utf-8")
        self.count = 0

    def touch(self) -> None:
        self.count += 1
        sentence = f"Progress checked again at review round {self.count} and found to be steady."
        self.path.write_text(self.LINE.sub(lambda m: m.group(1) + sentence, self.original, count=1), "utf-8")

    def restore(self) -> None:
        self.path.write_text(self.original, "utf-8")


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


def run_size(size: int, args: argparse.Namespace, peer: Path | None, no_cache: bool) -> SizeResult:
    root = args.out / f"register-{size}"
    progress(f"{size:,} placements: generating {root} ...")
    began = time.perf_counter()
    counts = generate.generate(root, size, args.seed, git=args.git)
    generate_seconds = time.perf_counter() - began
    placements = sorted((root / "records" / "placements").glob("*/*.yaml"))
    relative = [p.relative_to(root).as_posix() for p in placements]
    work = args.out / "work"
    work.mkdir(parents=True, exist_ok=True)
    list_file = work / f"placements-{size}.txt"
    list_file.write_text("\n".join(str(p) for p in placements), "utf-8")
    log = work / f"last-{size}.log"
    env = child_environment()
    xdg = work / f"xdg-cache-{size}"
    env["XDG_CACHE_HOME"] = str(xdg)  # any per-user cache the checker keeps goes here, so cold runs can clear it
    caches = [root / CACHE_DIR_NAME, xdg, *args.cache_dir]
    check = [*ap_lint_command(), "check", str(root), "--today", args.today, "--pack", str(args.pack)]
    repeat = args.repeat or (3 if size <= BASE else 1)
    series = {name: Series() for name in ("cold", "warm", "changed", "no_cache", "peer", "parse", "startup")}
    parse_seconds: list[float] = []
    notes: list[str] = []
    changed = ChangedRecord(placements)
    try:
        for round_number in range(1, repeat + 1):
            progress(f"{size:,} placements: round {round_number} of {repeat}")
            for cache in caches:
                shutil.rmtree(cache, ignore_errors=True)
            for name, command in (("cold", check), ("warm", check)):
                run = measure(command, root, env, log)
                check_exit(name, run, log, notes)
                series[name].runs.append(run)
            changed.touch()
            run = measure(check, root, env, log)
            check_exit("changed", run, log, notes)
            series["changed"].runs.append(run)
            if no_cache:
                run = measure([*check, "--no-cache"], root, env, log)
                check_exit("no_cache", run, log, notes)
                series["no_cache"].runs.append(run)
            if peer is not None:
                run = measure_batched([str(peer), "--schemafile", str(PLACEMENT_SCHEMA)], relative, root, env, log)
                check_exit("peer", run, log, notes)
                series["peer"].runs.append(run)
            run = measure([sys.executable, "-c", PARSE_ONLY, str(list_file)], root, env, log)
            check_exit("parse", run, log, notes)
            series["parse"].runs.append(run)
            if run.exit_code == 0:
                parse_seconds.append(float(log.read_text("utf-8").split()[-1]))
            series["startup"].runs.append(measure([*ap_lint_command(), "--version"], root, env, log))
    finally:
        changed.restore()
    if peer is not None and series["peer"].runs:
        batches = series["peer"].runs[0].batches
        notes.append(f"check-jsonschema was given the {size:,} placement files in one command line."
                     if batches == 1 else f"check-jsonschema was given the {size:,} placement files in "
                     f"{batches} command lines (the limit is ARG_MAX); their times are added up.")
    return SizeResult(size, sum(counts.values()), generate_seconds,
                      {k: v for k, v in series.items() if v.runs}, parse_seconds, notes)


# --- reporting ---------------------------------------------------------------

def ratios(results: dict[int, SizeResult]) -> list[dict[str, Any]]:
    """Each target with its measured value and PASS/FAIL (or n/a when a run is missing)."""
    found = []
    base = results.get(BASE)
    if base is not None:
        peer = base.seconds("peer")
        peer_cpu = base.cpu_seconds("peer")
        for name, limit in RATIO_TARGETS:
            value, cpu = base.seconds(name), base.cpu_seconds(name)
            ratio = value / peer if value is not None and peer else None
            cpu_ratio = cpu / peer_cpu if cpu is not None and peer_cpu else None
            found.append({"target": f"{BASE:,}: {LABELS[name]} / check-jsonschema", "value": ratio,
                          "limit": limit, "unit": "x", "result": verdict(ratio, limit), "cpu_ratio": cpu_ratio})
    large = results.get(LARGE)
    if large is not None:
        cold_large = large.seconds("cold")
        cold_base = base.seconds("cold") if base is not None else None
        ratio = cold_large / cold_base if cold_large is not None and cold_base else None
        found.append({"target": f"{LARGE:,}: cold time / {BASE:,} cold time", "value": ratio,
                      "limit": SCALE_TIME_LIMIT, "unit": "x", "result": verdict(ratio, SCALE_TIME_LIMIT)})
        peaks = [large.series[n].peak_bytes for n in ("cold", "warm", "changed", "no_cache") if n in large.series]
        peak = max(peaks) if peaks else None
        found.append({"target": f"{LARGE:,}: ap-lint peak memory", "value": peak, "limit": SCALE_MEMORY_LIMIT,
                      "unit": "bytes", "result": verdict(peak, SCALE_MEMORY_LIMIT)})
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
    return fmt_bytes(item["value"]) if item["unit"] == "bytes" else f"{item['value']:.3f}x"


def fmt_cpu_ratio(item: dict[str, Any]) -> str:
    return "-" if item.get("cpu_ratio") is None else f"{item['cpu_ratio']:.3f}x"


def fmt_limit(item: dict[str, Any]) -> str:
    return f"<= {fmt_bytes(item['limit'])}" if item["unit"] == "bytes" else f"<= {item['limit']:g}x"


ROWS = ("cold", "warm", "changed", "no_cache", "peer", "parse", "startup")


def table_rows(results: dict[int, SizeResult]) -> tuple[list[str], list[list[str]]]:
    """Rows of what was measured x sizes: median wall time (and its ratio to the peer), median CPU time, peak memory."""
    header = ["measurement", *(f"{size:,} placements" for size in results)]
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
            if name in ("cold", "warm", "changed", "no_cache", "parse") and value is not None and peer:
                cell += f" ({value / peer:.3f}x)"
            if series is not None and name != "parse":
                cell += f", cpu {fmt_seconds(series.cpu_seconds)}, {fmt_bytes(series.peak_bytes)}"
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


def report(results: dict[int, SizeResult], machine: dict[str, Any], markdown: bool) -> str:
    header, rows = table_rows(results)
    targets = ratios(results)
    target_rows = [[t["target"], fmt_value(t), fmt_limit(t), t["result"], fmt_cpu_ratio(t)] for t in targets]
    target_header = ["target", "measured", "limit", "result", "cpu-time ratio"]
    out = [f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {fmt_bytes(machine['memory_bytes'])}, "
           f"Python {machine['python']}, {machine['ap_lint']} at {machine['commit']}.",
           f"Load average before and after: {machine['load_before'][0]:.2f}, {machine['load_after'][0]:.2f}.",
           "Each cell: median wall time (its ratio to check-jsonschema's), median CPU time of the process and its",
           "children, and peak memory over the runs. Parse only is timed inside its process.",
           "", text_table(header, rows)]
    if target_rows:
        out += ["", text_table(target_header, target_rows)]
    notes = [note for result in results.values() for note in result.notes]
    if notes:
        out += ["", *(f"note: {note}" for note in notes)]
    if markdown:
        out += ["", "Markdown:", "", markdown_table(header, rows)]
        if target_rows:
            out += ["", markdown_table(target_header, target_rows)]
        out += ["", f"Measured on {machine['nproc']} CPUs ({machine['cpu']}), {fmt_bytes(machine['memory_bytes'])}, "
                    f"Python {machine['python']}, {machine['ap_lint']} at {machine['commit']}, "
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark ap-lint check against check-jsonschema.")
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, BASE],
                        help="placement counts, comma-separated (default 1000,10000; add 100000 for national scale)")
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
    parser.add_argument("--git", action="store_true",
                        help="make each generated register a git repository (one commit), so history rules run")
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
    machine["load_before"] = os.getloadavg()
    if machine["load_before"][0] > 0.5 * (os.cpu_count() or 1):
        progress(f"WARNING the machine is busy (load {machine['load_before'][0]:.1f}): times will be noisy")
    results = {size: run_size(size, args, peer, no_cache) for size in sorted(set(args.sizes))}
    machine["load_after"] = os.getloadavg()
    text = report(results, machine, args.markdown)
    document = {"started": started.isoformat(timespec="seconds"), "today": args.today, "seed": args.seed,
                "machine": machine, "sizes": {str(size): r.summary() for size, r in results.items()},
                "targets": ratios(results)}
    path = args.out / f"results-{started.date().isoformat()}.json"
    write_results(path, document)
    sys.stdout.write(text)
    progress(f"results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
