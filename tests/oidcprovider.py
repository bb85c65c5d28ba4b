"""A real OpenID Connect provider for the single sign-on tests: tests/oidc/provider.mjs (the
`oidc-provider` package from the npm registry, installed there by `npm ci`) run with Node.js on a
free port of the loopback. Missing Node.js or package: the tests skip, and fail under CI=true."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from servers import free_port, unavailable

FOLDER = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "headcount"
CLIENT_SECRET = "headcount-test-secret"  # the test provider's, in provider.mjs


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_provider(folder: Path) -> OidcProvider:
    node = shutil.which("node")
    if node is None:
        unavailable("Node.js", "install the Debian package nodejs (and npm)")
    if not (FOLDER / "node_modules" / "oidc-provider").is_dir():
        unavailable("oidc-provider", "run `npm ci` in tests/oidc (make test does)")
    port = free_port()
    log = folder / "provider.log"
    with log.open("wb") as out:  # the child keeps its own descriptor
        process = subprocess.Popen([node, str(FOLDER / "provider.mjs"), str(port)], cwd=FOLDER,
                                   stdout=out, stderr=subprocess.STDOUT)
    provider = OidcProvider(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the OpenID provider stopped: " + log.read_text(errors="replace"))
        try:
            if httpx.get(f"{provider.issuer}/.well-known/openid-configuration",
                         timeout=2).status_code == 200:
                return provider
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    provider.stop()
    raise RuntimeError("the OpenID provider did not answer within 30 s")


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """One provider for the session: its accounts hold no state between tests."""
    folder = Path(tempfile.mkdtemp(prefix="headcount-oidc-"))
    provider = start_provider(folder)
    try:
        yield provider
    finally:
        provider.stop()
        shutil.rmtree(folder, ignore_errors=True)
