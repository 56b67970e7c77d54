"""The run context: the givens of one run (today, settings, workers, cache), passed once.

Every stage that needs one of them takes the whole context rather than a
growing list of positional parameters; it is frozen, so no stage changes what
another sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from ap_lint.load.loader import MAX_FILE_BYTES
from ap_lint.parallel import MIN_PARALLEL_ITEMS

if TYPE_CHECKING:
    from ap_lint.cache import CheckCache


@dataclass(frozen=True)
class RunContext:
    """What one run is judged by and how it runs."""

    #: the date time-dependent rules judge by (YYYY-MM-DD)
    today: str
    #: the pack's settings, as rules see them
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: worker processes for loading and evaluating
    jobs: int = 1
    #: the cache of earlier runs, or None for a cold run
    cache: CheckCache | None = None
    #: files larger than this are refused, not parsed
    max_file_bytes: int = MAX_FILE_BYTES
    #: fewer items than this are handled in this process (tests lower it to fork on a tiny register)
    min_parallel_items: int = MIN_PARALLEL_ITEMS
