"""The people who use headcount (SPEC §13): users, their absences, log-in sessions and API
tokens."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

# People who use the web UI and the API (SPEC §13). Names are unique ignoring case.
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    # The key of the person's own Directory_User: who they are to a workflow (their reports).
    sa.Column("identity", sa.String(255), nullable=True),
    # Where notices go, and whether at once (immediate) or in one e-mail a day (daily).
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("delivery", sa.String(16), nullable=False, server_default="immediate"),
    # Their preferences (issue 12): the UI's language (None: the browser's) and time zone (None:
    # UTC), and when they last logged in (None: never, or before it was recorded).
    sa.Column("language", sa.String(16), nullable=True),
    sa.Column("time_zone", sa.String(64), nullable=True),
    sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
    # Single sign-on: who the OpenID Connect provider says this is, never the name (a local
    # `alice` is not the provider's `alice`). Both empty for a local account.
    sa.Column("oidc_issuer", sa.String(512), nullable=True),
    sa.Column("oidc_subject", sa.String(255), nullable=True),
    sa.Index("ux_users_oidc", "oidc_issuer", "oidc_subject", unique=True),
)

# Out of office: from `starts` to `ends` (days, inclusive), `delegate` acts on the tasks
# `user_name` would act on, and receives their notices. Cancelled ones are kept (audit).
absences = sa.Table(
    "absences", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_name", sa.String(255), nullable=False),
    sa.Column("starts", sa.Date, nullable=False),
    sa.Column("ends", sa.Date, nullable=False),
    sa.Column("delegate", sa.String(255), nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_absences_delegate", "delegate", "starts"),
    sa.Index("ix_absences_user", "user_name", "starts"),
)

# Log-in sessions: the cookie holds a random token, the table only its SHA-256.
sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

# API tokens: shown once, stored hashed, scoped, revocable.
api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)
