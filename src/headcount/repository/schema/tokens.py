"""Service tokens: what machines present — remote agents, HR systems pushing records, SCIM
clients (SPEC §11, §12, §13)."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

# A token is shown once; only its SHA-256 is kept. `scopes` (JSON list) says what it may do,
# `connectors` (JSON list of identifiers) on which connectors; revoked tokens stay, for the
# audit log and the job results that name them.
service_tokens = sa.Table(
    "service_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("connectors", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_by", sa.String(255), nullable=True),
)
