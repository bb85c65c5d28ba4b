"""What a caller asks of the queue: a `JobRequest`, and the names of tasks and triggers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The tasks a job chains (SPEC §11): synchronize runs export → prepare → synchronize → policy →
# orders → fulfill for its connector (jobs/synchronization.py); evaluate is the date evaluation
# of the resource types the connector feeds (jobs/evaluation.py).
SYNCHRONIZE = "synchronize"
EVALUATE = "evaluate"
TASKS = (SYNCHRONIZE, EVALUATE)

# Why a job run exists.
SCHEDULE = "schedule"      # its job's cron schedule fired (or the job it follows succeeded)
CATCH_UP = "catch-up"      # a fire missed while no worker ran, run once at start
LAUNCH = "launch"          # a person: the UI's Launch, `headcount launch`
AGENT = "agent"            # a remote agent delivered the connector's files
PUSH = "push"              # records pushed over HTTPS wait to be applied
RETRY = "retry"            # an earlier attempt failed or was interrupted
TRIGGERS = (SCHEDULE, CATCH_UP, LAUNCH, AGENT, PUSH, RETRY)


@dataclass(frozen=True)
class JobRequest:
    connector: str
    tasks: tuple[str, ...] = (SYNCHRONIZE,)
    # synchronize's mode (initial, complete, incremental); None: the engine chooses.
    mode: str | None = None
    # The configured job it runs (config `jobs:`); None: a one-off (a launch, a delivery…).
    job: str | None = None
    trigger: str = LAUNCH
    actor: str = "cli"
    # The cron tick it fires for: (job, connector, scheduled_for) is queued at most once.
    scheduled_for: datetime | None = None
    # An agent's delivery (agents/deliveries.py) whose files the run reads instead of
    # exporting the connector's own.
    delivery: int | None = None
    # Join a queued job run of the same connector and trigger that has not started yet instead
    # of queuing another (pushed records: one run applies every request waiting).
    coalesce: bool = False
    force: bool = False
    reason: str | None = None
    # The job run this one answers (a delivery answers the job run that asked an agent for
    # work; a retry, the attempt before it).
    parent: int | None = None
    # Not before this instant (a retry's delay).
    not_before: datetime | None = None
