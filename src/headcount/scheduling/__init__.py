"""Jobs that run themselves (SPEC §11, issue 13): configured jobs fired by their cron schedules,
launches, agents' deliveries and pushed records, all queued as **job runs** and carried out by
workers — one run per connector at a time.

The one interface the other stages use is `submit()`: record a job run and queue it. The web
UI's Launch, the agent API (a delivery to apply) and the pushed-records API (records to apply)
all go through it."""

from __future__ import annotations

from headcount.scheduling.request import (
    AGENT,
    CATCH_UP,
    EVALUATE,
    LAUNCH,
    PUSH,
    RETRY,
    SCHEDULE,
    SYNCHRONIZE,
    TASKS,
    TRIGGERS,
    JobRequest,
)
from headcount.scheduling.submission import submit

__all__ = ["AGENT", "CATCH_UP", "EVALUATE", "LAUNCH", "PUSH", "RETRY", "SCHEDULE",
           "SYNCHRONIZE", "TASKS", "TRIGGERS", "JobRequest", "submit"]
