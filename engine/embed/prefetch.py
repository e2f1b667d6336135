"""Reading items in a few threads while the model embeds the batch before: the model never waits on the disk.

Decoding a JPEG and resizing it with Pillow releases the interpreter lock, so two or three threads
keep an image model fed on a laptop. Memory stays bounded: at most ``ahead`` batches beyond the
one being embedded are read at any time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

Loaded = list[tuple[int, Any]]
"""(item index, payload) pairs of one batch; the payload is the exception when the item was bad."""


def loaded_batches(
    load: Callable[[int], Any],
    indices: Sequence[int],
    batch_size: int,
    expected: tuple[type[Exception], ...],
    workers: int = 1,
    check: Callable[[], None] = lambda: None,
    ahead: int = 2,
) -> Iterator[Loaded]:
    """Batches of ``load(i)`` for ``indices`` in order; an ``expected`` error is yielded, not raised.

    ``check()`` runs before each batch is read and may raise (a cancelled run): the reads not yet
    started are then dropped. With ``workers`` > 1 the items of the next ``ahead`` batches are read
    by that many threads.
    """

    def one(i: int) -> Any:
        try:
            return load(i)
        except expected as error:
            return error

    batches = [indices[start : start + batch_size] for start in range(0, len(indices), batch_size)]
    if workers <= 1 or len(indices) <= 1:
        for batch in batches:
            check()
            yield [(i, one(i)) for i in batch]
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embed-load")
    pending: deque[list[tuple[int, Future[Any]]]] = deque()
    try:
        for batch in batches:
            pending.append([(i, pool.submit(one, i)) for i in batch])
            if len(pending) > ahead:
                check()
                yield [(i, future.result()) for i, future in pending.popleft()]
        while pending:
            check()
            yield [(i, future.result()) for i, future in pending.popleft()]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
