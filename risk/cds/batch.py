"""Micro-batching of concurrent patient-view calls: the cards of every call waiting are scored together.

Building the long tables, the features, the model scores and the explanations has a fixed cost per call of many
small vectorised steps (tens of milliseconds) and a small cost per patient; one patient at a time, a 2-core
machine would answer a few calls per second. The batcher keeps one batch in flight per worker process: while it
is scored (in a thread, so the event loop keeps reading requests and checking tokens), new calls queue; the
next batch takes every call waiting, up to `max_batch`. No timer: a call on an idle service is scored at once,
and under load the batch grows with the load, so latency stays near one batch's time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi.concurrency import run_in_threadpool

MAX_BATCH = 32
Job = TypeVar("Job")


@dataclass(kw_only=True)
class _Waiting(Generic[Job]):
    job: Job
    future: asyncio.Future[Any]


class MicroBatcher(Generic[Job]):
    """`await submit(job)` returns `score(jobs)[k]` for the job's position k in the batch it joined. `score` runs
    in a worker thread and returns, per job, a result or the exception that job raised (one bad job never fails
    the others)."""

    def __init__(self, score: Callable[[Sequence[Job]], list[Any]], *, max_batch: int = MAX_BATCH) -> None:
        self._score = score
        self._max = max_batch
        self._queue: list[_Waiting[Job]] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None  # held: the event loop keeps only a weak reference
        self.batches = 0  # how many batches were scored (the benchmark prints the mean batch size)

    async def submit(self, job: Job) -> Any:
        waiting = _Waiting(job=job, future=asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if not self._draining:
            self._draining = True
            self._task = asyncio.get_running_loop().create_task(self._drain())
        return await waiting.future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:self._max], self._queue[self._max:]
                self.batches += 1
                try:
                    results = await run_in_threadpool(self._score, [w.job for w in batch])
                except Exception as exc:  # noqa: BLE001 (handed to every caller of the batch, who answers 500)
                    results = [exc] * len(batch)
                for w, result in zip(batch, results, strict=True):
                    if w.future.done():  # the client went away
                        continue
                    if isinstance(result, BaseException):
                        w.future.set_exception(result)
                    else:
                        w.future.set_result(result)
        finally:
            self._draining = False
