"""A certification campaign over the accounts of a managed system (SPEC §10), orphans included:
its items are every account, an orphan's reviewer the fallback, and a decline applied at once
becomes a deprovisioning order of that system, its origin the campaign and the item."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from accountsproject import make_accounts_project, sync_ad
from headcount.accounts import deprovision
from headcount.campaigns import decisions, lifecycle, store
from headcount.campaigns.spec import CampaignSpec, Options, Scope, Stage
from headcount.project import ProjectContext
from headcount.repository import users


def test_the_accounts_of_a_system_orphans_included(tmp_path: Path, db_url: str) -> None:
    folder, built = make_accounts_project(tmp_path / "hr", db_url)
    assert sync_ad(folder, db_url).state == "succeeded"
    ctx = ProjectContext.open(folder, db_url)
    try:
        project = ctx.deployed()[1]
        with ctx.engine.connect() as conn:
            admin = users.find_user(conn, "admin")
        assert admin is not None
        now = datetime.now(UTC)
        spec = CampaignSpec(name="AD accounts", owner="admin", starts_on=now.date(),
                            ends_on=date(2999, 12, 31), scope=Scope(system="AD"),
                            stages=[Stage(reviewer="manager", fallback="user:admin")],
                            options=Options(apply_declines="at-once"))
        campaign_id, count = lifecycle.create(ctx.engine, project, spec, "admin", now)
        with ctx.engine.connect() as conn:
            items = {i.subject_key: i for i in store.every_item(conn, campaign_id)}
        assert count == len(items) == built.total
        orphan = built.orphans[0]
        assert items[orphan].details["orphan"] is True
        assert items[orphan].reviewer == "admin"
        owned = next(iter(built.owned))
        assert items[owned].details["owner"] == built.owned[owned]
        done = decisions.decide(ctx.engine, project, campaign_id, [items[orphan].id],
                                "decline", admin, "Nobody owns it", now=now)
        assert done.applied[items[orphan].id].startswith("deprovisioning order ")
        with ctx.engine.connect() as conn:
            assert deprovision.history(conn, "AD", orphan)
    finally:
        ctx.close()
