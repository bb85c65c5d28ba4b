"""The inbound SCIM service's Users (docs/scim.md): each pushed user's current SCIM document per
connector, so that reads are immediate and ETags exact; HR sees them through pushed records."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

scim_users = sa.Table(
    "scim_users",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("connector", sa.String(128), nullable=False),
    sa.Column("user_name", sa.String(512), nullable=False),
    # userName folded to lower case: it is unique per connector, whatever its case
    # (RFC 7643 §4.1.1: caseExact false).
    sa.Column("user_name_key", sa.String(512), nullable=False),
    sa.Column("external_id", sa.String(512), nullable=True),
    # The key of the HR record the document flattens to: what a DELETE (or a changed key)
    # removes from HR.
    sa.Column("hr_key", sa.Text, nullable=True),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("connector", "user_name_key", name="uq_scim_users_user_name"),
)
