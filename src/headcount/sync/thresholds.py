"""Thresholds (SPEC §4.4): brakes on the number or share of inserted, updated and deleted
resources and links. Any crossed threshold blocks the run; nothing is applied."""

from __future__ import annotations

from dataclasses import dataclass

from headcount.config.model import Connector, Thresholds
from headcount.sync.changes import ChangeSet

_MEASURES = [
    # (counter, count setting, percent setting)
    ("inserted", "max_inserted", "max_inserted_pct"),
    ("updated", "max_updated", "max_updated_pct"),
    ("deleted", "max_deleted", "max_deleted_pct"),
    ("links_inserted", "max_links_inserted", "max_links_inserted_pct"),
    ("links_deleted", "max_links_deleted", "max_links_deleted_pct"),
]


@dataclass(frozen=True)
class Crossing:
    scope: str
    setting: str
    value: float
    limit: float

    def __str__(self) -> str:
        unit = " %" if self.setting.endswith("_pct") else ""
        shown = f"{self.value:.1f}" if unit else f"{int(self.value):,}"
        return f"{self.scope}: {self.setting} = {self.limit:g}{unit} exceeded ({shown}{unit})"


def check_thresholds(connector: Connector, changes: ChangeSet, stored: dict[str, int],
                     stored_links: dict[str, int]) -> list[Crossing]:
    """`stored` and `stored_links` count what the repository holds per entity type."""
    crossings = _check(f"connector {connector.identifier}", connector.effective_thresholds(),
                       changes.totals(), sum(stored.values()), sum(stored_links.values()))
    per_type = changes.counts()
    for mapping in connector.mappings:
        if mapping.thresholds is None:
            continue
        et = connector.entity_type(mapping.entity_type).identifier
        crossings += _check(f"entity type {et}", mapping.thresholds, per_type.get(et, {}),
                            stored.get(et, 0), stored_links.get(et, 0))
    return crossings


def _check(scope: str, limits: Thresholds, counts: dict[str, int], stored: int,
           stored_links: int) -> list[Crossing]:
    out: list[Crossing] = []
    for counter, count_name, pct_name in _MEASURES:
        n = counts.get(counter, 0)
        if n == 0:
            continue
        count_limit = getattr(limits, count_name)
        if count_limit is not None and n > count_limit:
            out.append(Crossing(scope, count_name, n, count_limit))
        pct_limit = getattr(limits, pct_name)
        base = stored_links if counter.startswith("links") else stored
        if pct_limit is not None and base > 0 and 100.0 * n / base > pct_limit:
            out.append(Crossing(scope, pct_name, 100.0 * n / base, pct_limit))
    return out
