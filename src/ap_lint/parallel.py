"""Spread work over the machine's cores with forked worker processes.

Forking lets workers share everything the parent has already built (compiled
schemas and rules, the register index) without pickling it; only each chunk's
results travel back. Small inputs, or a platform without fork, run serially.
"""

from __future__ import annotations

import gc
import os
from typing import Any, Callable, Sequence, TypeVar

from ap_lint.errors import ApLintError

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_PARALLEL_ITEMS = 400
#: the most worker processes ``--jobs`` accepts; below it, more than JOBS_PER_CORE a core are never started
MAX_JOBS = 256
JOBS_PER_CORE = 4
_TASK: Callable[[Sequence[Any]], list[Any]] | None = None
_ITEMS: Sequence[Any] = ()


class WorkerDied(ApLintError):
    """A worker process stopped before it finished its part (killed, out of memory): the run cannot finish."""


def default_jobs() -> int:
    """Worker processes to use: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _run_task(bounds: tuple[int, int]) -> list[Any]:
    # Workers are forked after _TASK and _ITEMS are set: only the bounds travel, not the items.
    assert _TASK is not None
    return _TASK(_ITEMS[bounds[0]:bounds[1]])


def map_chunks(task: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item], jobs: int,
               min_items: int = MIN_PARALLEL_ITEMS) -> list[Result]:
    """``task`` over ``items`` in order, split into chunks across ``jobs`` forked processes.

    Fewer than ``min_items`` items are not worth a fork: they run here.
    """
    global _TASK, _ITEMS
    if jobs <= 1 or len(items) < min_items:
        return task(items)
    import multiprocessing  # only when there is enough to share out: a small run never pays for the import

    if "fork" not in multiprocessing.get_all_start_methods():
        return task(items)
    from concurrent.futures import ProcessPoolExecutor  # only when forking: a run that never forks skips it
    from concurrent.futures.process import BrokenProcessPool

    jobs = min(jobs, MAX_JOBS, JOBS_PER_CORE * default_jobs())
    chunk_count = jobs * 4
    size = -(-len(items) // chunk_count)
    bounds = [(i, min(i + size, len(items))) for i in range(0, len(items), size)]
    _TASK, _ITEMS = task, items
    gc.freeze()  # the workers' garbage collector then leaves the parent's objects (and their pages) alone
    try:
        # A pool of futures, not multiprocessing.Pool: when a worker dies (the kernel's out-of-memory
        # killer, a signal) its pool breaks and the run stops with a message, instead of waiting forever.
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_run_task, bounds))
    except BrokenProcessPool:
        raise WorkerDied("a worker process stopped before it finished (it may have run out of memory, or been "
                         "killed). Run again; if it happens again, use fewer workers (--jobs 1) or a machine with "
                         "more memory.") from None
    finally:
        _TASK, _ITEMS = None, ()
        gc.unfreeze()
    return [result for part in parts for result in part]
