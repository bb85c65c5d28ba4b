"""What the tests' own servers (PostgreSQL, slapd, Samba, SMTP, the web UI) share: a free port
on the loopback, and the rule that a missing server skips its tests but fails them under CI."""

from __future__ import annotations

import os
import socket
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unavailable(server: str, reason: str) -> NoReturn:
    """Fail under CI=true, skip elsewhere."""
    if in_ci():
        pytest.fail(f"{server} required under CI=true: {reason}", pytrace=False)
    pytest.skip(f"{server} unavailable: {reason}")
