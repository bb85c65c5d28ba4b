"""What happens to a blocked run (SPEC §4.4): resume applies exactly its staged changes, with a
reason recorded in the audit log; cancel drops them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import polars as pl
import sqlalchemy as sa

from headcount import collector
from headcount.accounts import owners
from headcount.errors import RunRefused
from headcount.fulfillment.direct import record_orders
from headcount.fulfillment.workflows import PLANNED, start_all
from headcount.jobs.synchronization import log_orders, preview_run, remember_file
from headcount.policy.job import order_counts, order_digest, run_policy
from headcount.project import ProjectContext
from headcount.repository import accepted as snapshots
from headcount.repository import deployments, pushed, runs
from headcount.repository.apply import apply_changes
from headcount.repository.changelist import change_data
from headcount.repository.database import begin_write
from headcount.repository.locks import RunLock
from headcount.repository.naming import Naming
from headcount.repository.references import record_pending, split_link_counters, store_pending
from headcount.repository.schema import (
    changes,
    connector_state,
    provisioning_orders,
    workflow_instances,
)
from headcount.repository.schema import runs as runs_table
from headcount.sync.changes import LINK_SCHEMA, RESOURCE_SCHEMA, ChangeSet


def staged_changes(conn: sa.Connection, run_id: int) -> ChangeSet:
    rows = conn.execute(sa.select(
        changes.c.kind, changes.c.entity_type, changes.c.resource_key, changes.c.navigation,
        changes.c.target_key, change_data().label("data"), changes.c.after, changes.c.hash,
        changes.c.connection, changes.c.line,
    ).where(changes.c.run_id == run_id).order_by(changes.c.id)).all()
    res, lnk = [], []
    for kind, et, key, nav, tkey, data, after, h, cid, line in rows:
        if kind.startswith("link_"):
            lnk.append({"kind": kind, "entity_type": et, "key": key, "navigation": nav,
                        "target_type": json.loads(data)["target_type"], "target_key": tkey,
                        "connection": cid, "line": line})
        else:
            if kind == "insert" and after:
                lnk += [{"kind": "link_insert", "entity_type": et, "key": key,
                         "navigation": link["navigation"], "target_type": link["target_type"],
                         "target_key": link["target_key"], "connection": cid,
                         "line": link["line"]} for link in json.loads(after)["links"]]
                after = None
            res.append({"kind": kind, "entity_type": et, "key": key, "data": data,
                        "after": after, "hash": h, "connection": cid, "line": line})
    return ChangeSet(pl.DataFrame(res, schema=RESOURCE_SCHEMA),
                     pl.DataFrame(lnk, schema=LINK_SCHEMA))


def _blocked_run(conn: sa.Connection, run_id: int) -> runs.RunRecord:
    run = runs.get_run(conn, run_id)
    if run.state != runs.BLOCKED:
        raise RunRefused(f"run {run_id} is {run.state}, not blocked: only a blocked run can be "
                         "resumed or cancelled")
    return run


@contextmanager
def _connector_lock(ctx: ProjectContext, run_id: int) -> Iterator[None]:
    """Resume and cancel hold the connector's RunLock, like a run."""
    with ctx.engine.connect() as conn:
        connector = _blocked_run(conn, run_id).connector
    lock = RunLock(ctx.engine, connector)
    if not lock.try_acquire():
        with ctx.engine.connect() as conn:
            raise runs.refuse_running(conn, connector)
    with lock:
        yield


class PreviewChanged(RunRefused):
    """The orders a resume would give are not the ones its preview showed: nothing was applied,
    and the preview now shows the new ones, to be confirmed again."""


def previewed_total(run: runs.RunRecord) -> int:
    """How many provisioning orders the preview of a blocked run holds."""
    return sum(sum(kinds.values()) for kinds in (run.counters.get("orders") or {}).values())


def resume(ctx: ProjectContext, run_id: int, reason: str, actor: str = "cli",
           expected_orders: int | None = None, now: datetime | None = None,
           expected_preview: str | None = None) -> runs.RunRecord:
    """Apply the staged changes of a blocked run and fulfill their orders — exactly those its
    preview showed, which `expected_orders` confirms (SPEC §15.9). If the repository moved
    since and the orders differ, nothing is applied and the preview is recomputed."""
    if not reason.strip():
        raise RunRefused("a resume needs a reason; it is recorded in the audit log")
    with _connector_lock(ctx, run_id):
        with ctx.engine.connect() as conn:
            run = _blocked_run(conn, run_id)
        total = previewed_total(run)
        if expected_preview is not None and expected_preview != run.counters.get("preview"):
            raise PreviewChanged(f"run {run_id}: its preview changed since it was shown (the "
                                 "repository moved): look at it again, then confirm it")
        if expected_orders != total and (total or expected_orders is not None):
            confirmed = "" if expected_orders is None else f"{expected_orders:,} confirmed, but "
            raise RunRefused(f"run {run_id}: {confirmed}resuming gives {total:,} provisioning "
                             f"orders ({_shown(run.counters.get('orders') or {})}): confirm "
                             f"them (--expect-orders {total})")
        try:
            with collector.paused():
                return _resume(ctx, run, reason, actor, now)
        except PreviewChanged:
            _refresh_preview(ctx, run, now)
            raise


def _resume(ctx: ProjectContext, run: runs.RunRecord, reason: str, actor: str,
            now: datetime | None) -> runs.RunRecord:
    run_id = run.id
    started = time.perf_counter()
    with begin_write(ctx.engine) as conn:
        run = _blocked_run(conn, run_id)
        blocked_at = run.finished_at
        if blocked_at is not None and blocked_at.tzinfo is None:
            blocked_at = blocked_at.replace(tzinfo=UTC)  # stored in UTC; SQLite keeps no offset
        waited = (runs.now() - blocked_at).total_seconds() if blocked_at else 0.0
        version = runs.lock_connector(conn, run.connector)
        if version != run.base_version:
            raise RunRefused(f"the repository of {run.connector} changed since run {run_id} was "
                             "staged: its changes no longer apply; run a complete "
                             "synchronization instead")
        staged = staged_changes(conn, run_id)
        _, project = deployments.require_latest(conn)
        apply_changes(conn, staged, run_id, Naming(project))
        pushed.mark_applied(conn, run_id, run.files)  # the pushed records it read
        conn.execute(sa.update(connector_state).where(connector_state.c.connector == run.connector)
                     .values(version=connector_state.c.version + 1, blocked_run_id=None))
        connector = project.connector(run.connector)
        types = [et.identifier for et in connector.entity_types] if connector else []
        snapshots.refresh(conn, types, staged, version, version + 1, {}, initial=False)
        applied = time.perf_counter()
        # The preview's orders make way for the real ones, which must be the same.
        conn.execute(sa.delete(provisioning_orders).where(provisioning_orders.c.run_id == run_id))
        # As the blocked run would have: an incremental one evaluates the sources it changed.
        only = staged.touched() if run.mode == "incremental" else None
        # The preview's planned workflows make way for the real ones too.
        conn.execute(sa.delete(workflow_instances).where(
            workflow_instances.c.started_by_run == run_id,
            workflow_instances.c.state == PLANNED))
        outcome = run_policy(conn, project, connector, run_id, now, only=only,
                             workflows=run.mode != "initial") \
            if connector else None
        orders = outcome.orders if outcome else []
        counts = order_counts(orders)
        digest = order_digest(orders)
        # The orders themselves, not only their counts: a reload or a moved Directory may give
        # as many orders with other values. (Runs blocked before previews had digests compare
        # their counts.)
        if counts != (run.counters.get("orders") or {}) or \
                digest != run.counters.get("preview", digest):
            raise PreviewChanged(
                f"run {run_id}: the repository moved since its preview — resuming now gives "
                f"{len(orders):,} provisioning orders ({_shown(counts)}), not the "
                f"{previewed_total(run):,} previewed; nothing was applied, and the preview "
                f"shows them now: look again, then confirm them (--expect-orders {len(orders)})")
        if run.mode != "incremental":
            # An upload's tables are no HR file: the file-shape guards never compare with them.
            for f in run.files:
                if "upload" not in f:
                    remember_file(conn, run.connector, run_id, f)
        counters = dict(run.counters, orders=counts, preview=digest)
        if outcome is not None and outcome.routing.workflows:
            counters["workflows"] = outcome.routing.counts()
            counters["workflow_digest"] = outcome.routing.digest()
        if connector:
            split_link_counters(counters, record_pending(conn, run_id, connector, staged.links))
        # The run's duration counts its work, not the time it waited for a person.
        timings = dict(run.timings, waited=round(waited, 3),
                       resume=round(applied - started, 3),
                       policy=round(time.perf_counter() - applied, 3))
        # As the run would have: the accounts' owners follow the accounts and identities.
        owners.refresh(conn, project, owners.systems_after_run(project, run.connector), run_id)
        runs.add_log(conn, run_id, "warning", f"resumed by {actor}: {reason}")
        runs.audit(conn, actor, "resume", f"run {run_id}", reason)
        runs.finish_run(conn, run_id, runs.WARNINGS, f"resumed by {actor}: {reason}",
                        counters=counters, timings=timings)
        return runs.get_run(conn, run_id)


def _refresh_preview(ctx: ProjectContext, run: runs.RunRecord, now: datetime | None) -> None:
    """Show again what resuming gives, on the repository as it is now."""
    _, project = ctx.deployed()
    connector = project.connector(run.connector)
    if connector is None:
        return
    with ctx.engine.connect() as conn:
        staged = staged_changes(conn, run.id)
    seen = preview_run(ctx, project, connector, staged, run.id, run.mode, now)
    orders = seen.orders
    with begin_write(ctx.engine) as conn:
        conn.execute(sa.delete(provisioning_orders).where(provisioning_orders.c.run_id == run.id))
        conn.execute(sa.delete(workflow_instances).where(
            workflow_instances.c.started_by_run == run.id,
            workflow_instances.c.state == PLANNED))
        record_orders(conn, orders, run.id)
        start_all(conn, project, seen.routing.workflows, run.id, f"run {run.id}",
                  now or datetime.now(UTC), state=PLANNED)
        counts = order_counts(orders)
        counters = dict(run.counters, orders=counts, preview=order_digest(orders))
        split_link_counters(counters, store_pending(conn, run.id, seen.pending))
        conn.execute(sa.update(runs_table).where(runs_table.c.id == run.id).values(
            counters=json.dumps(counters, ensure_ascii=False)))
        log_orders(lambda level, text: runs.add_log(conn, run.id, level, text), orders,
                   "preview recomputed: resuming gives ")


def _shown(counts: dict[str, dict[str, int]]) -> str:
    return "; ".join(f"{rt}: " + ", ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items()))
                     for rt, kinds in sorted(counts.items())) or "none"


def cancel(ctx: ProjectContext, run_id: int, reason: str | None, actor: str = "cli"
           ) -> runs.RunRecord:
    with _connector_lock(ctx, run_id), begin_write(ctx.engine) as conn:
        run = _blocked_run(conn, run_id)
        runs.lock_connector(conn, run.connector)
        conn.execute(sa.update(connector_state).where(connector_state.c.connector == run.connector)
                     .values(blocked_run_id=None))
        message = f"cancelled by {actor}" + (f": {reason}" if reason else "")
        runs.add_log(conn, run_id, "info", message)
        runs.audit(conn, actor, "cancel", f"run {run_id}", reason)
        runs.finish_run(conn, run_id, runs.CANCELLED, message)
        return runs.get_run(conn, run_id)
