"""The agent (`headcount agent`): next to the HR files, it sends heartbeats, leases the work of
its connectors, exports their files (read, decode, transformations) with the connector's own
configuration, and uploads the tables in checksummed chunks — retrying, and resuming from what
the server says it holds — then completes the delivery, which the server queues as a run."""

from __future__ import annotations

import hashlib
import math
import platform
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from headcount import __version__
from headcount.agents import bundle
from headcount.agents.settings import AgentSettings, read_token
from headcount.config.loader import load_project_config
from headcount.config.model import Connector
from headcount.errors import HeadcountError, NotFound
from headcount.jobs.sources import export_files
from headcount.jobs.work import RunWork

Say = Callable[[str], None]


class AgentRefused(HeadcountError):
    """The server refused the agent (its token, a connector, a lapsed lease)."""

    exit_code = 4


class ServerUnreachable(HeadcountError):
    """The server did not answer after every retry."""


@dataclass(frozen=True)
class Delivered:
    connector: str
    delivery: int
    job_run: int | None
    size: int
    work: int | None


class AgentClient:
    """One agent's conversation with the server; `transport` replaces the network in tests."""

    def __init__(self, settings: AgentSettings, say: Say = lambda _: None,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.say = say
        self.sleep = sleep
        verify: ssl.SSLContext | bool = True
        if settings.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(settings.ca_file))
        self.http = httpx.Client(
            base_url=settings.server.rstrip("/") + "/api/agent", verify=verify,
            transport=transport, timeout=60.0,
            headers={"Authorization": f"Bearer {read_token(settings.token)}",
                     "X-Headcount-Agent": settings.name,
                     "User-Agent": f"headcount-agent/{__version__}"})
        self.project = load_project_config(settings.project)
        self.connectors = self._served()

    def close(self) -> None:
        self.http.close()

    def _served(self) -> list[Connector]:
        wanted = self.settings.connectors or [c.identifier for c in self.project.connectors
                                              if c.agent == "remote"]
        served: list[Connector] = []
        for name in wanted:
            found = self.project.connector(name)
            if found is None:
                names = ", ".join(c.identifier for c in self.project.connectors)
                raise NotFound(f"no connector `{name}` in {self.settings.project} ({names})")
            served.append(found)
        if not served:
            raise NotFound(f"{self.settings.project} has no connector with `agent: remote`: "
                           "name the connectors in the agent's configuration")
        return served

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request, retried on network failures and 5xx answers; a refusal is raised."""
        delay = 1.0
        for attempt in range(self.settings.retries + 1):
            try:
                answer = self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if answer.status_code < 500:
                    break
                problem = f"{answer.status_code} {answer.text[:200]}"
            if attempt == self.settings.retries:
                raise ServerUnreachable(f"{self.settings.server}: {problem}")
            self.say(f"{method} {path}: {problem}; retrying in {delay:.0f} s")
            self.sleep(delay)
            delay = min(delay * 2, 60.0)
        if answer.status_code == 401:
            raise AgentRefused(f"{self.settings.server} refused the token (revoked, or without "
                               "scope agent on these connectors)")
        if answer.status_code >= 400:
            try:
                detail = str(answer.json().get("detail"))
            except ValueError:
                detail = answer.text[:200]
            raise AgentRefused(f"{method} {path}: {answer.status_code} {detail}")
        return answer

    def heartbeat(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("POST", "/heartbeat", json={
            "host": platform.node(), "version": __version__,
            "connectors": [c.identifier for c in self.connectors],
            "interval_seconds": self.settings.heartbeat_seconds}).json()
        return answer

    def lease(self) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._call("POST", "/work/lease").json()["work"]
        return found

    def export(self, connector: Connector, mode: str | None) -> bytes:
        """The connector's files read next to them, packed for the server."""
        work = RunWork(0, connector, mode or "complete")
        tables = export_files(self.settings.project, connector, mode == "incremental", work)
        for level, message in work.logs:
            self.say(f"{connector.identifier}: {level}: {message}")
        return bundle.pack(tables, connector.identifier, mode)

    def upload(self, connector: str, data: bytes, mode: str | None,
               work_id: int | None) -> Delivered:
        size = self.settings.chunk_bytes
        chunks = max(1, math.ceil(len(data) / size))
        started = self._call("POST", f"/{connector}/deliveries", json={
            "mode": mode, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "chunks": chunks, "work_id": work_id}).json()
        delivery = int(started["id"])
        base = f"/{connector}/deliveries/{delivery}"
        before, fruitless = -1, 0
        while True:
            # Resumption: send what the server does not hold, whatever happened before.
            held = set(self._call("GET", base).json()["received"])
            missing = [n for n in range(chunks) if n not in held]
            if not missing:
                break
            # Give up only when rounds in a row bring no chunk at all.
            fruitless = fruitless + 1 if len(held) <= before else 0
            before = len(held)
            if fruitless > self.settings.retries:
                raise ServerUnreachable(f"delivery {delivery}: {len(missing)} of {chunks} "
                                        "chunks could not be sent")
            try:
                for n in missing:
                    part = data[n * size:(n + 1) * size]
                    self._call("PUT", f"{base}/chunks/{n}", content=part, headers={
                        "X-Chunk-SHA256": hashlib.sha256(part).hexdigest(),
                        "Content-Type": "application/octet-stream"})
            except ServerUnreachable as exc:
                self.say(f"delivery {delivery}: {exc}; resuming from what the server holds")
        done = self._call("POST", f"{base}/complete").json()
        self.say(f"{connector}: delivery {delivery} complete ({len(data):,} bytes in {chunks} "
                 f"chunks), job run {done.get('job_run')}")
        return Delivered(connector, delivery, done.get("job_run"), len(data), work_id)

    def deliver(self, connector_name: str, mode: str | None,
                work_id: int | None = None) -> Delivered:
        """Export `connector_name` and deliver it — for a work item, or on the agent's own
        schedule."""
        connector = next((c for c in self.connectors
                          if c.identifier.lower() == connector_name.lower()), None)
        if connector is None:
            raise NotFound(f"this agent does not serve connector {connector_name} (it serves "
                           f"{', '.join(c.identifier for c in self.connectors)})")
        return self.upload(connector.identifier, self.export(connector, mode), mode, work_id)

    def serve_work(self) -> list[Delivered]:
        """Lease and deliver work until there is none left."""
        done: list[Delivered] = []
        while (item := self.lease()) is not None:
            self.say(f"leased work {item['id']}: {item['connector']} "
                     f"({item['mode'] or 'mode chosen by the server'})")
            done.append(self.deliver(item["connector"], item["mode"], int(item["id"])))
        return done

    def run(self, stop: threading.Event) -> None:
        """Heartbeat and serve work every interval until `stop` is set; a heartbeat thread
        keeps the leases alive while a long export or upload goes on."""
        beating = threading.Thread(target=self._beat, args=(stop,), daemon=True,
                                   name="agent-heartbeat")
        self.heartbeat()
        beating.start()
        while not stop.is_set():
            try:
                self.serve_work()
            except ServerUnreachable as exc:
                self.say(str(exc))
            stop.wait(self.settings.heartbeat_seconds)

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(self.settings.heartbeat_seconds):
            try:
                self.heartbeat()
            except (ServerUnreachable, AgentRefused) as exc:
                self.say(f"heartbeat: {exc}")
