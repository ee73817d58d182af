"""The CDS micro-batcher: calls waiting while a batch is scored go together in the next one, each gets its own
result, and one call's failure is that call's alone."""

from __future__ import annotations

import asyncio
import threading

import pytest

from risk.cds.batch import MicroBatcher


def test_calls_arriving_during_a_batch_are_scored_together_in_order():
    seen: list[list[int]] = []
    release = threading.Event()

    def score(jobs):  # noqa: ANN001, ANN202
        if not seen:  # the first batch holds until the others have queued
            release.wait(5)
        seen.append(list(jobs))
        return [j * 10 for j in jobs]

    async def main():  # noqa: ANN202
        b = MicroBatcher(score, max_batch=4)
        first = asyncio.create_task(b.submit(0))
        await asyncio.sleep(0.05)
        rest = [asyncio.create_task(b.submit(i)) for i in range(1, 7)]
        await asyncio.sleep(0.05)
        release.set()
        return await first, await asyncio.gather(*rest), b.batches

    first, rest, batches = asyncio.run(main())
    assert first == 0 and rest == [10, 20, 30, 40, 50, 60]
    assert seen == [[0], [1, 2, 3, 4], [5, 6]] and batches == 3


def test_one_failing_call_fails_alone_and_a_crashed_batch_fails_only_its_calls():
    def score(jobs):  # noqa: ANN001, ANN202
        if "crash" in jobs:
            raise RuntimeError("the batch broke")
        return [ValueError(f"bad {j}") if j == "bad" else j.upper() for j in jobs]

    async def main():  # noqa: ANN202
        b = MicroBatcher(score)
        mixed = await asyncio.gather(b.submit("a"), b.submit("bad"), b.submit("c"), return_exceptions=True)
        crashed = await asyncio.gather(b.submit("crash"), return_exceptions=True)
        after = await b.submit("d")
        return mixed, crashed, after

    mixed, crashed, after = asyncio.run(main())
    assert mixed[0] == "A" and mixed[2] == "C" and isinstance(mixed[1], ValueError) and str(mixed[1]) == "bad bad"
    assert isinstance(crashed[0], RuntimeError) and after == "D"


def test_a_caller_that_went_away_does_not_stop_the_others():
    release = threading.Event()

    def score(jobs):  # noqa: ANN001, ANN202
        release.wait(5)
        return list(jobs)

    async def main():  # noqa: ANN202
        b = MicroBatcher(score)
        gone = asyncio.create_task(b.submit(1))
        stays = asyncio.create_task(b.submit(2))
        await asyncio.sleep(0.05)
        gone.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await gone
        return await stays

    assert asyncio.run(main()) == 2
