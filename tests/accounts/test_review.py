"""The review of a managed system: exactly the accounts built in each category, filters and
paging, the CSV export with formula injection neutralised, and how fresh the signal is."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from accountsproject import Accounts
from headcount.accounts import review
from headcount.jobs.evaluation import evaluate_policy
from headcount.repository.schema import account_status


def test_each_category_holds_exactly_the_accounts_built(accounts: Accounts) -> None:
    built = accounts.built
    assert sorted(accounts.keys("orphan")) == sorted(built.orphans)
    assert sorted(accounts.keys("orphan", suggested=True)) == sorted(built.suggested)
    assert sorted(accounts.keys("unused")) == sorted(built.unused)
    assert sorted(accounts.keys("owner-left")) == sorted(built.owner_left)
    assert sorted(accounts.keys("service")) == sorted(built.service)
    # Disabled accounts are neither unused nor owner-left; one that never logged on is unused
    # because its creation is older than the threshold.
    assert "disabledold" not in accounts.keys("unused")
    assert accounts.row("neverused").last_logon is None
    assert accounts.row("neverused").categories == ("unused",)


def test_filters_paging_and_search(accounts: Accounts) -> None:
    with accounts.ctx.engine.connect() as conn:
        now = datetime.now(UTC)
        total, first = review.page(conn, accounts.system, now, "orphan", limit=10)
        _, second = review.page(conn, accounts.system, now, "orphan", limit=10, offset=10)
        found, rows = review.page(conn, accounts.system, now, "orphan", search="NOBODY3")
    assert total == len(accounts.built.orphans)
    assert [r.key for r in first + second] == sorted(accounts.built.orphans)[:20]
    assert (found, [r.key for r in rows]) == (1, ["orphan3"])


def test_unused_depends_on_the_threshold_and_owner_left_on_the_date(accounts: Accounts
                                                                   ) -> None:
    later = datetime.now(UTC) + timedelta(days=100)
    with accounts.ctx.engine.connect() as conn:
        counts = review.counts(conn, accounts.system, later)
    # 100 days on, every enabled account is unused.
    enabled = accounts.built.total - 2  # disabledold and a leaver's disabled account
    assert counts.unused == enabled
    # A date evaluation keeps owner-left current (the same day: nothing moves).
    run = evaluate_policy(accounts.ctx, "HR")
    assert run.state == "succeeded"
    assert accounts.counts().owner_left == len(accounts.built.owner_left)


def test_the_csv_export_neutralises_formulas(accounts: Accounts) -> None:
    with accounts.ctx.engine.begin() as conn:
        conn.execute(account_status.update().where(
            account_status.c.account_key == "orphan1").values(display="=HYPERLINK(1)"))
        _, rows = review.page(conn, accounts.system, datetime.now(UTC), "orphan", limit=None)
    out = io.StringIO()
    review.write_csv(out, rows)
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines[0] == list(review.EXPORT_HEADER)
    assert len(lines) == 1 + len(accounts.built.orphans)
    assert lines[1 + sorted(
        accounts.built.orphans).index("orphan1")][:2] == ["orphan1", "'=HYPERLINK(1)"]


def test_freshness_names_the_run_and_the_lag(accounts: Accounts) -> None:
    with accounts.ctx.engine.connect() as conn:
        fresh = review.freshness(conn, accounts.system)
    assert fresh.last_run is not None
    assert fresh.last_read is not None
    assert (fresh.lag_days, fresh.unused_after_days) == (14, 90)
