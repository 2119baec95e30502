"""Sharing pure per-item work out to forked worker processes (parsing and checking many case files).

Forking copies the caller's memory, so a worker reads the items (and everything the task
needs: customer names, root causes) without pickling them; only each item's index goes out
and only its result comes back. Where forking is unsafe or not worth it, the same task runs
here, in order, so the result never depends on how it was computed.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_FROM = 1000
"""Items below which a pool costs more (forking, results pickled back) than it saves."""


def count() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def fork_context() -> multiprocessing.context.BaseContext | None:
    """Fork, when it is safe: only a process with no other thread is copied whole (a server thread's lock is not).

    Not spawn: a spawned worker re-runs the caller's main script, so a script without an
    ``if __name__ == "__main__"`` guard that calls ``mkdocs build`` would build again in each worker.
    """
    if threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


_task: Callable[[int], Any] | None = None
"""What a forked worker computes for one index: set before the pool forks, so every worker inherits it."""


def start_worker() -> None:
    """First thing in a forked worker: what it inherited is left out of its cycle collections. Each full pass
    would otherwise walk (and so copy, page by page) every object of the parent; its own objects are still collected."""
    gc.freeze()


def _run(span: tuple[int, int]) -> list[Any]:
    assert _task is not None
    return [_task(i) for i in range(*span)]


def fork_map(task: Callable[[T], R], items: Sequence[T], workers: int = 1,
             done: Callable[[int], None] | None = None, parallel_from: int | None = None,
             meanwhile: Callable[[], object] | None = None) -> list[R]:
    """``[task(item) for item in items]``, shared out to ``workers`` forked processes when there are many items.

    ``task`` must be pure (what it changes in a worker's memory is lost) and its results picklable.
    ``done(n)`` is told every so often how many items are finished (a terminal shows it). ``parallel_from``
    (default :data:`PARALLEL_FROM`) is the fewest items worth a pool: fewer when each item is a big batch.
    ``meanwhile()`` is run here while the workers work (once they are forked, so they do not copy what it makes),
    or first when there are none: work of the caller's that does not need the results.
    """
    global _task
    context = fork_context()
    step = max(1 if parallel_from else 64, len(items) // (workers * 8))  # a few spans per worker: one slow span does not keep the others idle
    spans = [(start, min(start + step, len(items))) for start in range(0, len(items), step)]
    results: list[R] = []
    least = PARALLEL_FROM if parallel_from is None else parallel_from
    if workers < 2 or len(items) < least or context is None or _task is not None:
        if meanwhile is not None:
            meanwhile()
        parts: Iterable[list[R]] = ([task(item) for item in items[lo:hi]] for lo, hi in spans)  # _task set: no nested pools
        for part in parts:
            results += part
            if done:
                done(len(results))
        return results
    _task = lambda i: task(items[i])  # noqa: E731 (inherited by the forked workers; never pickled)
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=start_worker) as pool:
            parts = pool.map(_run, spans)  # every span is handed out, and so every worker forked, before this returns
            if meanwhile is not None:
                meanwhile()
            for part in parts:
                results += part
                if done:
                    done(len(results))
    finally:
        _task = None
    return results
