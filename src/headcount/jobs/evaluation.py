"""The date evaluation of a connector's resource types (SPEC §8): the policy evaluated again at
an instant, without any new HR file — a joiner becomes active on their start date, a leaver
inactive after their end date, a future-dated record takes over, an override expires and a
target kept for its retention is deleted. Run daily (`headcount evaluate HR`), and whenever a
person's decision (a correlation case, a reconciliation) should take effect at once.

A daily evaluation reads only the sources with a transition due since the last one
(headcount.policy.due): nothing due, nothing read."""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import UTC, datetime

import sqlalchemy as sa

from headcount import collector
from headcount.accounts import owners
from headcount.config.model import Connector, Project
from headcount.errors import NotFound, RunRefused, user_error
from headcount.fulfillment.workflows import Routing
from headcount.jobs.events import announce_run
from headcount.jobs.progress import Progress, Silent
from headcount.policy import due
from headcount.policy.job import Outcome, order_counts, resource_types_fed_by, run_policy
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.database import begin_write
from headcount.repository.locks import RunLock

MODE = "evaluation"


def evaluate_policy(ctx: ProjectContext, connector_name: str, *, now: datetime | None = None,
                    actor: str = "cli", progress: Progress | None = None,
                    only: Mapping[str, Set[str]] | None = None) -> runs.RunRecord:
    """Evaluate the resource types fed by the connector at `now` (default: the clock) and
    fulfill their orders, in one transaction, recorded as a run of mode `evaluation`. With
    `only` (entity type → source keys), just those sources: a decision about one person;
    without, the sources due (every source while the index of transitions is incomplete)."""
    progress = progress or Silent()
    deployment_id, project = ctx.deployed()
    connector = project.connector(connector_name)
    if connector is None:
        names = ", ".join(c.identifier for c in project.connectors)
        raise NotFound(f"no connector `{connector_name}` (deployed: {names})")
    if not resource_types_fed_by(project, connector):
        raise RunRefused(f"no resource type reads from {connector.identifier}: nothing to "
                         "evaluate")
    instant = (now or datetime.now(UTC)).astimezone(UTC)
    with begin_write(ctx.engine) as conn:
        runs.ensure_connector(conn, connector.identifier)
    lock = RunLock(ctx.engine, connector.identifier)
    if not lock.try_acquire():
        with ctx.engine.connect() as conn:
            raise runs.refuse_running(conn, connector.identifier)
    with lock, collector.paused():
        with begin_write(ctx.engine) as conn:
            run_id, _ = runs.start_run(conn, connector.identifier, MODE, MODE, False, False,
                                       None, deployment_id)
        progress.run_started(run_id)
        try:
            with begin_write(ctx.engine) as conn:
                progress.step("policy")
                scope, counted = _scope(conn, project, connector, instant, only)
                # What is due changed no value another source reads: no neighbours.
                outcome = run_policy(conn, project, connector, run_id, instant, only,
                                     due=scope if only is None else None) \
                    if scope is None or any(scope.values()) else Outcome([], Routing([]))
                if only is None:
                    due.evaluated(conn, connector, instant)
                # Leavers of the day make owner-left accounts.
                owners.refresh(conn, project, owners.systems_after_run(
                    project, connector.identifier), run_id)
                counts = order_counts(outcome.orders)
                lines = [("info", f"date evaluation at {instant.isoformat()} by {actor}")]
                lines += [("info", f"policy {rt}: " + ", ".join(
                    f"{n:,} {kind}" for kind, n in sorted(kinds.items())))
                    for rt, kinds in sorted(counts.items())]
                counters: dict[str, object] = {"orders": counts}
                if counted is not None:
                    counters["due"] = counted
                    lines.append(("info", _due_line(counted)))
                if outcome.routing.workflows:
                    counters["workflows"] = outcome.routing.counts()
                    lines.append(("info", "start workflows: " + ", ".join(
                        f"{n:,} {w}" for w, n in outcome.routing.counts().items())))
                runs.add_logs(conn, run_id, lines)
                runs.finish_run(conn, run_id, runs.SUCCEEDED, None, counters=counters)
                del outcome  # freed before the collector resumes
        except BaseException as exc:
            error = user_error(exc)
            message = str(error) if error else f"{type(exc).__name__}: {exc}"
            with begin_write(ctx.engine) as conn:
                runs.add_log(conn, run_id, "error", message)
                runs.finish_run(conn, run_id, runs.FAILED, message)
            if error is None:
                announce_run(ctx, project, run_id)  # recorded failed: tell of it, then raise
                raise
    # After the run's own commit: whatever the relay or a webhook does, the run stays as it is.
    announce_run(ctx, project, run_id)
    with ctx.engine.connect() as conn:
        return runs.get_run(conn, run_id)


def _scope(conn: sa.Connection, project: Project, connector: Connector, instant: datetime,
           only: Mapping[str, Set[str]] | None
           ) -> tuple[Mapping[str, Set[str]] | None, dict[str, object] | None]:
    """The sources to evaluate, and what the job result says of them: the `only` asked for; or
    those due (every source once, while the index is incomplete)."""
    if only is not None:
        return only, None
    if not due.complete(conn, project, connector, instant):
        return None, {"sources": "all", "index": "incomplete"}
    scope = due.due_sources(conn, project, connector, instant)
    return scope, {"sources": sum(len(keys) for keys in scope.values()),
                   "by_type": {et: len(keys) for et, keys in sorted(scope.items())}}


def _due_line(counted: Mapping[str, object]) -> str:
    if counted.get("sources") == "all":
        return "due: every source (no complete index of dated transitions yet)"
    by_type = counted.get("by_type")
    parts = ", ".join(f"{n:,} {et}" for et, n in by_type.items()) \
        if isinstance(by_type, dict) and by_type else "nothing"
    return f"due: {parts}"
