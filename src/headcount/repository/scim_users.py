"""The inbound SCIM service's Users in the repository (docs/scim.md): the current document of
each pushed user of a connector, its version (the ETag) and the HR key it feeds. Writes are
conditional on the version read, so that two clients never overwrite each other unseen."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from headcount.repository.schema import scim_users


@dataclass(frozen=True)
class StoredUser:
    id: str
    user_name: str
    external_id: str | None
    hr_key: str | None
    document: dict[str, Any]
    version: int
    created: datetime
    last_modified: datetime


def _user(row: sa.Row[Any]) -> StoredUser:
    return StoredUser(row.id, row.user_name, row.external_id, row.hr_key,
                      json.loads(row.document), int(row.version), row.created,
                      row.last_modified)


def get(conn: sa.Connection, connector: str, user_id: str) -> StoredUser | None:
    found = conn.execute(sa.select(scim_users).where(scim_users.c.connector == connector,
                                                     scim_users.c.id == user_id)).first()
    return None if found is None else _user(found)


def every(conn: sa.Connection, connector: str) -> list[StoredUser]:
    """The connector's Users, in the order they were created."""
    return [_user(row) for row in conn.execute(
        sa.select(scim_users).where(scim_users.c.connector == connector)
        .order_by(scim_users.c.created, scim_users.c.id))]


def owner_of(conn: sa.Connection, connector: str, user_name: str) -> str | None:
    """The id of the User of `connector` holding `user_name`, whatever its case."""
    found: str | None = conn.execute(sa.select(scim_users.c.id).where(
        scim_users.c.connector == connector,
        scim_users.c.user_name_key == user_name.lower())).scalar()
    return found


def insert(conn: sa.Connection, connector: str, user: StoredUser) -> None:
    conn.execute(sa.insert(scim_users).values(
        id=user.id, connector=connector, **_values(user), created=user.created))


def replace(conn: sa.Connection, connector: str, user: StoredUser, expected_version: int
            ) -> bool:
    """Store `user` over the stored one if that still has `expected_version`; False
    otherwise (gone or changed meanwhile)."""
    done = conn.execute(sa.update(scim_users).where(
        scim_users.c.connector == connector, scim_users.c.id == user.id,
        scim_users.c.version == expected_version).values(**_values(user)))
    return done.rowcount == 1


def delete(conn: sa.Connection, connector: str, user_id: str, expected_version: int) -> bool:
    done = conn.execute(sa.delete(scim_users).where(
        scim_users.c.connector == connector, scim_users.c.id == user_id,
        scim_users.c.version == expected_version))
    return done.rowcount == 1


def _values(user: StoredUser) -> dict[str, Any]:
    return {"user_name": user.user_name, "user_name_key": user.user_name.lower(),
            "external_id": user.external_id, "hr_key": user.hr_key,
            "document": json.dumps(user.document, ensure_ascii=False),
            "version": user.version, "last_modified": user.last_modified}
