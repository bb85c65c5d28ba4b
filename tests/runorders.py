"""The provisioning orders of a run, as the tests compare them (a dry run with the real one)."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema import provisioning_orders


def listed_orders(engine: sa.Engine, run_id: int) -> list[tuple[str, ...]]:
    """Every order of the run, in order: resource type, kind, source, target, changes."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(provisioning_orders.c.resource_type, provisioning_orders.c.kind,
                      provisioning_orders.c.source_key, provisioning_orders.c.target_key,
                      provisioning_orders.c.changes)
            .where(provisioning_orders.c.run_id == run_id)
            .order_by(provisioning_orders.c.id))]
