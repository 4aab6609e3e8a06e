"""Login attempts per client address and per username: at most 5 a minute each.

Counters live in this process's memory: with several replicas an attacker gets 5 attempts a
minute per replica, and a restart forgets them. That still turns credential stuffing and password
guessing from thousands of tries a second into a handful a minute. The client address is the TCP
peer; a reverse proxy in front makes every client share its address (see docs/SECURITY.md).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from polybox.errors import PolyboxError

MAX_ATTEMPTS = 5
WINDOW_SECONDS = 60.0
_SWEEP_ABOVE = 10_000  # keys kept before stale ones are swept, so random usernames can't grow it


class RateLimitedError(PolyboxError):
    """Too many login attempts (HTTP 429); `retry_after` is whole seconds to wait."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LoginLimiter:
    """Sliding-window counters of login attempts keyed by address and by username.

    An attempt is counted when it starts (`reserve`), so concurrent guesses cannot slip past the
    limit while their passwords are being checked; a successful login hands its attempt back
    (`forgive`), so an admin who logs in often is never locked out by their own logins.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._attempts: dict[str, deque[float]] = {}

    def reserve(self, ip: str | None, username: str) -> None:
        """Count an attempt for both keys, or raise RateLimitedError when either is spent."""
        now = self._clock()
        keys = self._keys(ip, username)
        waits = [self._wait(key, now) for key in keys]
        if max(waits) > 0:
            raise RateLimitedError(
                f"too many login attempts; try again in {max(waits)} seconds", max(waits)
            )
        if len(self._attempts) > _SWEEP_ABOVE:
            self._sweep(now)
        for key in keys:
            self._attempts.setdefault(key, deque()).append(now)

    def forgive(self, ip: str | None, username: str) -> None:
        """Hand back the attempt of a login that succeeded."""
        for key in self._keys(ip, username):
            attempts = self._attempts.get(key)
            if attempts:
                attempts.pop()

    @staticmethod
    def _keys(ip: str | None, username: str) -> tuple[str, str]:
        return f"ip:{ip or 'unknown'}", f"user:{username.lower()}"

    def _wait(self, key: str, now: float) -> int:
        attempts = self._attempts.get(key)
        if attempts is None:
            return 0
        while attempts and attempts[0] <= now - WINDOW_SECONDS:
            attempts.popleft()
        if len(attempts) < MAX_ATTEMPTS:
            return 0
        return max(1, math.ceil(attempts[0] + WINDOW_SECONDS - now))

    def _sweep(self, now: float) -> None:
        for key in [k for k, v in self._attempts.items() if not v or v[-1] <= now - WINDOW_SECONDS]:
            del self._attempts[key]
