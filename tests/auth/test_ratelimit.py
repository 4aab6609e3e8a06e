"""The login limiter's sliding window, driven by a clock the test sets (no sleeping)."""

from __future__ import annotations

import pytest

from polybox.auth.ratelimit import LoginLimiter, RateLimitedError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_sixth_attempt_in_a_minute_waits_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    limiter = LoginLimiter(clock)
    for second in range(5):
        clock.now = 1000.0 + second * 10
        limiter.reserve("192.0.2.1", "alice")

    clock.now = 1045.0
    with pytest.raises(RateLimitedError) as refused:
        limiter.reserve("192.0.2.1", "alice")

    assert refused.value.retry_after == 15
    clock.now = 1060.0
    limiter.reserve("192.0.2.1", "alice")


def test_usernames_are_counted_case_insensitively_and_forgiven_on_success() -> None:
    limiter = LoginLimiter(Clock())
    for _ in range(4):
        limiter.reserve(None, "Alice")
    limiter.reserve(None, "alice")
    limiter.forgive(None, "alice")

    limiter.reserve("198.51.100.9", "ALICE")
    with pytest.raises(RateLimitedError):
        limiter.reserve("198.51.100.10", "alice")
