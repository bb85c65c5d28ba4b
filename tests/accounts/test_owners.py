"""Owners of a managed system's accounts: correlated set-wise after each synchronization, cases
below confidence 100 with a suggested owner, decisions kept, owners accepted and imported in
bulk (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from accountsproject import Accounts, identities, write_accounts
from headcount.accounts import decisions, owners
from headcount.jobs.blocked import resume
from headcount.jobs.decisions import decide
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.policy import cases
from headcount.repository.database import begin_write
from headcount.repository.schema import correlation_cases, ownership


def test_a_second_connector_of_accounts_is_read_whole_and_correlated(accounts: Accounts
                                                                    ) -> None:
    built = accounts.built
    counts = accounts.counts()
    # Every account read, its last logon (ISO 8601 with Z) included.
    assert counts.accounts == built.total
    assert (counts.orphan, counts.orphan_suggested, counts.unused, counts.owner_left,
            counts.service) == (len(built.orphans), len(built.suggested), len(built.unused),
                                len(built.owner_left), len(built.service))
    with accounts.ctx.engine.connect() as conn:
        found = owners.owners_of(conn, "AD")
        assert {k: v for k, v in found.items() if v} == built.owned
        assert owners.owners_of(conn, "AD", ["neverused", "orphan1", "nobody"]) == {
            "neverused": built.owned["neverused"], "orphan1": None}
        opened = dict(conn.execute(sa.select(correlation_cases.c.source_key,
                                             correlation_cases.c.candidates)
                                   .where(correlation_cases.c.resource_type == "AD_User_Owner",
                                          correlation_cases.c.state == "open")).all())
    assert set(opened) == set(built.suggested)
    for account, owner in built.suggested.items():
        assert owner in [c["key"] for c in json.loads(opened[account])]
        row = accounts.row(account)
        assert row.suggestion_score == 60
        assert row.suggestion_why is not None
        assert row.suggestion_why.startswith("confidence 60: sn “")
    # The identities are untouched: the owner resource type gives no order.
    with accounts.ctx.engine.connect() as conn:
        orders = conn.execute(sa.text("SELECT count(*) FROM provisioning_orders WHERE "
                                      "resource_type = 'AD_User_Owner'")).scalar_one()
    assert orders == 0


def test_a_case_decided_names_the_owner_or_none(accounts: Accounts) -> None:
    linked, alone = sorted(accounts.built.suggested)[:2]
    with accounts.ctx.engine.connect() as conn:
        ids = {k: int(i) for i, k in conn.execute(sa.select(
            correlation_cases.c.id, correlation_cases.c.source_key).where(
            correlation_cases.c.source_key.in_([linked, alone])))}
    owner = accounts.built.suggested[linked]
    outcome = decide(accounts.ctx, ids[linked], "link", owner, "same person", "admin")
    assert outcome.run is None
    assert "owned by" in outcome.message
    decide(accounts.ctx, ids[alone], "new", None, "a shared mailbox", "admin")
    assert accounts.row(linked).owner_key == owner
    assert accounts.row(linked).owner_by == "case"
    assert accounts.row(alone).owner_key is None
    assert accounts.row(alone).suggestion_key is None
    # The next synchronization keeps both decisions and opens no case again.
    assert synchronize(accounts.ctx, SyncRequest("AD")).state == "succeeded"
    assert accounts.row(linked).owner_key == owner
    with accounts.ctx.engine.connect() as conn:
        total, _ = cases.list_cases(conn, "open", 1000)
    assert total == len(accounts.built.suggested) - 2


def test_suggestions_accepted_in_bulk_and_owners_imported(accounts: Accounts) -> None:
    chosen = sorted(accounts.built.suggested)[:5]
    with begin_write(accounts.ctx.engine) as conn:
        outcome = decisions.decide(conn, accounts.project, "AD", [*chosen, "orphan1"],
                                   "accept", "admin", "checked with HR")
    assert outcome.accounts == 5
    assert "1 account(s) had no suggestion" in outcome.message
    assert accounts.counts().orphan == len(accounts.built.orphans) - 5
    for key in chosen:
        assert accounts.row(key).owner_key == accounts.built.suggested[key]
        assert accounts.row(key).owner_by == "decision"
    with accounts.ctx.engine.connect() as conn:
        moot = conn.execute(sa.select(sa.func.count()).select_from(correlation_cases).where(
            correlation_cases.c.source_key.in_(chosen),
            correlation_cases.c.state == "open")).scalar_one()
    assert moot == 0
    # An import of owners: every key checked first, all or nothing.
    owner = accounts.built.owned["neverused"]
    with pytest.raises(owners.UnknownKeys, match="Directory_User NOBODY"), \
            begin_write(accounts.ctx.engine) as conn:
        owners.assign(conn, accounts.project, accounts.system,
                      {"orphan1": owner, "orphan2": "NOBODY"}, "admin", None)
    assert accounts.row("orphan1").owner_key is None
    with begin_write(accounts.ctx.engine) as conn:
        n = owners.assign(conn, accounts.project, accounts.system,
                          {"orphan1": owner, "orphan2": owner}, "admin", "import")
    assert n == 2
    assert accounts.row("orphan2").owner_key == owner


def test_owners_follow_the_accounts_file(accounts: Accounts) -> None:
    people = identities(accounts.ctx.engine)
    again = write_accounts(accounts.folder, people)
    # The same file again: the same owners, nothing to do.
    with accounts.ctx.engine.connect() as conn:
        before = sorted(conn.execute(sa.select(ownership)).all())
    run = synchronize(accounts.ctx, SyncRequest("AD"))
    assert run.state == "succeeded"
    with accounts.ctx.engine.connect() as conn:
        after = sorted(conn.execute(sa.select(ownership)).all())
    assert before == after
    assert again.total == accounts.built.total


def test_a_blocked_run_of_accounts_resumed_updates_the_review(accounts: Accounts) -> None:
    path = accounts.folder / "data" / "ad_accounts.csv"
    with path.open("a", encoding="utf-8") as handle:
        for n in range(150):
            handle.write(f'"CN=new{n},DC=x",new{n},New {n},New,Account{n},,,false,,\n')
    run = synchronize(accounts.ctx, SyncRequest("AD"))
    assert run.state == "blocked"
    assert accounts.counts().orphan == len(accounts.built.orphans)
    resumed = resume(accounts.ctx, run.id, "a new OU was migrated", "admin")
    assert resumed.state == "succeeded with warnings"
    assert accounts.counts().orphan == len(accounts.built.orphans) + 150
