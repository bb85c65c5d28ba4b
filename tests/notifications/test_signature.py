"""The webhook signature: what is signed verifies, anything changed does not, an old request is
a replay."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headcount.notifications import BadSignature, sign, verify

NOW = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
secrets = st.binary(min_size=1, max_size=64)
bodies = st.binary(max_size=512)
instants = st.integers(min_value=0, max_value=2**33)


@given(secret=secrets, body=bodies, timestamp=instants)
def test_what_is_signed_verifies(secret: bytes, body: bytes, timestamp: int) -> None:
    verify(secret, body, str(timestamp), sign(secret, timestamp, body),
           now=datetime.fromtimestamp(timestamp, UTC))


@given(secret=secrets, other=secrets, body=bodies, timestamp=instants)
def test_another_secret_does_not(secret: bytes, other: bytes, body: bytes,
                                 timestamp: int) -> None:
    if other == secret:
        return
    with pytest.raises(BadSignature, match="does not match"):
        verify(other, body, str(timestamp), sign(secret, timestamp, body),
               now=datetime.fromtimestamp(timestamp, UTC))


@given(secret=secrets, body=bodies.filter(bool), data=st.data())
def test_a_changed_byte_or_timestamp_does_not(secret: bytes, body: bytes,
                                              data: st.DataObject) -> None:
    at = int(NOW.timestamp())
    signed = sign(secret, at, body)
    i = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = body[:i] + bytes([body[i] ^ flip]) + body[i + 1:]
    with pytest.raises(BadSignature):
        verify(secret, changed, str(at), signed, now=NOW)
    later = at + data.draw(st.integers(1, 60))  # a fresh timestamp on a recorded request
    with pytest.raises(BadSignature):
        verify(secret, body, str(later), signed, now=NOW)


def test_an_old_request_is_a_replay() -> None:
    at = int(NOW.timestamp())
    signed = sign(b"secret", at, b"{}")
    verify(b"secret", b"{}", str(at), signed, now=NOW + timedelta(minutes=5))
    with pytest.raises(BadSignature, match="a replay"):
        verify(b"secret", b"{}", str(at), signed, now=NOW + timedelta(minutes=5, seconds=1))
    with pytest.raises(BadSignature, match="not a number"):
        verify(b"secret", b"{}", "yesterday", signed, now=NOW)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # Fixed by the documentation: receivers in any language compute exactly this.
    assert sign(b"key", 1772439300, b'{"a":1}') == (
        "sha256=" + hmac.new(b"key", b'1772439300.{"a":1}', "sha256").hexdigest())
