"""What a run gathers as it goes — log lines, timings, files, set-aside rows, counters — before
they are written as its job result."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from headcount.config.model import Connector
from headcount.jobs.progress import Progress
from headcount.sync.changes import ChangeSet
from headcount.sync.prepared import SetAsideRow


@dataclass
class RunWork:
    run_id: int
    connector: Connector
    mode: str
    logs: list[tuple[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    files: list[dict[str, object]] = field(default_factory=list)
    set_aside: list[SetAsideRow] = field(default_factory=list)
    counters: dict[str, object] = field(default_factory=dict)

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))

    @contextmanager
    def timed(self, step: str, progress: Progress) -> Iterator[None]:
        progress.step(step)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] = round(time.perf_counter() - start, 3)

    def count(self, changes: ChangeSet) -> None:
        """The counters of the job result, from the change set and the rows set aside."""
        totals = changes.totals()
        categories: dict[str, int] = {}
        for row in self.set_aside:
            categories[row.category] = categories.get(row.category, 0) + 1
        self.counters.update({
            "read": sum(int(str(f["rows"])) for f in self.files),
            "set_aside": categories,
            "inserted": totals.get("inserted", 0), "updated": totals.get("updated", 0),
            "deleted": totals.get("deleted", 0),
            "links_inserted": totals.get("links_inserted", 0),
            "links_deleted": totals.get("links_deleted", 0),
            "per_entity_type": changes.counts(),
        })
