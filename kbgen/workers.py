"""Sharing pure per-item work out to forked worker processes (parsing and checking many case files).

Forking copies the caller's memory, so a worker reads the items (and everything the task
needs: customer names, root causes) without pickling them; only each item's index goes out
and only its result comes back. Where forking is unsafe or not worth it, the same task runs
here, in order, so the result never depends on how it was computed.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")
K = TypeVar("K")
C = TypeVar("C")
D = TypeVar("D")

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


SECOND_BATCH = 256
"""Second-pass results a worker sends at a time: the parent files them while the worker goes on."""


def fork_two(first: Callable[[T], tuple[A, K]], items: Sequence[T], between: Callable[[list[A]], C],
             second: Callable[[K, C], D], workers: int = 1, done: Callable[[int], None] | None = None,
             meanwhile: Callable[[], object] | None = None) -> tuple[list[A], C, list[D]]:
    """Two passes over ``items`` where the second needs what the first found in all of them: ``a, kept =
    first(item)`` for each item, then ``c = between([a, ...])`` here, then ``second(kept, c)`` for each item.

    Shared out to ``workers`` forked processes, each item's ``kept`` stays in the process that made it, and only
    ``a``, ``c`` and the second pass's results are pickled: reading case files keeps each parse where it was
    made, the parent collects every file's customer names, and the same process then checks its parses
    against all of them. ``first`` and ``second`` must be pure and their results picklable; ``done(n)`` is
    told how many first passes are finished; ``meanwhile()`` runs here (in a thread once the workers are forked,
    so they never wait for it to send results) while they make their first passes. One process, few items or no
    fork: the same calls here, in order, so the result never depends on how it was computed.
    """
    context = fork_context()
    if workers < 2 or len(items) < PARALLEL_FROM or context is None or _task is not None:
        if meanwhile is not None:
            meanwhile()
        firsts: list[A] = []
        kept: list[K] = []
        for item in items:
            a, k = first(item)
            firsts.append(a)
            kept.append(k)
            if done and len(firsts) % 256 == 0:
                done(len(firsts))
        if done:
            done(len(firsts))
        c = between(firsts)
        return firsts, c, [second(k, c) for k in kept]
    step = max(64, len(items) // (workers * 8))
    spans = [(start, min(start + step, len(items))) for start in range(0, len(items), step)]
    ends: list[Connection] = []
    procs = []
    for _ in range(workers):
        here, there = context.Pipe()
        ends.append(here)
        # the worker closes the copies of this process's ends it was forked with: holding them, it would never see
        # this process close its end (and wait forever to be sent work, or to send its results, after a failure)
        proc = context.Process(target=_two_passes, args=(there, list(ends), first, second, items), daemon=True)  # type: ignore[attr-defined]
        proc.start()
        there.close()
        procs.append(proc)
    helper = threading.Thread(target=meanwhile) if meanwhile is not None else None
    try:
        if helper is not None:
            helper.start()
        out_first: list[Any] = [None] * len(items)
        todo = iter(spans)
        for end in ends:  # two spans each: a worker never waits for its next
            for span in (next(todo, None), next(todo, None)):
                if span is not None:
                    end.send(span)
        finished = 0
        while finished < len(items):
            for end in cast("list[Connection]", wait(ends)):
                lo, hi, part = _received(end)
                out_first[lo:hi] = part
                finished += hi - lo
                span = next(todo, None)
                if span is not None:
                    end.send(span)
                if done:
                    done(finished)
        if helper is not None:
            helper.join()
            helper = None
        c = between(out_first)
        for end in ends:
            end.send(("second", c))
        out_second: list[Any] = [None] * len(items)
        busy = list(ends)
        while busy:
            for end in cast("list[Connection]", wait(busy)):
                got = _received(end)
                if got is None:
                    busy.remove(end)
                else:
                    indices, results = got
                    for i, d in zip(indices, results, strict=True):
                        out_second[i] = d
        return out_first, c, out_second
    finally:
        if helper is not None:
            helper.join()
        for end in ends:
            end.close()
        for proc in procs:
            proc.join()


def _never(index: int) -> None:
    raise AssertionError("only a fork_map pool's own workers run its task")


def _received(end: Connection) -> Any:
    try:
        message = end.recv()
    except EOFError:
        raise RuntimeError("a worker process ended without its results (killed, or out of memory?)") from None
    if isinstance(message, tuple) and message and message[0] == "error":
        raise RuntimeError(f"a worker process failed:\n{message[1]}")
    return message


def _two_passes(end: Connection, parents: list[Connection], first: Callable[[Any], tuple[Any, Any]],
                second: Callable[[Any, Any], Any], items: Sequence[Any]) -> None:
    """A :func:`fork_two` worker: first passes over the spans it is sent (keeping each item's ``kept``), then, sent
    ``("second", c)``, the second pass over everything it kept."""
    global _task
    for inherited in parents:
        inherited.close()
    start_worker()
    _task = _never  # set, as in a fork_map worker: a pool asked for in here runs in this process (no nested forks)
    kept: dict[int, Any] = {}
    try:
        while True:
            message = end.recv()
            if message[0] == "second":
                c = message[1]
                order = sorted(kept)
                for at in range(0, len(order), SECOND_BATCH):
                    batch = order[at : at + SECOND_BATCH]
                    end.send((batch, [second(kept.pop(i), c) for i in batch]))
                end.send(None)
                break
            lo, hi = message
            part = []
            for i in range(lo, hi):
                a, kept[i] = first(items[i])
                part.append(a)
            end.send((lo, hi, part))
    except BaseException:  # any failure, even an interrupt, is the parent's to report
        with contextlib.suppress(OSError, ValueError):
            end.send(("error", traceback.format_exc()))
    finally:
        end.close()
        os._exit(0)
