"""A small per-worker cache for results that are costly to compute and may be briefly stale."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TimedCache(Generic[V]):
    """Least-recently-used values that expire after `seconds`; safe across a worker's threads."""

    def __init__(self, size: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.size, self.seconds, self.clock = size, seconds, clock
        self._values: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """Return the cached value for the key, computing and keeping it when missing or old."""
        now = self.clock()
        with self._lock:
            found = self._values.get(key)
            if found is not None and found[0] > now:
                self._values.move_to_end(key)
                return found[1]
        value = compute()  # outside the lock: two threads may compute one key, never block
        with self._lock:
            self._values[key] = (now + self.seconds, value)
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value
