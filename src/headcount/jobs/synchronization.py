"""The synchronization job of a connector (SPEC §4): export every file, prepare, diff, guard
(file shape, thresholds) and apply — all or nothing — recording the job result as it goes."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from headcount import collector
from headcount.accounts import owners
from headcount.campaigns import consistency
from headcount.config.directory import AdCsvConnection
from headcount.config.model import Connection, Connector, Project
from headcount.errors import NotFound, RunRefused, user_error
from headcount.fulfillment.direct import record_orders
from headcount.fulfillment.workflows import PLANNED, Routing, route, start_all
from headcount.jobs.events import announce_run
from headcount.jobs.progress import Progress, Silent
from headcount.jobs.sources import (
    GivenSource,
    columns_read_from,
    export_files,
    given_files,
    high_water_marks,
    navigation_targets,
    prepare_files,
)
from headcount.jobs.work import RunWork
from headcount.policy import due as due_index
from headcount.policy.job import (
    ProvisioningThreshold,
    complete_scope,
    order_counts,
    order_digest,
    plan_policy,
    provisioning_crossings,
    resource_types_fed_by,
    run_policy,
)
from headcount.policy.orders import Order
from headcount.project import ProjectContext
from headcount.repository import accepted as snapshots
from headcount.repository import pushed, runs
from headcount.repository.apply import apply_and_record, apply_changes, record_changes
from headcount.repository.bulk import insert_rows
from headcount.repository.database import begin_write
from headcount.repository.locks import RunLock
from headcount.repository.naming import Naming
from headcount.repository.provenance import APPLIED
from headcount.repository.references import (
    describe,
    find_pending,
    record_pending,
    split_link_counters,
    store_pending,
)
from headcount.repository.schema import accepted_files, connector_state, links, resources
from headcount.repository.schema import runs as runs_table
from headcount.repository.snapshot import SqlSnapshot
from headcount.sync.changes import ChangeSet
from headcount.sync.diff import diff_association, diff_entities
from headcount.sync.guards import AcceptedFile, check_shape
from headcount.sync.thresholds import check_thresholds
from headcount.sync.wholeness import Evidence, FileNotReadWhole

MODES = ("initial", "complete", "incremental")
# A fault-injection point for the crash-safety test: the process stops here, mid-apply.
PAUSE_ENV = "HEADCOUNT_TEST_PAUSE_IN_APPLY"


@dataclass
class SyncRequest:
    connector: str
    mode: str | None = None
    dry_run: bool = False
    force: bool = False
    reason: str | None = None
    actor: str = "cli"
    # The instant the policy evaluates dates at (tests and replays); None: the clock.
    now: datetime | None = None
    # Tables read elsewhere (an uploaded workbook) with the model of the connector that maps
    # them, read instead of the connector's own files.
    source: GivenSource | None = None


def synchronize(ctx: ProjectContext, request: SyncRequest, progress: Progress | None = None
                ) -> runs.RunRecord:
    deployment_id, project = ctx.deployed()
    connector = project.connector(request.connector)
    if connector is not None and request.source is not None:
        if request.source.connector.identifier != connector.identifier:
            raise RunRefused(f"the tables given are mapped by connector "
                             f"{request.source.connector.identifier}, not {connector.identifier}")
        connector = request.source.connector
    if connector is None:
        names = ", ".join(c.identifier for c in project.connectors)
        raise NotFound(f"no connector `{request.connector}` (deployed: {names})")
    if request.force and not request.reason:
        raise RunRefused("--force needs a --reason, recorded in the job result and audit log")
    if request.mode is not None and request.mode not in MODES:
        raise RunRefused(f"unknown mode `{request.mode}`: one of {', '.join(MODES)}")
    try:
        with begin_write(ctx.engine) as conn:
            runs.ensure_connector(conn, connector.identifier)
    except sa.exc.IntegrityError:
        pass  # another process recorded the connector at the same moment
    lock = RunLock(ctx.engine, connector.identifier)
    if not lock.try_acquire():
        with ctx.engine.connect() as conn:
            raise runs.refuse_running(conn, connector.identifier)
    # The run's objects are freed when _locked returns, before the collector resumes.
    with lock, collector.paused():
        record = _locked(ctx, project, deployment_id, connector, request, progress or Silent())
    if not request.dry_run and record.state in APPLIED:
        # HR consistency campaigns are live: what this run made moot closes itself.
        consistency.refresh(ctx.engine, project, request.now or datetime.now(UTC))
    # After the run's own commit: whatever the relay or a webhook does, the run stays as it is.
    announce_run(ctx, project, record.id)
    return record


def _locked(ctx: ProjectContext, project: Project, deployment_id: int, connector: Connector,
            request: SyncRequest, progress: Progress) -> runs.RunRecord:
    """The run itself, while this process holds the connector's RunLock."""
    types = [et.identifier for et in connector.entity_types]
    with begin_write(ctx.engine) as conn:
        # Whether it holds any, not how many: a count reads the whole population each run.
        holds = _holds(conn, types)
        blocked = conn.execute(sa.select(connector_state.c.blocked_run_id).where(
            connector_state.c.connector == connector.identifier)).scalar()
        mode = request.mode or ("complete" if holds else "initial")
        if mode == "initial" and holds:
            raise RunRefused(f"initial mode loads an empty connector; {connector.identifier} "
                             f"holds {_count(conn, types):,} resources: run a complete "
                             "synchronization")
        run_id, interrupted = runs.start_run(conn, connector.identifier, mode, request.mode,
                                             request.dry_run, request.force, request.reason,
                                             deployment_id)
        skipped = mode == "incremental" and blocked
        if skipped:
            msg = (f"skipped: run {blocked} of {connector.identifier} is blocked; resume or "
                   "cancel it, or run a complete synchronization")
            runs.add_log(conn, run_id, "warning", msg)
            runs.finish_run(conn, run_id, runs.CANCELLED, msg)
    progress.run_started(run_id)
    if skipped:
        with ctx.engine.connect() as conn:
            return runs.get_run(conn, run_id)
    work = RunWork(run_id, connector, mode)
    for old in interrupted:
        work.log("warning", f"run {old} had been interrupted; it was marked so")
    if request.mode is None:
        work.log("info", f"no mode given: {mode} run"
                 + (" (the connector holds no data yet)" if mode == "initial" else ""))
    if request.force:
        work.log("warning", f"thresholds and file-shape guards overridden by {request.actor}: "
                 f"{request.reason}")
    try:
        return _run(ctx, project, work, request, progress, blocked)
    except BaseException as exc:
        error = user_error(exc)
        message = str(error) if error else f"{type(exc).__name__}: {exc}"
        with begin_write(ctx.engine) as conn:
            runs.add_logs(conn, run_id, [*work.logs, ("error", message)])
            runs.finish_run(conn, run_id, runs.FAILED, message, timings=work.timings,
                         files=work.files, counters=work.counters)
        if error is None:
            announce_run(ctx, project, run_id)  # the failure is recorded: tell of it, then raise
            raise
        with ctx.engine.connect() as conn:
            return runs.get_run(conn, run_id)


def _holds(conn: sa.Connection, types: list[str]) -> bool:
    return bool(types) and conn.execute(sa.select(resources.c.id).where(
        resources.c.entity_type.in_(types)).limit(1)).first() is not None


def _count(conn: sa.Connection, types: list[str]) -> int:
    if not types:
        return 0
    return int(conn.execute(sa.select(sa.func.count()).select_from(resources)
                            .where(resources.c.entity_type.in_(types))).scalar_one())


def _per_type(conn: sa.Connection, connector: Connector, whole: Mapping[str, pl.DataFrame],
              links_changed: bool) -> tuple[dict[str, int], dict[str, int]]:
    """What the repository holds per entity type, for the thresholds' percentages: resources,
    and links (counted by navigation, whose name starts with its source entity type — no
    join). A type whose whole snapshot the diff read counts its rows (the same version), and
    links are counted only when some change: each count reads a million rows."""
    types = [et.identifier for et in connector.entity_types]
    res = {et: whole[et].height for et in types if et in whole and whole[et].height}
    unread = [et for et in types if et not in whole]
    if unread:
        res.update((str(et), int(n)) for et, n in conn.execute(
            sa.select(resources.c.entity_type, sa.func.count())
            .where(resources.c.entity_type.in_(unread)).group_by(resources.c.entity_type)))
    if not links_changed:
        return res, {}
    navs = [f"{et.identifier}.{p.identifier}" for et in connector.entity_types
            for p in et.properties if p.is_navigation]
    lnk: dict[str, int] = {}
    for nav, n in conn.execute(sa.select(links.c.navigation, sa.func.count())
                               .where(links.c.navigation.in_(navs))
                               .group_by(links.c.navigation)).all():
        source = nav.partition(".")[0]
        lnk[source] = lnk.get(source, 0) + int(n)
    return res, lnk


def _run(ctx: ProjectContext, project: Project, work: RunWork, request: SyncRequest,
         progress: Progress, blocked: int | None) -> runs.RunRecord:
    connector, mode = work.connector, work.mode
    incremental = mode == "incremental"
    with ctx.engine.connect() as conn:
        marks = high_water_marks(conn, connector.identifier)
    with work.timed("export", progress):
        tables = export_files(ctx.directory, connector, incremental, work, marks, ctx.engine) \
            if request.source is None else given_files(request.source, work)
    with work.timed("prepare", progress):
        entities, associations = prepare_files(connector, tables, incremental, work)
    blocking: list[str] = []
    evidence = Evidence()
    if mode == "complete":
        for cid, table in tables.items():
            connection = connector.connection(cid)
            if isinstance(connection, Connection):
                evidence.add(table, connection.separator, connection.quote,
                             connection.values_to_trim)
            elif isinstance(connection, AdCsvConnection):  # a CSV file too, in its dialect
                evidence.add(table, ",", '"', [])
        unread = [(p.connection, p.unkeyed_lines) for p in entities]
        unread += [(a.connection, a.unkeyed_lines) for a in associations]
        for cid, lines in unread:
            evidence.unkeyed(tables[cid].file.name, lines)
        if evidence.problems:
            raise FileNotReadWhole(evidence.problems)
        with ctx.engine.connect() as conn:
            previous = _accepted(conn, connector.identifier)
        limits = connector.effective_thresholds()
        # Given tables have no file of their own to compare with the last one accepted (an
        # upload's columns legitimately differ from one file to the next): thresholds only.
        shaped = tables if request.source is None or request.source.own_files else {}
        for cid, table in shaped.items():
            mapped = columns_read_from(connector, cid)
            report = check_shape(table, previous.get(cid), limits, mapped)
            blocking += report.blocking
            for w in report.warnings:
                work.log("warning", w)
    # The files are prepared: their tables (the largest thing held) are no longer needed.
    own = request.source is None or request.source.own_files
    accepted_files_of_run = set(tables) if mode != "incremental" and own else set()
    del tables
    target_types = navigation_targets(project)
    with work.timed("diff", progress), ctx.engine.connect() as conn:
        changes = ChangeSet()
        version = _version(conn, connector.identifier)
        snapshot = SqlSnapshot(conn, version)
        while entities:
            # Each prepared table is dropped once diffed: the change set holds what is needed.
            prep = entities.pop(0)
            found, warnings = diff_entities(prep, snapshot, mode, target_types)
            changes.extend(found)
            del prep, found
            for w in warnings:
                work.log("warning", w)
        if mode != "incremental":
            for assoc in associations:
                found, aside = diff_association(assoc, snapshot,
                                                target_types[assoc.navigation], changes)
                changes.extend(found)
                work.set_aside += aside
                for row in aside:
                    work.log("warning", f"set aside ({row.category}) {row.connection} line "
                             f"{row.line}: {row.reason}")
        stored, stored_links = _per_type(conn, connector, snapshot.whole,
                                         changes.links.height > 0)
        conn.rollback()
    swallowed = evidence.swallowed(changes)
    if swallowed:
        raise FileNotReadWhole(swallowed)
    with work.timed("thresholds", progress):
        crossings = [] if mode == "initial" else check_thresholds(
            connector, changes, stored, stored_links)
        blocking += [str(c) for c in crossings]
    work.count(changes)

    if request.dry_run:
        with begin_write(ctx.engine) as conn:
            _stage(conn, work, changes)
        seen = preview_run(ctx, project, connector, changes, work.run_id, mode, request.now,
                           plan=bool(resource_types_fed_by(project, connector)) and not blocking)
        orders = seen.orders
        if mode != "initial":
            blocking += [f"provisioning threshold: {c}" for c in seen.crossed]
        with begin_write(ctx.engine) as conn:
            split_link_counters(work.counters, store_pending(conn, work.run_id, seen.pending))
            record_orders(conn, orders, work.run_id)
            if orders:
                work.counters["orders"] = order_counts(orders)
            keep_planned(conn, project, work, seen.routing, request.now, "dry run: would ")
            for b in blocking:
                work.log("warning", f"would block: {b}")
            work.log("info", "dry run: nothing applied")
            return _finish(conn, work, runs.SUCCEEDED, "dry run: nothing applied")
    if blocking and not request.force:
        kind = "threshold exceeded" if crossings else "file-shape guard"
        return _block(ctx, project, work, request, changes, blocked, blocking, kind)
    for b in blocking:
        work.log("warning", f"forced past: {b}")
    if request.force:
        with begin_write(ctx.engine) as conn:
            runs.audit(conn, request.actor, "force", f"run {work.run_id}", request.reason)
    try:
        return _apply(ctx, project, work, request, progress, blocked, changes,
                      accepted_files_of_run, version, snapshot.whole)
    except ProvisioningThreshold as crossed:
        # Rolled back: the HR changes are staged, as for any blocked run; a resume applies
        # them and fulfills the orders (a person approved them).
        return _block(ctx, project, work, request, changes, blocked,
                      [f"provisioning threshold: {c}" for c in crossed.crossings],
                      "provisioning threshold")


def _block(ctx: ProjectContext, project: Project, work: RunWork, request: SyncRequest,
           changes: ChangeSet, blocked: int | None, reasons: list[str], kind: str
           ) -> runs.RunRecord:
    """Stage the run's changes, the references they leave pending and the orders they would
    give (the preview a person confirms when resuming), and block the connector until a person
    resumes or cancels."""
    with begin_write(ctx.engine) as conn:
        _stage(conn, work, changes)
    with work.timed("preview", Silent()):
        seen = preview_run(ctx, project, work.connector, changes, work.run_id, work.mode,
                           request.now, plan=bool(resource_types_fed_by(project, work.connector)))
    orders = seen.orders
    with begin_write(ctx.engine) as conn:
        split_link_counters(work.counters, store_pending(conn, work.run_id, seen.pending))
        record_orders(conn, orders, work.run_id)
        work.counters["orders"] = order_counts(orders)
        work.counters["preview"] = order_digest(orders)
        log_orders(work.log, orders, "preview: resuming gives ")
        keep_planned(conn, project, work, seen.routing, request.now, "preview: resuming would ")
        for reason in reasons:
            work.log("error", f"blocked: {reason}")
        if blocked and work.mode == "complete":
            _replace_blocked(conn, blocked, work)
        conn.execute(sa.update(connector_state)
                     .where(connector_state.c.connector == work.connector.identifier)
                     .values(blocked_run_id=work.run_id))
        return _finish(conn, work, runs.BLOCKED, f"blocked ({kind}): " + "; ".join(
            r.removeprefix("provisioning threshold: ") for r in reasons))


def _apply(ctx: ProjectContext, project: Project, work: RunWork, request: SyncRequest,
           progress: Progress, blocked: int | None, changes: ChangeSet, accepted: set[str],
           version: int, whole: Any) -> runs.RunRecord:
    connector, mode = work.connector, work.mode
    with begin_write(ctx.engine) as conn:
        with work.timed("apply", progress):
            if runs.lock_connector(conn, connector.identifier) != version:
                raise RunRefused("the repository of the connector changed while the run was "
                                 "computing its changes; nothing was applied: run it again")
            _stage_set_aside(conn, work)
            apply_and_record(conn, changes, work.run_id, Naming(project))
            _pause_for_test()
            _after_apply(conn, work, accepted, changes)
            snapshots.refresh(conn, [et.identifier for et in connector.entity_types], changes,
                              version, version + 1, whole, initial=mode == "initial")
        if resource_types_fed_by(project, connector):
            # In the same transaction: the Directory follows HR in one all-or-nothing step.
            with work.timed("policy", progress):
                only, due = _policy_scope(conn, project, connector, changes, mode,
                                          request.now)
                # The first load builds the repository at once: a workflow per person of the
                # whole company helps nobody (docs/workflows.md).
                outcome = run_policy(conn, project, connector, work.run_id, request.now,
                                     only, guard=not request.force and mode != "initial",
                                     workflows=mode != "initial", due=due)
                if due is not None:
                    due_index.evaluated(conn, connector, request.now or datetime.now(UTC))
            work.counters["orders"] = order_counts(outcome.orders)
            log_orders(work.log, outcome.orders)
            log_workflows(work, outcome.routing)
        systems = owners.systems_after_run(project, connector.identifier)
        if systems:
            # The owners follow the accounts and the identities in the same transaction:
            # an orphan listed is an orphan now.
            with work.timed("owners", progress):
                owners.refresh(conn, project, systems, work.run_id)
        if blocked and mode == "complete":
            _replace_blocked(conn, blocked, work)
        state = runs.WARNINGS if any(lvl in ("warning", "error") for lvl, _ in work.logs) \
            else runs.SUCCEEDED
        return _finish(conn, work, state, None)


def _accepted(conn: sa.Connection, connector: str) -> dict[str, AcceptedFile]:
    rows = conn.execute(sa.select(accepted_files.c.connection, accepted_files.c.rows,
                                  accepted_files.c.header, accepted_files.c.shapes)
                        .where(accepted_files.c.connector == connector)).all()
    return {c: AcceptedFile(int(n), json.loads(h), json.loads(p)) for c, n, h, p in rows}


def _stage(conn: sa.Connection, work: RunWork, changes: ChangeSet) -> None:
    record_changes(conn, changes, work.run_id)
    _stage_set_aside(conn, work)


def _stage_set_aside(conn: sa.Connection, work: RunWork) -> None:
    insert_rows(conn, "set_aside",
                ["run_id", "connection", "line", "key", "category", "reason", "raw"],
                ((work.run_id, r.connection, r.line, r.key, r.category, r.reason,
                  json.dumps(r.raw, ensure_ascii=False)) for r in work.set_aside))


def log_orders(log: Callable[[str, str], None], orders: list[Order], prefix: str = "") -> None:
    for rt, kinds in sorted(order_counts(orders).items()):
        shown = ", ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items()))
        log("info", f"{prefix}policy {rt}: {shown}")


def log_workflows(work: RunWork, routing: Routing, prefix: str = "") -> None:
    """The workflows a run starts (or would) in its job result: counts, and a fingerprint a
    dry run and the run that follows share."""
    if routing.workflows:
        work.counters["workflows"] = routing.counts()
        work.counters["workflow_digest"] = routing.digest()
        shown = ", ".join(f"{n:,} {w}" for w, n in routing.counts().items())
        work.log("info", f"{prefix}start workflows: {shown}")
    held = [h for h in routing.held]
    if held:
        work.counters["workflows_held"] = len(held)
        waiting = sum(1 for h in held if h.state == "running")
        work.log("info", f"{prefix}leave {waiting:,} subjects to the workflows deciding on them"
                 + (f" and {len(held) - waiting:,} changes declined already"
                    if len(held) > waiting else ""))


def keep_planned(conn: sa.Connection, project: Project, work: RunWork, routing: Routing,
                 now: datetime | None, prefix: str) -> None:
    """A dry run, or a blocked run's preview, lists the workflows it would start (kind,
    subject, change set) with the run: instances in state `planned`, never acted on."""
    start_all(conn, project, routing.workflows, work.run_id, f"run {work.run_id}",
              now or datetime.now(UTC), state=PLANNED)
    log_workflows(work, routing, prefix)


def _policy_scope(conn: sa.Connection, project: Project, connector: Connector,
                  changes: ChangeSet, mode: str, now: datetime | None
                  ) -> tuple[Mapping[str, Set[str]] | None, Mapping[str, Set[str]] | None]:
    """The sources a run's policy evaluates (SPEC §6.3): those it changed in an incremental
    run; in a complete run too, with those whose dated transition is due, while that is all a
    full evaluation could change (policy.job.complete_scope); else everyone."""
    if mode == "incremental":
        return changes.touched(), None
    if mode == "complete":
        found = complete_scope(conn, project, connector, changes.touched(),
                               now or datetime.now(UTC))
        if found is not None:
            return found
    return None, None


@dataclass
class Preview:
    """What a run would leave, seen in a transaction rolled back."""

    orders: list[Order]
    # The provisioning thresholds those orders cross.
    crossed: list[str]
    # The references it would leave pending, with why (repository.references).
    pending: pl.DataFrame | None
    # The workflows it would start, and the subjects workflows hold already.
    routing: Routing = field(default_factory=Routing)


def preview_run(ctx: ProjectContext, project: Project, connector: Connector,
                changes: ChangeSet, run_id: int, mode: str, now: datetime | None,
                plan: bool = True) -> Preview:
    """The run's changes applied and, with `plan`, the policy planned, in a transaction that
    is rolled back — so that a dry run and the preview of a blocked run show exactly what the
    real run gives. The run's set-aside rows are staged already (they tell why a reference is
    pending)."""
    with begin_write(ctx.engine) as conn:
        transaction = conn.get_transaction()
        assert transaction is not None
        apply_changes(conn, changes, run_id, Naming(project))
        pending = find_pending(conn, run_id, connector, changes.links)
        orders: list[Order] = []
        crossed: list[str] = []
        routing = Routing()
        if plan:
            instant = now or datetime.now(UTC)
            only, due = _policy_scope(conn, project, connector, changes, mode, instant)
            graph, planned, _, _ = plan_policy(conn, project, connector, instant, only, due)
            routing = route(conn, project, graph, planned, instant) if mode != "initial" \
                else Routing(planned)
            orders = routing.issued()
            crossed = provisioning_crossings(project, graph, orders, routing)
        transaction.rollback()
    return Preview(orders, crossed, pending, routing)


def _version(conn: sa.Connection, connector: str) -> int:
    return int(conn.execute(sa.select(connector_state.c.version)
                            .where(connector_state.c.connector == connector)).scalar_one())


def _after_apply(conn: sa.Connection, work: RunWork, accepted: set[str],
                 changes: ChangeSet) -> None:
    connector = work.connector.identifier
    conn.execute(sa.update(connector_state).where(connector_state.c.connector == connector)
                 .values(version=connector_state.c.version + 1))
    for info in work.files:
        if info["connection"] in accepted:
            remember_file(conn, connector, work.run_id, info)
    pushed.mark_applied(conn, work.run_id, work.files)
    pending = record_pending(conn, work.run_id, work.connector, changes.links)
    split_link_counters(work.counters, pending)
    if pending.total:
        shown = "; ".join(describe(ref) for ref in pending.sample)
        more = f"; … all of them: headcount job {work.run_id} --unresolved" \
            if pending.total > len(pending.sample) else ""
        work.log("warning", f"{pending.total:,} unresolved references kept pending "
                 f"(they resolve when their target appears): {shown}{more}")


def remember_file(conn: sa.Connection, connector: str, run_id: int, info: dict[str, object]
                  ) -> None:
    """The last accepted file of a connection: what the file-shape guards compare with."""
    cid = str(info["connection"])
    conn.execute(sa.delete(accepted_files).where(accepted_files.c.connector == connector,
                                                 accepted_files.c.connection == cid))
    conn.execute(sa.insert(accepted_files).values(
        connector=connector, connection=cid, run_id=run_id, rows=info["rows"],
        header=json.dumps(info.get("header", [])), checksum=info["checksum"],
        shapes=json.dumps(info.get("shapes", {}))))


def _replace_blocked(conn: sa.Connection, blocked: int, work: RunWork) -> None:
    conn.execute(sa.update(runs_table)
                 .where(runs_table.c.id == blocked, runs_table.c.state == runs.BLOCKED)
                 .values(state=runs.CANCELLED, finished_at=runs.now(),
                         message=f"replaced by complete run {work.run_id}"))
    conn.execute(sa.update(connector_state)
                 .where(connector_state.c.connector == work.connector.identifier)
                 .values(blocked_run_id=None))
    work.log("info", f"blocked run {blocked} replaced by this complete run")


def _finish(conn: sa.Connection, work: RunWork, state: str, message: str | None) -> runs.RunRecord:
    runs.add_logs(conn, work.run_id, work.logs)
    runs.finish_run(conn, work.run_id, state, message, counters=work.counters,
                 timings=work.timings, files=work.files)
    return runs.get_run(conn, work.run_id)


def _pause_for_test() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if marker:
        Path(marker).write_text(str(os.getpid()))
        signal.pause()

