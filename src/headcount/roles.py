"""The roles people hold and what each may do (SPEC §13): below every stage, for the
configuration (who may act on a workflow's activity) and the repository (users) alike."""

from __future__ import annotations

# What each role may do. `edit`: change a Directory value by hand (SPEC §6.4); `decide`: decide
# correlation cases, unreconciled properties and workflow tasks.
PERMISSIONS: dict[str, frozenset[str]] = {
    "administrator": frozenset({"read", "run", "admin", "edit", "decide", "upload"}),
    "operator": frozenset({"read", "run"}),
    "hr": frozenset({"read", "edit", "decide", "upload"}),
    "reviewer": frozenset({"read", "decide"}),
    "viewer": frozenset({"read"}),
}
ROLES = tuple(PERMISSIONS)
SCOPES = ("read", "run", "admin", "edit", "decide", "upload")
