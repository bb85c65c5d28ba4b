"""What agents deliver: the files of a connector, exported and prepared next to the HR files,
uploaded in checksummed, resumable chunks and kept until a run applies them.

STUB (issue 13 groundwork): the agents part of the issue fills the bodies, never the
signatures — the scheduler calls both."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.jobs.sources import GivenSource
from headcount.project import ProjectContext


def given_source(ctx: ProjectContext, delivery_id: int) -> GivenSource:
    """The delivered tables of `delivery_id`, for a run to read instead of the connector's own
    files; the job result's files name the agent and the delivery."""
    raise NotImplementedError("agents: deliveries")


def request_work(conn: sa.Connection, connector: str, mode: str | None,
                 job_run_id: int) -> int:
    """Post work for the agents serving `connector` (an export in `mode`) on behalf of a job
    run; the first agent to lease it delivers, and the delivery is queued as its own job run
    (trigger `agent`). Returns the work item's id."""
    raise NotImplementedError("agents: work")
