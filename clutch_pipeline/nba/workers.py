"""Preparing games a batch at a time: on forked worker processes (every core, up to four) or in this
process.

A season is 1,229 games whose parsing, clutch detection and event times take a core about 20 s; on
workers the load's writes and PostgreSQL overlap them. Forking needs Linux; elsewhere, or when asked,
everything runs in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool

from clutch_pipeline.nba.prepare import Prepared, Task, prepare

BATCH_GAMES = 100
MAX_PROCESSES = 4
_CHUNK_GAMES = 5  # games per worker call: every worker gets a share of each batch


def batches(items: Iterable, size: int = BATCH_GAMES) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _prepare_all(tasks: list[Task]) -> list[Prepared]:
    return [prepare(task) for task in tasks]


def _worker_started() -> None:
    # A forked worker inherits the parent's signal handlers, and Dagster's turn SIGTERM into a deferred
    # interrupt: terminating the pool would then wait forever. Workers die on SIGTERM; Ctrl-C is the
    # parent's to handle.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Preparer:
    """``prepare`` over tasks, a batch of ``BATCH_GAMES`` at a time, batches in order.

    The pool is forked on the first parallel use, before that use reads its first task (an archive's
    reading thread starts then), and serves every later one until ``preparing`` ends."""

    def __init__(self) -> None:
        self._pool: Pool | None = None

    def batches(self, tasks: Iterable[Task], *, parallel: bool) -> Iterator[list[Prepared]]:
        processes = min(os.cpu_count() or 1, MAX_PROCESSES)
        if not parallel or processes < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return map(_prepare_all, batches(tasks))
        if self._pool is None:
            self._pool = multiprocessing.get_context("fork").Pool(processes, initializer=_worker_started)
        return self._on_workers(self._pool, tasks)

    @staticmethod
    def _on_workers(pool: Pool, tasks: Iterable[Task]) -> Iterator[list[Prepared]]:
        """Two batches in the workers' hands at most: memory stays at a few batches."""
        ahead: deque = deque()
        for batch in batches(tasks):
            chunks = [batch[i : i + _CHUNK_GAMES] for i in range(0, len(batch), _CHUNK_GAMES)]
            ahead.append(pool.map_async(_prepare_all, chunks, chunksize=1))
            if len(ahead) == 2:
                yield [p for chunk in ahead.popleft().get() for p in chunk]
        while ahead:
            yield [p for chunk in ahead.popleft().get() for p in chunk]

    def close(self, *, failed: bool) -> None:
        if self._pool is None:
            return
        if failed:
            self._pool.terminate()
        else:
            self._pool.close()
        self._pool.join()
        self._pool = None


@contextmanager
def preparing() -> Iterator[Preparer]:
    """A ``Preparer`` whose workers, if it forks any, end with the block (at once if it raised)."""
    preparer = Preparer()
    try:
        yield preparer
    except BaseException:
        preparer.close(failed=True)
        raise
    preparer.close(failed=False)
