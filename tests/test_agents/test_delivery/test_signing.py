"""The documented verification recipe (docs/delivery.md) must accept what we sign."""

from __future__ import annotations

import hashlib
import hmac

from agents.delivery.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_headers, verify


def documented_verify(secret: str, body: bytes, timestamp: str, signature: str) -> bool:
    # Copied from docs/delivery.md, "Verifying a signature" (keep in step).
    expected = "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def test_recipe_verifies_our_signature() -> None:
    body = '{"alert_id":"alert-1","text":"阿里巴巴"}'.encode()
    headers = signature_headers("s3cret", body, now=1_700_000_000)
    assert headers[TIMESTAMP_HEADER] == "1700000000"
    assert documented_verify("s3cret", body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])
    assert verify("s3cret", body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], now=1_700_000_010)


def test_tampering_wrong_key_and_old_timestamp_fail() -> None:
    body = b'{"a":1}'
    headers = signature_headers("s3cret", body, now=1_700_000_000)
    ts, sig = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    assert not verify("s3cret", b'{"a":2}', ts, sig, now=1_700_000_000)
    assert not verify("other", body, ts, sig, now=1_700_000_000)
    assert not verify("s3cret", body, ts, sig, now=1_700_000_000 + 3600)  # replayed an hour later
    assert not documented_verify("s3cret", body, str(int(ts) + 1), sig)  # timestamp is signed too
