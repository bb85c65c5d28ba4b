"""The agent. End to end (issue 13, item 3): `headcount serve` over HTTPS on the loopback, with a
certificate this test makes, and `headcount agent --once` in another process next to a copy of the
sample HR files: it leases the work, delivers the people file, and the run that applies it names
the agent; with its token revoked, the agent is refused. And through a network that drops
requests: the agent retries, and resumes its upload from what the server holds."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from agentproject import agent_token, remote_project, run_of_delivery
from headcount.agents import deliveries
from headcount.agents.client import AgentClient
from headcount.agents.settings import AgentSettings, TokenSource
from headcount.repository.database import DATABASE_ENV, begin_write, create_engine
from headcount.repository.schema import agent_work, agents
from servers import free_port
from webproject import make_app

CLI = "from headcount.cli.app import main; main()"


def certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signs for 127.0.0.1: (ca.pem, server.pem, server.key)."""
    start = datetime.now(UTC) - timedelta(hours=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "headcount test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(start + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@pytest.fixture
def server(tmp_path: Path, db_url: str) -> Iterator[tuple[str, Path, Path, sa.Engine]]:
    """(its https URL, the project folder, the CA file, an engine on its database)."""
    project = remote_project(tmp_path / "hr", db_url)
    ca, cert, key = certificates(tmp_path)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "-p", str(project), "serve", "--port", str(port),
         "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)],
        env={**os.environ, DATABASE_ENV: db_url}, stdout=log, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{port}"
    engine = create_engine(db_url)
    trusting = ssl.create_default_context(cafile=str(ca))
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{url}/health", verify=trusting).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.2)
        yield url, project, ca, engine
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        engine.dispose()


def agent(folder: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != DATABASE_ENV}
    return subprocess.run([sys.executable, "-c", CLI, "agent", "--config", str(config),
                           "--once"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.mark.slow
def test_an_agent_in_another_process_delivers_over_tls_and_a_revoked_token_is_refused(
        tmp_path: Path, server: tuple[str, Path, Path, sa.Engine]) -> None:
    url, project, ca, engine = server
    # The agent's side: its own copy of the configuration and the HR files, nothing else.
    side = tmp_path / "agent-side"
    shutil.copytree(project / "config", side / "hr" / "config")
    # …holding the next day's files: the server's own copy is a day behind.
    shutil.copytree(project / "data" / "next_day", side / "hr" / "data")
    token, secret = agent_token(engine)
    secret_file = side / "agent.token"
    secret_file.write_text(secret + "\n", encoding="utf-8")
    secret_file.chmod(0o600)
    config = side / "agent.yaml"
    config.write_text(f"server: {url}\nca_file: {ca}\nproject: hr\nname: paris-agent\n"
                      "connectors: [HR]\ntoken: {file: agent.token}\nchunk_bytes: 65536\n",
                      encoding="utf-8")
    with begin_write(engine) as conn:  # what the scheduler does for an `agent: remote` run
        item = deliveries.request_work(conn, "HR", "complete", 1)

    done = agent(side, config)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 work item delivered" in done.stdout
    with engine.connect() as conn:
        work = conn.execute(sa.select(agent_work).where(agent_work.c.id == item)).one()
        seen = conn.execute(sa.select(agents)).one()
    assert work.state == "delivered"
    assert (seen.name, seen.token_id) == ("paris-agent", token.id)
    record = run_of_delivery(engine, work.delivery_id)
    assert record.state in ("succeeded", "warnings"), record.message
    people = next(f for f in record.files if f["connection"] == "HR_People")
    assert (people["agent"], people["delivery"]) == ("paris-agent", work.delivery_id)
    assert people["delivered_by"] == token.label
    assert people["checksum"] == hashlib.sha256(
        (side / "hr" / "data" / "hr_people.csv").read_bytes()).hexdigest()
    assert record.counters["inserted"] + record.counters["updated"] > 0

    revoked = subprocess.run([sys.executable, "-c", CLI, "-p", str(project), "token",
                              "revoke", str(token.id)],
                             env={**os.environ, DATABASE_ENV: engine.url.render_as_string(
                                 hide_password=False)},
                             capture_output=True, text=True, timeout=120, check=False)
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    refused = agent(side, config)
    assert refused.returncode == 4
    assert "refused the token" in refused.stdout + refused.stderr


class Flaky(httpx.BaseTransport):
    """The app reached through the test client, but every third chunk upload is lost on the
    way, twice: once more than the agent retries a request. (Starlette's test client speaks
    httpx2: requests and answers are carried over.)"""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.puts = 0
        self.lost: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            self.puts += 1
            path = request.url.path
            if (self.puts % 3 == 0 or path in self.lost) and self.lost.count(path) < 2:
                self.lost.append(path)
                raise httpx.ConnectError("connection reset", request=request)
        answer = self.client.request(request.method, str(request.url),
                                     headers=dict(request.headers), content=request.read())
        return httpx.Response(answer.status_code, headers=list(answer.headers.multi_items()),
                              content=answer.content)


def test_an_upload_through_a_flaky_network_is_retried_and_resumed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/headcount.db"
    folder = remote_project(tmp_path / "hr", url)
    app = make_app(folder, url)
    engine: sa.Engine = app.state.headcount.engine
    try:
        with TestClient(app) as client:
            _, secret = agent_token(engine)
            (tmp_path / "agent.token").write_text(secret, encoding="utf-8")
            (tmp_path / "agent.token").chmod(0o600)
            settings = AgentSettings(server=str(client.base_url), project=folder,
                                     name="paris-agent", chunk_bytes=4096, retries=1,
                                     token=TokenSource(file=tmp_path / "agent.token"))
            flaky = Flaky(client)
            said: list[str] = []
            agent = AgentClient(settings, said.append, transport=flaky, sleep=lambda _: None)
            try:
                agent.heartbeat()
                with begin_write(engine) as conn:
                    item = deliveries.request_work(conn, "HR", "complete", 3)
                done = agent.serve_work()
            finally:
                agent.close()
            assert [d.work for d in done] == [item]
            assert len(flaky.lost) > 3
            assert any("retrying" in line for line in said)
            assert any("resuming" in line for line in said)
            record = run_of_delivery(engine, done[0].delivery)
            assert record.state in ("succeeded", "warnings"), record.message
    finally:
        engine.dispose()
