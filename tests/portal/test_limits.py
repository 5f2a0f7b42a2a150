"""The memory:// counters: fixed windows like limits' MemoryStorage, without a thread per window."""

from __future__ import annotations

import threading
import time

import pytest
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from portal.limits import ProcessCounters, get_limiter
from tests.conftest import AppFactory


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_counter_counts_within_its_window_and_starts_afresh_after(clock: Clock) -> None:
    counters = ProcessCounters(clock)
    assert [counters.incr("a", 60) for _ in range(3)] == [1, 2, 3]
    assert counters.get("a") == 3 and counters.get_expiry("a") == clock.now + 60
    clock.now += 59.9
    assert counters.incr("a", 60, amount=2) == 5  # the window is where the first one opened it
    clock.now += 0.1
    assert counters.get("a") == 0 and counters.get_expiry("a") == clock.now
    assert counters.incr("a", 60) == 1
    assert counters.get_expiry("a") == clock.now + 60


@pytest.mark.parametrize(
    ("limit", "hits", "allowed"),
    [("3 per minute", 5, [True] * 3 + [False] * 2), ("1/second", 2, [True, False])],
)
def test_limits_fixed_window_counting_over_them(
    clock: Clock, limit: str, hits: int, allowed: list[bool]
) -> None:
    counting = FixedWindowRateLimiter(ProcessCounters(clock))
    item = parse(limit)
    assert [counting.hit(item, "192.0.2.1", "search") for _ in range(hits)] == allowed
    assert counting.hit(item, "192.0.2.2", "search")  # another client, its own counter
    assert counting.get_window_stats(item, "192.0.2.1", "search").remaining == 0
    clock.now += item.get_expiry()
    assert counting.hit(item, "192.0.2.1", "search")


def test_counters_of_clients_gone_quiet_are_swept_out(clock: Clock) -> None:
    counters = ProcessCounters(clock)  # swept at the start
    clock.now += 5
    for n in range(100):
        counters.incr(f"client-{n}", 1)
    clock.now += 2
    counters.incr("still-here", 600)
    assert len(counters) == 101  # ended, but the last sweep was under SWEEP_SECONDS ago
    clock.now += ProcessCounters.SWEEP_SECONDS - 7
    counters.incr("still-here", 600)
    assert len(counters) == 1 and counters.get("still-here") == 2


def test_clear_and_reset_forget_counters(clock: Clock) -> None:
    counters = ProcessCounters(clock)
    counters.incr("note", 3600)
    counters.incr("other", 3600)
    counters.clear("note")
    assert counters.get("note") == 0 and counters.incr("note", 3600) == 1
    assert counters.reset() == 2 and len(counters) == 0 and counters.check()


def test_counting_starts_no_thread_and_loses_no_increment() -> None:
    counters = ProcessCounters()
    running: set[int] = set()  # every thread that ran Python code meanwhile

    def count() -> None:
        for n in range(2000):
            counters.incr("k", 60)
            if n % 100 == 0:
                time.sleep(0.001)  # long enough for limits' MemoryStorage to start a timer

    threading.setprofile(lambda *_: running.add(threading.get_ident()))
    try:
        workers = [threading.Thread(target=count) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        threading.setprofile(None)
    assert counters.get("k") == 8000
    assert running == {worker.ident for worker in workers}


def test_an_app_counts_in_process_counters_for_memory_storage(make_app: AppFactory) -> None:
    with make_app(RATELIMIT_STORAGE_URI="memory://").app_context():
        assert isinstance(get_limiter().storage, ProcessCounters)
