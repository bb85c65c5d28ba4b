"""Dated records (SPEC §8): a person's records are keyed `E8`, then `E8-20261215` for the record
a dated move or a rehire opened. Which records are one person's is read from those keys — a
suffix counts only when it is a real day and what it follows is a record too, so that an
employee id such as `K-10000002` is never taken for someone else's record."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime

from headcount.policy.graph import Node
from headcount.policy.validity import as_date

_SUFFIX = re.compile(r"-(\d{8})(?:-\d+)?$")


class RecordIndex:
    def __init__(self, targets: Mapping[str, Node]) -> None:
        self.targets = targets
        self.by_base: dict[str, list[str]] = {}
        for key in targets:
            self.by_base.setdefault(self.base(key), []).append(key)

    def base(self, key: str) -> str:
        """The key of the person's first record."""
        found = _SUFFIX.search(key)
        if found is None:
            return key
        try:
            datetime.strptime(found.group(1), "%Y%m%d")
        except ValueError:
            return key
        head = key[:found.start()]
        return head if head in self.targets else key

    def siblings(self, key: str) -> list[str]:
        """Every record of the person `key` belongs to, itself included."""
        return sorted(self.by_base.get(self.base(key), [key]))

    def latest(self, key: str, start_property: str | None) -> str:
        """The person's record that starts last."""
        def start(k: str) -> tuple[date, str]:
            value = self.targets[k].values.get(start_property) if start_property else None
            return as_date(value) or date.min, k
        return max(self.siblings(key), key=start)


def record_key(base: str, opens: date, taken: Callable[[str], bool]) -> str:
    key, n = f"{base}-{opens:%Y%m%d}", 1
    while taken(key):
        n += 1
        key = f"{base}-{opens:%Y%m%d}-{n}"
    return key
