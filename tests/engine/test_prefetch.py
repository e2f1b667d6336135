"""Reading items ahead of the model: order kept, bad items reported, memory bounded, cancel honoured."""

import threading

import pytest

from engine.embed.prefetch import loaded_batches


class Bad(Exception):
    pass


def load(i: int) -> int:
    if i % 7 == 3:
        raise Bad(f"item {i} is bad")
    return i * 10


@pytest.mark.parametrize("workers", [1, 3])
def test_batches_come_in_order_with_bad_items_as_errors(workers: int) -> None:
    indices = list(range(0, 50, 2))
    batches = list(loaded_batches(load, indices, 4, (Bad,), workers))
    assert [len(b) for b in batches] == [4, 4, 4, 4, 4, 4, 1]
    flat = [pair for batch in batches for pair in batch]
    assert [i for i, _ in flat] == indices
    for i, payload in flat:
        assert (str(payload) == f"item {i} is bad") if i % 7 == 3 else payload == i * 10


def test_an_unexpected_error_is_raised_not_hidden() -> None:
    def broken(i: int) -> int:
        raise KeyError(i)

    with pytest.raises(KeyError):
        list(loaded_batches(broken, [1, 2, 3], 2, (Bad,), workers=2))


def test_at_most_ahead_batches_are_read_beyond_the_one_in_hand() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def record(i: int) -> int:
        with lock:
            started.append(i)
        return i

    batches = loaded_batches(record, list(range(100)), 5, (Bad,), workers=3, ahead=2)
    first = next(batches)
    assert [i for i, _ in first] == [0, 1, 2, 3, 4]
    assert max(started) < 15  # this batch and the next two: never the whole folder
    batches.close()


def test_a_cancel_check_that_raises_stops_the_reading() -> None:
    calls = {"n": 0}

    def check() -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise InterruptedError("cancelled")

    seen = []
    with pytest.raises(InterruptedError):
        for batch in loaded_batches(load, list(range(40)), 4, (Bad,), workers=2, check=check):
            seen.append(batch)
    assert len(seen) == 2
