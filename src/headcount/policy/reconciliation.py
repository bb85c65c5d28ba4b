"""Who may overwrite what (SPEC §6.4): orders meet the property states people set."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.policy.orders import Order


def reconcile(conn: sa.Connection, project: Project, orders: list[Order], now: datetime
              ) -> list[Order]:
    """The orders as they may be fulfilled. Being written in parallel (see issue 4)."""
    return orders
