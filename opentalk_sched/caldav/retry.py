"""Bounded retries with exponential backoff for CalDAV requests.

A request is tried again when the connection fails (refused, reset, timed out), when
the server answers 5xx (500, 502, 503, 504) or 429 (RFC 6585 §4). ``Retry-After``
(RFC 9110 §10.2.3) is honoured up to ``max_delay``. Everything else (2xx, 3xx, 4xx
other than 429) is an answer and is returned to the caller.

    >>> policy = RetryPolicy(attempts=3, base_delay=0.5)
    >>> [policy.delay(n) for n in (1, 2, 3)]
    [0.5, 1.0, 2.0]

Retrying a write is safe here because every write of the push is conditional
(If-None-Match / If-Match): a PUT that reached the server before the connection broke
answers 412 on the retry, and the engine then compares the server's copy with ours.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

#: HTTP statuses that are worth another attempt
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry one request.

    ``attempts`` counts the first try (``attempts=1`` never retries). The n-th retry
    waits ``base_delay * 2**(n-1)`` seconds, at most ``max_delay``; a server's
    ``Retry-After`` replaces that wait when it is given (also capped). ``sleep`` is
    injectable so tests need not wait.
    """

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_delay)
        return min(self.base_delay * (2 ** (retry - 1)), self.max_delay)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; ``None`` if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        from email.utils import parsedate_to_datetime
        from datetime import datetime, timezone

        when = parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError, IndexError):
        return None
