"""The one search (issue 12): each resource's display name and search terms, materialised so that
pages name resources and the top bar finds them without reading every resource's values."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.schema.metadata import metadata

# One row per resource, written in the same transaction as the resource (repository/apply.py).
# `terms` is normalised text (lower case, no accents, punctuation a space, one space between
# words) with a space at both ends, so that " jose" finds a word start with a plain substring
# test: the display name, a separator (naming.SEPARATOR, "\x1f"), then the key and the searched
# values.
resource_names = sa.Table(
    "resource_names", metadata,
    sa.Column("resource_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("entity_type", sa.String(128), nullable=False),
    sa.Column("display", sa.Text, nullable=False),
    # No index on entity_type: a search reads every row anyway, and a million-row load would
    # pay for it.
    sa.Column("terms", sa.Text, nullable=False),
)
