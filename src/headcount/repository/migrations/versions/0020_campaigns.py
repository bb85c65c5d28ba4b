"""campaigns: HR consistency and access certification campaigns, their review items, every
decision, and each reviewer's sign-off and notices

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("stages", sa.Text, nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "campaign_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("subject_type", sa.String(128), nullable=False),
        sa.Column("subject_key", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=True),
        sa.Column("finding", sa.String(32), nullable=False),
        sa.Column("property", sa.String(260), nullable=True),
        sa.Column("details", sa.Text, nullable=False, server_default="{}"),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("reviewer", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seconds", sa.Float, nullable=True),
        sa.Column("expires_on", sa.Date, nullable=True),
        sa.Column("applied", sa.Text, nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_campaign_items_reviewer", "campaign_items",
                    ["campaign_id", "reviewer", "state", "id"])
    op.create_index("ix_campaign_items_open", "campaign_items", ["reviewer", "state"])
    op.create_index("ix_campaign_items_subject", "campaign_items",
                    ["campaign_id", "subject_type", "subject_key"])
    op.create_table(
        "campaign_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("item_id", sa.Integer, nullable=False),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("forwarded_to", sa.String(255), nullable=True),
    )
    op.create_index("ix_campaign_decisions_item", "campaign_decisions", ["item_id", "id"])
    op.create_index("ix_campaign_decisions_actor", "campaign_decisions",
                    ["campaign_id", "actor", "at"])
    op.create_table(
        "campaign_reviewers",
        sa.Column("campaign_id", sa.Integer, primary_key=True),
        sa.Column("reviewer", sa.String(255), primary_key=True),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("campaign_reviewers")
    op.drop_table("campaign_decisions")
    op.drop_table("campaign_items")
    op.drop_table("campaigns")
