"""What decisions keep in force on an account (a service account until a date, a
postponement, an open deprovisioning order), written for many accounts at once."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from headcount.repository.bulk import execute_many, insert_rows
from headcount.repository.schema import account_marks

FIELDS = ("service_responsible", "service_until", "postponed_until", "order_id")


def set_marks(conn: sa.Connection, system: str,
              changes: Mapping[str, Mapping[str, object]]) -> None:
    """account → the fields to set (the others are kept): existing marks updated by one
    executemany per set of fields, new ones inserted in bulk."""
    if not changes:
        return
    m = account_marks.c
    existing = set(conn.execute(sa.select(m.account_key).where(m.system == system)).scalars())
    by_fields: dict[tuple[str, ...], list[tuple[object, ...]]] = {}
    inserts = []
    for key, fields in changes.items():
        unknown = set(fields) - set(FIELDS)
        assert not unknown, unknown
        if key in existing:
            names = tuple(sorted(fields))
            by_fields.setdefault(names, []).append((*(fields[n] for n in names), system, key))
        else:
            inserts.append((system, key, *(fields.get(n) for n in FIELDS)))
    for names, rows in by_fields.items():
        sets = ", ".join(f"{n} = ?" for n in names)
        execute_many(conn, f"UPDATE account_marks SET {sets} WHERE system = ? AND "
                           "account_key = ?", rows)
    if inserts:
        insert_rows(conn, "account_marks", ("system", "account_key", *FIELDS), inserts)
