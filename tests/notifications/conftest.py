"""The servers of tests/notifying.py as fixtures: each started by the test, stopped after it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from notifying import StartHook, StartMailServer, running_hook, running_mail_server


@pytest.fixture
def start_mail_server() -> Iterator[StartMailServer]:
    with ExitStack() as stack:
        yield lambda security: stack.enter_context(running_mail_server(security))


@pytest.fixture
def start_hook() -> Iterator[StartHook]:
    with ExitStack() as stack:
        yield lambda **options: stack.enter_context(running_hook(**options))
