"""`headcount`: the command line of the HR connector (SPEC §12)."""

from __future__ import annotations

from headcount.cli import (
    account_commands,
    agent_commands,
    campaign_commands,
    case_commands,
    job_commands,
    notify_commands,
    project_commands,
    reconciliation_commands,
    resource_commands,
    run_commands,
    search_commands,
    server_commands,
    task_commands,
    token_commands,
    upload_commands,
    user_commands,
)
from headcount.cli.root import app

__all__ = ["app", "main"]
_COMMANDS = (project_commands, resource_commands, run_commands, server_commands, case_commands,
             reconciliation_commands, task_commands, account_commands,
             campaign_commands, upload_commands, user_commands,
             search_commands, token_commands, notify_commands, job_commands,
             agent_commands)


def main() -> None:
    app()
