"""The one MetaData every table belongs to (Alembic compares it with the database)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
