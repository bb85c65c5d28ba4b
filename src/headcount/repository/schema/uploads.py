"""Manual upload (SPEC §9): uploaded workbooks and their content."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

# Uploads (SPEC §9, issue 11): each uploaded workbook, who sent it, its verification's counts and
# the runs it gave. `state` is what the upload page shows (upload/uploads.py: State); a load's
# state follows its run (blocked, then resumed or cancelled). The content is kept apart so that
# lists of uploads never read it.
uploads = sa.Table(
    "uploads", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("uploaded_by", sa.String(255), nullable=False),
    sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(16), nullable=True),  # initial | complete | update
    sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
    sa.Column("warnings", sa.Integer, nullable=False, server_default="0"),
    sa.Column("preview_run_id", sa.Integer, nullable=True),
    sa.Column("run_id", sa.Integer, nullable=True),
    sa.Column("rollback_run_id", sa.Integer, nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Index("ix_uploads_run", "run_id"),
)
upload_files = sa.Table(
    "upload_files", metadata,
    sa.Column("upload_id", sa.Integer, primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
)
