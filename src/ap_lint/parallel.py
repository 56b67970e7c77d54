"""Spread work over the machine's cores with forked worker processes.

Forking lets workers share everything the parent has already built (compiled
schemas and rules, the register index) without pickling it; only a chunk's
number goes to a worker, and its results come back, through pipes. A worker
takes chunk after chunk until it has done WORKER_ITEMS items; then it exits and
a new one is forked. So whatever a worker gathers while it works (the parent's
memory pages it touched and so copied, what it allocated and could not give
back) is let go now and then, and no worker grows with the size of the whole
input, while a smaller input is done by one fork a worker. Small inputs, or a
platform without fork, run serially.
"""

from __future__ import annotations

import gc
import os
import selectors
import signal
import struct
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence, TypeVar

from ap_lint.errors import ApLintError

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_PARALLEL_ITEMS = 400
#: the most worker processes ``--jobs`` accepts; below it, more than JOBS_PER_CORE a core are never started
MAX_JOBS = 256
JOBS_PER_CORE = 4
#: chunks a worker process: enough for one that finishes early to take another while the others work
CHUNKS_PER_JOB = 4
#: the most items in one chunk: a larger input is cut into more chunks
MAX_CHUNK_ITEMS = 2_500
#: items a worker does before it makes way for a new one (it finishes the chunk it is on)
WORKER_ITEMS = 10_000
_READ_BYTES = 1 << 20
_CHUNK = struct.Struct("<I")  # the number of a chunk, to a worker
_SIZE = struct.Struct("<Q")  # the length of a pickled outcome, before it


class WorkerDied(ApLintError):
    """A worker process stopped before it finished its part (killed, out of memory): the run cannot finish."""


class WorkerTraceback(Exception):
    """Where a worker's exception was raised, in the worker (set as the cause of the exception raised here)."""


def default_jobs() -> int:
    """Worker processes to use: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def chunk_bounds(count: int, jobs: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk of ``count`` items shared out over ``jobs`` workers."""
    chunks = max(jobs * CHUNKS_PER_JOB, -(-count // MAX_CHUNK_ITEMS))
    size = max(1, -(-count // chunks))
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def map_chunks(task: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item], jobs: int,
               min_items: int = MIN_PARALLEL_ITEMS) -> list[Result]:
    """``task`` over ``items`` in order, split into chunks across at most ``jobs`` forked processes at once.

    Fewer than ``min_items`` items are not worth a fork: they run here. An exception in a worker is raised
    here; a worker that dies (killed, out of memory) ends the run with ``WorkerDied``.
    """
    if jobs <= 1 or len(items) < min_items or not hasattr(os, "fork"):
        return task(items)
    jobs = min(jobs, MAX_JOBS, JOBS_PER_CORE * default_jobs())
    gc.freeze()  # the workers' garbage collector then leaves the parent's objects (and their pages) alone
    try:
        parts = _Workers(task, items, chunk_bounds(len(items), jobs)).run(jobs)
    finally:
        gc.unfreeze()
    return [result for part in parts for result in part]


@dataclass
class _Worker:
    pid: int
    orders: int  # the pipe that takes it the number of its next chunk
    results: int  # the pipe its outcomes come back through
    chunk: int | None = None  # the chunk it is on
    done: int = 0  # items it was given
    received: bytearray = field(default_factory=bytearray)


class _Workers:
    """The workers of one ``map_chunks``, and the chunks' results as they come back."""

    def __init__(self, task: Callable[[Sequence[Any]], list[Any]], items: Sequence[Any],
                 bounds: list[tuple[int, int]]) -> None:
        self.task, self.items, self.bounds = task, items, bounds
        self.parts: list[list[Any]] = [[] for _ in bounds]
        self.next = 0  # the first chunk not yet given out
        self.workers: dict[int, _Worker] = {}  # by the pipe their results come through
        self.selector = selectors.DefaultSelector()

    def run(self, jobs: int) -> list[list[Any]]:
        try:
            for _ in range(min(jobs, len(self.bounds))):
                self._give(self._fork())
            while self.workers:
                for key, _ in self.selector.select():
                    self._read(self.workers[key.fd])
        finally:
            for worker in list(self.workers.values()):  # an error here or in a worker: the others are stopped
                self._end(worker, kill=True)
            self.selector.close()
        return self.parts

    def _give(self, worker: _Worker) -> None:
        """The worker's next chunk; or, when none is left or it has done its share, tell it to stop."""
        if self.next >= len(self.bounds) or worker.done >= WORKER_ITEMS:
            os.close(worker.orders)  # it exits when it reads the end of its orders
            worker.orders = -1
            if self.next < len(self.bounds):
                self._give(self._fork())
            return
        worker.chunk, self.next = self.next, self.next + 1
        start, end = self.bounds[worker.chunk]
        worker.done += end - start
        os.write(worker.orders, _CHUNK.pack(worker.chunk))

    def _read(self, worker: _Worker) -> None:
        data = os.read(worker.results, _READ_BYTES)
        if not data:  # it exited: after its last chunk, or else before it finished
            chunk = worker.chunk
            status = self._end(worker)
            if chunk is not None or os.waitstatus_to_exitcode(status) != 0:
                raise _died()
            return
        worker.received += data
        while len(worker.received) >= _SIZE.size:
            size = _SIZE.unpack_from(worker.received)[0]
            if len(worker.received) < _SIZE.size + size:
                return
            payload = bytes(memoryview(worker.received)[_SIZE.size:_SIZE.size + size])
            del worker.received[:_SIZE.size + size]
            assert worker.chunk is not None
            self.parts[worker.chunk] = _outcome(payload)
            worker.chunk = None
            self._give(worker)

    def _end(self, worker: _Worker, kill: bool = False) -> int:
        """Close the worker's pipes and wait for it to exit; its exit status."""
        del self.workers[worker.results]
        self.selector.unregister(worker.results)
        os.close(worker.results)
        if worker.orders >= 0:
            os.close(worker.orders)
        if kill:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except OSError:
                pass
        return os.waitpid(worker.pid, 0)[1]

    def _fork(self) -> _Worker:
        orders_read, orders = os.pipe()
        results, results_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: it never returns from here
            code = 1
            try:
                for other in self.workers.values():  # the other workers' pipes: theirs to end, not this one's
                    os.close(other.results)
                    if other.orders >= 0:
                        os.close(other.orders)
                os.close(orders)
                os.close(results)
                self._serve(orders_read, results_write)
                code = 0
            finally:
                os._exit(code)  # not sys.exit: the parent's buffered output is the parent's to write
        os.close(orders_read)
        os.close(results_write)
        worker = self.workers[results] = _Worker(pid, orders, results)
        self.selector.register(results, selectors.EVENT_READ)
        return worker

    def _serve(self, orders: int, results: int) -> None:
        """In a worker: each chunk whose number comes in, until the orders end; each outcome sent back."""
        with open(orders, "rb") as incoming, open(results, "wb") as outgoing:
            while True:
                order = incoming.read(_CHUNK.size)
                if len(order) < _CHUNK.size:
                    return
                start, end = self.bounds[_CHUNK.unpack(order)[0]]
                payload = _pickled(self.task, self.items[start:end])
                outgoing.write(_SIZE.pack(len(payload)))
                outgoing.write(payload)  # not joined to its length first: that would copy it
                outgoing.flush()


def _pickled(task: Callable[[Sequence[Any]], list[Any]], chunk: Sequence[Any]) -> bytes:
    """In a worker: the outcome of ``task`` on one chunk, pickled: (True, results) or (False, exception, where)."""
    import pickle  # only where work is shared out: a run that never forks does not import it
    try:
        outcome: tuple[Any, ...] = (True, task(chunk))
    except Exception as error:  # raised again in the parent
        outcome = (False, error, traceback.format_exc())
    try:
        payload = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
        if not outcome[0]:
            pickle.loads(payload)  # an exception that pickles but cannot be made again from it
        return payload
    except Exception as error:  # a result or an exception that cannot be sent back
        return pickle.dumps((False, RuntimeError(f"a worker's outcome could not be sent back: {error}"),
                             traceback.format_exc()), pickle.HIGHEST_PROTOCOL)


def _outcome(payload: bytes) -> list[Any]:
    """A chunk's results from what its worker sent; its exception raised again here."""
    import pickle
    outcome = pickle.loads(payload)
    if not outcome[0]:
        raise outcome[1] from WorkerTraceback(outcome[2])
    results: list[Any] = outcome[1]
    return results


def _died() -> WorkerDied:
    return WorkerDied("a worker process stopped before it finished (it may have run out of memory, or been "
                      "killed). Run again; if it happens again, use fewer workers (--jobs 1) or a machine with "
                      "more memory.")
