"""The signature of a webhook request: HMAC-SHA256 over `<timestamp>.<body>` with a shared
secret. The timestamp is signed too, so a request recorded by someone else cannot be replayed
later with a fresh timestamp; a receiver refuses one older than its tolerance."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from headcount.notifications.errors import BadSignature

SIGNATURE_HEADER = "X-Headcount-Signature"
TIMESTAMP_HEADER = "X-Headcount-Timestamp"
TOLERANCE = timedelta(minutes=5)
_SCHEME = "sha256="


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The value of the signature header: `sha256=<hex>`."""
    mac = hmac.new(secret, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return _SCHEME + mac.hexdigest()


def verify(secret: bytes, body: bytes, timestamp: str, signed: str, now: datetime,
           tolerance: timedelta = TOLERANCE) -> None:
    """Raise BadSignature unless `signed` (the signature header) is the signature of `body` at
    `timestamp` (the timestamp header) with `secret`, within `tolerance` of `now`."""
    try:
        seconds = int(timestamp)
    except ValueError:
        raise BadSignature(f"{TIMESTAMP_HEADER} is not a number of seconds: {timestamp!r}") \
            from None
    # Compared first, in constant time: nothing is told about a forged request's timing.
    if not hmac.compare_digest(sign(secret, seconds, body), signed):
        raise BadSignature("the signature does not match the body and timestamp "
                           "(a wrong secret, or a changed body)")
    age = abs(now.timestamp() - seconds)
    if age > tolerance.total_seconds():
        raise BadSignature(f"the timestamp is {age:.0f} s away from now "
                           f"(more than {tolerance.total_seconds():.0f} s): a replay?")
