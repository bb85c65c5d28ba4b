"""What agents deliver: the files of a connector, exported next to the HR files, uploaded in
checksummed, resumable chunks and kept until a run reads them; their chunks are deleted
`RETENTION` after that (or after being abandoned half-sent).

The scheduler calls `request_work` (a job run of an `agent: remote` connector waits for an agent)
and `given_source` (the run of a delivery reads its tables)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from headcount.agents import bundle, work
from headcount.agents.heartbeats import Agent
from headcount.agents.heartbeats import get as get_agent
from headcount.errors import HeadcountError, NotFound, RunRefused
from headcount.jobs.sources import GivenSource, columns_read_from
from headcount.project import ProjectContext
from headcount.repository.database import begin_write
from headcount.repository.runs import now as clock
from headcount.repository.schema import agent_chunks, agent_deliveries

UPLOADING = "uploading"
COMPLETE = "complete"
TAKEN = "taken"
PURGED = "purged"
# Chunks are kept this long after a run read them (to look into a surprising run), or after
# the last sign of an upload never completed.
RETENTION = timedelta(days=7)
MAX_CHUNK = 4 * 1024 * 1024


class ChecksumMismatch(HeadcountError):
    """A chunk or a whole delivery whose bytes do not have the SHA-256 announced."""


@dataclass(frozen=True)
class Announce:
    """What an agent says of a delivery before sending it."""

    mode: str | None
    size: int
    sha256: str
    chunks: int
    work_id: int | None = None


@dataclass(frozen=True)
class Delivery:
    id: int
    connector: str
    mode: str | None
    agent_id: int
    work_id: int | None
    token_label: str
    size: int
    sha256: str
    chunks: int
    state: str
    created_at: datetime
    job_run_id: int | None


def _delivery(row: sa.Row[tuple[object, ...]]) -> Delivery:
    m = row._mapping
    created = m["created_at"]
    return Delivery(id=int(m["id"]), connector=str(m["connector"]), mode=m["mode"],
                    agent_id=int(m["agent_id"]), work_id=m["work_id"],
                    token_label=str(m["token_label"]), size=int(m["size"]),
                    sha256=str(m["sha256"]), chunks=int(m["chunks"]), state=str(m["state"]),
                    created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
                    job_run_id=m["job_run_id"])


def request_work(conn: sa.Connection, connector: str, mode: str | None,
                 job_run_id: int) -> int:
    """Post work for the agents serving `connector` (an export in `mode`) on behalf of a job
    run; the first agent to lease it delivers, and the delivery is queued as its own job run
    (trigger `agent`). Returns the work item's id."""
    return work.post(conn, connector, mode, job_run_id, clock())


def start(conn: sa.Connection, agent: Agent, connector: str, token_label: str,
          announce: Announce, now: datetime) -> Delivery:
    """Record a delivery about to be uploaded — for a work item the agent holds, or on the
    agent's own schedule (no item)."""
    if not (announce.size > 0 and 0 < announce.chunks <= announce.size
            and announce.size <= announce.chunks * MAX_CHUNK):
        raise HeadcountError(f"a delivery of {announce.size} bytes cannot come in "
                             f"{announce.chunks} chunks of at most {MAX_CHUNK} bytes")
    if len(announce.sha256) != 64:
        raise HeadcountError("a delivery's sha256 is 64 hexadecimal digits")
    mode = announce.mode
    if announce.work_id is not None:
        item = work.held(conn, agent, announce.work_id, connector, now)
        mode = item.mode
    purge(conn, now)
    delivery_id = conn.execute(sa.insert(agent_deliveries).values(
        connector=connector, mode=mode, agent_id=agent.id, work_id=announce.work_id,
        token_label=token_label, size=announce.size, sha256=announce.sha256.lower(),
        chunks=announce.chunks, state=UPLOADING, created_at=now)
        .returning(agent_deliveries.c.id)).scalar_one()
    return get(conn, int(delivery_id))


def get(conn: sa.Connection, delivery_id: int) -> Delivery:
    row = conn.execute(sa.select(agent_deliveries)
                       .where(agent_deliveries.c.id == delivery_id)).first()
    if row is None:
        raise NotFound(f"no delivery {delivery_id}")
    return _delivery(row)


def owned(conn: sa.Connection, agent: Agent, connector: str, delivery_id: int) -> Delivery:
    """The delivery of `agent` for `connector` (any other answers as unknown)."""
    found = get(conn, delivery_id)
    if found.agent_id != agent.id or found.connector.lower() != connector.lower():
        raise NotFound(f"no delivery {delivery_id} of {agent.name} for {connector}")
    return found


def received(conn: sa.Connection, delivery_id: int) -> list[int]:
    """The chunks the server holds: the agent sends the others (resumption)."""
    return list(conn.execute(sa.select(agent_chunks.c.n).where(
        agent_chunks.c.delivery_id == delivery_id).order_by(agent_chunks.c.n)).scalars())


def put_chunk(conn: sa.Connection, agent: Agent, delivery: Delivery, n: int, data: bytes,
              sha256: str, now: datetime) -> None:
    """Keep chunk `n` if its bytes have the SHA-256 announced; sending it again replaces it."""
    if delivery.state != UPLOADING:
        raise RunRefused(f"delivery {delivery.id} is {delivery.state}: it takes no more chunks")
    if not 0 <= n < delivery.chunks:
        raise HeadcountError(f"delivery {delivery.id} has chunks 0 to {delivery.chunks - 1}, "
                             f"not {n}")
    if len(data) > MAX_CHUNK:
        raise HeadcountError(f"a chunk holds at most {MAX_CHUNK} bytes")
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256.strip().lower():
        raise ChecksumMismatch(f"chunk {n} of delivery {delivery.id} has SHA-256 {actual}, "
                               f"not {sha256.strip() or '(none given)'}: send it again")
    if delivery.work_id is not None:
        work.held(conn, agent, delivery.work_id, delivery.connector, now)
    conn.execute(sa.delete(agent_chunks).where(agent_chunks.c.delivery_id == delivery.id,
                                               agent_chunks.c.n == n))
    conn.execute(sa.insert(agent_chunks).values(delivery_id=delivery.id, n=n, sha256=actual,
                                                data=data))


def complete(conn: sa.Connection, agent: Agent, delivery: Delivery, now: datetime) -> Delivery:
    """Check that every chunk is there and that together they have the delivery's SHA-256;
    close its work item. The caller then queues the run that applies it."""
    if delivery.state != UPLOADING:
        raise RunRefused(f"delivery {delivery.id} is {delivery.state} already")
    missing = sorted(set(range(delivery.chunks)) - set(received(conn, delivery.id)))
    if missing:
        raise RunRefused(f"delivery {delivery.id} lacks chunks "
                         f"{', '.join(map(str, missing[:20]))}{'…' if len(missing) > 20 else ''}")
    data = _bytes(conn, delivery.id)
    actual = hashlib.sha256(data).hexdigest()
    if actual != delivery.sha256 or len(data) != delivery.size:
        # Every chunk matched its own checksum: the agent announced the wrong whole. The
        # caller drops the chunks (`drop_chunks`, after this transaction rolls back).
        raise ChecksumMismatch(f"delivery {delivery.id} has {len(data)} bytes of SHA-256 "
                               f"{actual}, not {delivery.size} of {delivery.sha256}: its "
                               "chunks were dropped, send them again")
    bundle.unpack(data)  # refuse now what a run could not read later
    if delivery.work_id is not None:
        work.deliver(conn, agent, delivery.work_id, delivery.id)
    conn.execute(sa.update(agent_deliveries).where(agent_deliveries.c.id == delivery.id)
                 .values(state=COMPLETE, completed_at=now))
    return get(conn, delivery.id)


def drop_chunks(conn: sa.Connection, delivery_id: int) -> None:
    """Forget the chunks of a delivery whose whole was refused: the agent sends them again."""
    conn.execute(sa.delete(agent_chunks).where(agent_chunks.c.delivery_id == delivery_id))


def queued(conn: sa.Connection, delivery_id: int, job_run_id: int) -> None:
    """Record the job run that applies the delivery."""
    conn.execute(sa.update(agent_deliveries).where(agent_deliveries.c.id == delivery_id)
                 .values(job_run_id=job_run_id))


def _bytes(conn: sa.Connection, delivery_id: int) -> bytes:
    return b"".join(conn.execute(sa.select(agent_chunks.c.data).where(
        agent_chunks.c.delivery_id == delivery_id).order_by(agent_chunks.c.n)).scalars())


def given_source(ctx: ProjectContext, delivery_id: int) -> GivenSource:
    """The delivered tables of `delivery_id`, for a run to read instead of the connector's own
    files; the job result's files name the agent and the delivery."""
    _, project = ctx.deployed()
    with begin_write(ctx.engine) as conn:
        delivery = get(conn, delivery_id)
        if delivery.state not in (COMPLETE, TAKEN):
            raise RunRefused(f"delivery {delivery_id} is {delivery.state}: only a complete "
                             "delivery can be applied")
        data = _bytes(conn, delivery_id)
        agent = get_agent(conn, delivery.agent_id)
        conn.execute(sa.update(agent_deliveries).where(agent_deliveries.c.id == delivery_id)
                     .values(state=TAKEN, taken_at=clock()))
    if hashlib.sha256(data).hexdigest() != delivery.sha256:
        raise ChecksumMismatch(f"delivery {delivery_id} changed since it was received")
    _, tables = bundle.unpack(data)
    connector = project.connector(delivery.connector)
    if connector is None:
        raise NotFound(f"delivery {delivery_id} is for connector {delivery.connector}, which "
                       "is no longer deployed")
    by_id = {c.identifier.lower(): c.identifier for c in connector.connections}
    unknown = sorted(cid for cid in tables if cid.lower() not in by_id)
    if unknown:
        raise RunRefused(f"delivery {delivery_id} holds connections {', '.join(unknown)} that "
                         f"connector {connector.identifier} does not declare: the agent's "
                         "configuration differs from the deployed one")
    tables = {by_id[cid.lower()]: t for cid, t in tables.items()}
    absent = sorted(c.identifier for c in connector.connections
                    if columns_read_from(connector, c.identifier) and c.identifier not in tables)
    if absent and delivery.mode != "incremental":
        raise RunRefused(f"delivery {delivery_id} lacks connections {', '.join(absent)} of "
                         f"connector {connector.identifier}")
    about = {"agent": agent.name, "agent_host": agent.host, "agent_version": agent.version,
             "delivery": delivery.id, "delivered_by": delivery.token_label}
    return GivenSource(connector=connector, tables=tables,
                       files={cid: dict(about) for cid in tables}, own_files=True,
                       origin=f"delivery {delivery.id} by {agent.label} "
                              f"({delivery.token_label})")


def purge(conn: sa.Connection, now: datetime) -> int:
    """Delete the chunks of deliveries read by a run, or abandoned, over `RETENTION` ago;
    the deliveries' records stay. Returns how many deliveries were purged."""
    old = now - RETENTION
    ids = list(conn.execute(sa.select(agent_deliveries.c.id).where(sa.or_(
        sa.and_(agent_deliveries.c.state == TAKEN, agent_deliveries.c.taken_at < old),
        sa.and_(agent_deliveries.c.state == UPLOADING, agent_deliveries.c.created_at < old))))
        .scalars())
    if ids:
        conn.execute(sa.delete(agent_chunks).where(agent_chunks.c.delivery_id.in_(ids)))
        conn.execute(sa.update(agent_deliveries).where(agent_deliveries.c.id.in_(ids))
                     .values(state=PURGED))
    return len(ids)
