"""Pushed HR records (SPEC §3.3, docs/push.md): SCIM bulk requests in the format of Microsoft
Entra's API-driven inbound provisioning and JSON lines, validated synchronously against the
connection and its entity type, flattened to the connection's columns and stored to wait for
the connector's next run."""

from headcount.pushed.bulk import read_bulk
from headcount.pushed.errors import PushRefused
from headcount.pushed.lines import read_lines
from headcount.pushed.target import PushTarget, PushTargets, push_target

__all__ = ["PushRefused", "PushTarget", "PushTargets", "push_target", "read_bulk", "read_lines"]
