"""Webhook signatures: HMAC-SHA256 over ``"<timestamp>." + body`` (docs/delivery.md).

Headers: ``X-Cloudpulse-Timestamp: <unix seconds>`` and ``X-Cloudpulse-Signature: v1=<hex>``.
The timestamp is signed so a captured request cannot be replayed later; receivers should
refuse timestamps older than a few minutes.

Usage::

    headers = signature_headers(secret, body, now=time.time())
    ok = verify(secret, body, headers["X-Cloudpulse-Timestamp"], headers["X-Cloudpulse-Signature"])
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Cloudpulse-Timestamp"
SIGNATURE_HEADER = "X-Cloudpulse-Signature"


def sign(secret: str, body: bytes, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def signature_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, body, timestamp)}


def verify(secret: str, body: bytes, timestamp: str, signature: str, *, tolerance: float = 300.0,
           now: float | None = None) -> bool:
    """True if ``signature`` is ours for this body and the timestamp is recent enough."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    if age > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), signature)
