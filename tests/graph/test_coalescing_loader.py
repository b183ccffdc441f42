"""CoalescingLoader: whoever asks while a read runs is served by the next read, together."""

import asyncio

import pytest

from realtime.loaders import CoalescingLoader


async def test_keys_asked_during_a_read_share_the_next_one() -> None:
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def read(keys: list[int]) -> dict[int, str]:
        batches.append(sorted(keys))
        if len(batches) == 1:
            await release.wait()  # the first read is slow: everyone else queues
        return {key: f"v{key}" for key in keys}

    loader: CoalescingLoader[int, str] = CoalescingLoader(read)
    first = asyncio.ensure_future(loader.load(1))
    await asyncio.sleep(0.01)
    rest = [asyncio.ensure_future(loader.load(key)) for key in (2, 3, 3, 4)]
    await asyncio.sleep(0.01)
    release.set()
    assert await first == "v1"
    assert await asyncio.gather(*rest) == ["v2", "v3", "v3", "v4"]
    assert batches == [[1], [2, 3, 4]]


async def test_same_tick_requests_start_as_one_read() -> None:
    batches: list[list[int]] = []

    async def read(keys: list[int]) -> dict[int, int]:
        batches.append(sorted(keys))
        return {key: key * 2 for key in keys}

    loader: CoalescingLoader[int, int] = CoalescingLoader(read)
    assert await asyncio.gather(*(loader.load(key) for key in range(5))) == [0, 2, 4, 6, 8]
    assert batches == [[0, 1, 2, 3, 4]]


async def test_a_failed_read_fails_its_waiters_and_the_next_read_still_runs() -> None:
    calls = 0

    async def read(keys: list[int]) -> dict[int, int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database away")
        return dict.fromkeys(keys, 1)

    loader: CoalescingLoader[int, int] = CoalescingLoader(read)
    with pytest.raises(ConnectionError):
        await loader.load(1)
    assert await loader.load(2) == 1


async def test_a_cancelled_waiter_does_not_disturb_the_others() -> None:
    release = asyncio.Event()

    async def read(keys: list[int]) -> dict[int, int]:
        await release.wait()
        return dict.fromkeys(keys, 7)

    loader: CoalescingLoader[int, int] = CoalescingLoader(read)
    gone = asyncio.ensure_future(loader.load(1))
    kept = asyncio.ensure_future(loader.load(1))
    await asyncio.sleep(0.01)
    gone.cancel()
    release.set()
    assert await kept == 7
    assert gone.cancelled()
