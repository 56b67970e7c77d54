"""Bounds on what evaluating the rules may use.

CEL has no loops and no recursion, but a rule can still build a huge value: ``cel.bind`` of a string
doubled into itself, twenty levels deep, is a gigabyte. While rules are evaluated, the process's address
space may grow by at most ``EVALUATION_MEMORY`` bytes (the operating system's limit, RLIMIT_AS, where
there is one); an expression that needs more fails with ``MemoryError``, which the engine reports as a
rule that could not be checked on that record. The limit is lifted when evaluation ends.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

try:
    import resource
except ImportError:  # pragma: no cover - not a Unix system: no limit is set
    resource = None  # type: ignore[assignment]

#: how much more address space evaluating the rules may take than the process held when it began
EVALUATION_MEMORY = 1 << 30


def _address_space() -> int | None:
    """The bytes of address space this process holds (Linux), or None where it cannot tell."""
    try:
        with open("/proc/self/statm", "rb") as stream:
            return int(stream.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def bounded_memory(extra: int = EVALUATION_MEMORY) -> Iterator[None]:
    """Within the block, the process may hold at most ``extra`` bytes more address space than at its start."""
    held = _address_space()
    if resource is None or held is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = held + extra
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft <= wanted:
        yield  # a lower limit is already set (ulimit -v): keep it
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
