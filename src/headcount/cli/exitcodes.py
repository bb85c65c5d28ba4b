"""Exit codes that scripts can trust (documented in docs/cli.md)."""

OK = 0  # succeeded, or succeeded with warnings
FAILED = 1  # the run failed; nothing was applied
CONFIG_INVALID = 2  # the configuration does not validate
BLOCKED = 3  # a threshold or file-shape guard blocked the run; its changes are staged
REFUSED = 4  # the run could not start (another run is running, skipped while blocked, …)
NOT_ALLOWED = 5  # the user may not act on that workflow task
NOT_FOUND = 6  # no such connector, run, entity type or resource
NEEDS_CONFIRMATION = 7  # reload would remove configuration that holds data

STATE_CODES = {
    "succeeded": OK,
    "succeeded with warnings": OK,
    "blocked": BLOCKED,
    "failed": FAILED,
    "interrupted": FAILED,
    "cancelled": REFUSED,
}
