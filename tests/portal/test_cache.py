"""The per-worker TimedCache: values expire, the least recently used go first."""

from __future__ import annotations

from portal.cache import TimedCache


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_computed_once_until_it_expires() -> None:
    clock, calls = Clock(), []
    cache: TimedCache[int] = TimedCache(size=10, seconds=60, clock=clock)

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert [cache.get("k", compute) for _ in range(3)] == [1, 1, 1]
    clock.now = 59.9
    assert cache.get("k", compute) == 1
    clock.now = 60.0
    assert cache.get("k", compute) == 2


def test_the_least_recently_used_value_is_dropped_first() -> None:
    cache: TimedCache[str] = TimedCache(size=2, seconds=60, clock=Clock())
    cache.get("a", lambda: "a1")
    cache.get("b", lambda: "b1")
    cache.get("a", lambda: "a2")  # a is now the most recently used
    cache.get("c", lambda: "c1")  # so b goes
    assert cache.get("a", lambda: "a3") == "a1"
    assert cache.get("b", lambda: "b2") == "b2"
