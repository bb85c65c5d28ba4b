"""An access certification campaign's items: one per subject of its scope, for the first
stage's reviewer — all written in one transaction, set-wise."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from headcount.campaigns import scope, store
from headcount.campaigns.reviewers import IDENTITY_TYPE, Directory
from headcount.campaigns.spec import CampaignSpec
from headcount.campaigns.store import NewItem
from headcount.config.model import Project
from headcount.repository.database import begin_write


def items(conn: sa.Connection, project: Project, spec: CampaignSpec, now: datetime
          ) -> list[NewItem]:
    subjects = scope.subjects(conn, project, spec.scope)
    directory = Directory(conn, project, IDENTITY_TYPE, now.date())
    reviewers = directory.reviewers(spec.stages[0], [s.identity for s in subjects], spec.owner)
    return [NewItem(s.entity_type, s.key, s.label, "access", reviewer,
                    details={**s.details, "identity": s.identity})
            for s, reviewer in zip(subjects, reviewers, strict=True)]


def create(engine: sa.Engine, project: Project, spec: CampaignSpec, actor: str, now: datetime
           ) -> tuple[int, int]:
    """The campaign and its items; (its id, how many items)."""
    with engine.connect() as conn:
        found = items(conn, project, spec, now)
    with begin_write(engine) as conn:
        campaign_id = store.insert(conn, spec, actor, now)
        return campaign_id, store.add_items(conn, campaign_id, found, 0, now)
