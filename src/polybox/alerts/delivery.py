"""POSTing an alert to the webhook, retrying what may pass on a second try.

Connection failures, timeouts, 429 and 5xx answers are retried with exponential backoff
(`base_delay`, doubled each time); any other 4xx is final (the request itself is wrong). The
outcome never quotes the URL, which for Slack and Discord is itself a credential.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

ATTEMPTS = 4
BASE_DELAY = 1.0  # seconds before the second attempt; then 2, 4
TIMEOUT = 10.0


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    attempts: int
    outcome: str  # "HTTP 200", "HTTP 500", "ConnectError", ...


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    *,
    attempts: int = ATTEMPTS,
    base_delay: float = BASE_DELAY,
) -> Delivery:
    """POST `body` as JSON to `url` until it is accepted (2xx) or `attempts` are spent."""
    outcome = "not sent"
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            await asyncio.sleep(base_delay * 2 ** (attempt - 2))
        try:
            response = await client.post(url, json=body, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
            continue
        outcome = f"HTTP {response.status_code}"
        if response.is_success:
            return Delivery(delivered=True, attempts=attempt, outcome=outcome)
        if response.status_code != 429 and response.status_code < 500:
            return Delivery(delivered=False, attempts=attempt, outcome=outcome)
    return Delivery(delivered=False, attempts=attempts, outcome=outcome)
