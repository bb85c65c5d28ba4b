"""Cross-references of `notifications.job_events`: the connectors and webhooks a rule names exist,
and each rule tells someone — each problem located, with a "did you mean"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from headcount.config.yamlsource import PathKey

if TYPE_CHECKING:
    from headcount.config.model import Project

Problem = tuple[PathKey, str]


def check_job_events(project: Project) -> Iterator[Problem]:
    from headcount.config.validation import suggest

    connectors = [c.identifier for c in project.connectors]
    known = {c.lower() for c in connectors}
    hooks = [h.url for h in project.notifications.webhooks]
    for i, rule in enumerate(project.notifications.job_events):
        base: PathKey = ("notifications", "job_events", i)
        for ci, name in enumerate(rule.connectors):
            if name.lower() not in known:
                yield ((*base, "connectors", ci),
                       f"unknown connector `{name}`{suggest(name, connectors)}")
        for wi, url in enumerate(rule.webhooks):
            if url not in hooks:
                yield ((*base, "webhooks", wi),
                       f"no webhook `{url}` in `notifications.webhooks`{suggest(url, hooks)}")
        if not (rule.roles or rule.users or rule.emails or rule.webhooks):
            yield base, "tells nobody: give `roles`, `users`, `emails` or `webhooks`"
