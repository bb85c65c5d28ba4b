"""Decisions on accounts, one or many at once: authorise (owner, service account until a
date), confirm for disabling or deletion (staged deprovisioning orders, undone within the grace
period, exported for the directory team), postpone — each audited and kept per account."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from accountsproject import Accounts
from headcount.accounts import decisions, deprovision
from headcount.repository.database import begin_write
from headcount.repository.schema import audit_log


def _decide(accounts: Accounts, keys: list[str], decision: str, **kw: object
            ) -> decisions.Outcome:
    with begin_write(accounts.ctx.engine) as conn:
        return decisions.decide(conn, accounts.project, "AD", keys, decision, "admin",
                                **kw)  # type: ignore[arg-type]


def _today() -> date:
    return datetime.now(UTC).date()


def test_service_and_postpone_until_a_date(accounts: Accounts) -> None:
    orphans = accounts.built.orphans
    until = _today() + timedelta(days=30)
    with pytest.raises(decisions.InvalidDecision, match="responsible"):
        _decide(accounts, orphans[:1], "service", until=until)
    with pytest.raises(decisions.InvalidDecision, match="from today on"):
        _decide(accounts, orphans[:1], "postpone", until=_today() - timedelta(days=1))
    _decide(accounts, orphans[:2], "service", responsible="Jane Ops", until=until,
            comment="batch jobs")
    assert accounts.counts().orphan == len(orphans) - 2
    assert accounts.counts().service == len(accounts.built.service) + 2
    assert accounts.row(orphans[0]).service_responsible == "Jane Ops"
    _decide(accounts, orphans[2:4], "postpone", until=until)
    pending = accounts.keys("orphan", pending=True)
    assert orphans[2] not in pending
    assert orphans[2] in accounts.keys("orphan")
    with accounts.ctx.engine.connect() as conn:
        shown = deprovision.history(conn, "AD", orphans[0])
        audited = conn.execute(sa.select(audit_log.c.action, audit_log.c.reason)
                               .order_by(audit_log.c.id)).all()
    assert shown[0]["decision"] == "service"
    assert shown[0]["actor"] == "admin"
    assert shown[0]["comment"] == "batch jobs"
    assert ("accounts authorised as service accounts", "batch jobs") in audited


def test_deletion_is_staged_undone_within_the_grace_period_and_exported(accounts: Accounts
                                                                       ) -> None:
    left = accounts.built.owner_left
    orphans = accounts.built.orphans[:3]
    outcome = _decide(accounts, orphans, "delete", comment="nobody claims them")
    assert sorted(outcome.orders) == sorted(orphans)
    _decide(accounts, left, "disable")
    assert accounts.keys("orphan", pending=True) == sorted(
        set(accounts.built.orphans) - set(orphans))
    # Asked twice: the same order.
    assert _decide(accounts, orphans[:1], "delete").orders == {orphans[0]: outcome.orders[
        orphans[0]]}
    with accounts.ctx.engine.connect() as conn:
        out = io.StringIO()
        n = deprovision.export(conn, accounts.system, out)
        later = io.StringIO()
        deprovision.export(conn, accounts.system, later, _today() + timedelta(days=30))
    lines = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert n == len(orphans) + len(left) == len(lines)
    assert {r["account"]: r["step"] for r in lines} == dict.fromkeys(orphans + left, "disable")
    assert lines[0]["dn"].startswith("CN=")
    steps = {r["account"]: r["step"] for r in csv.DictReader(io.StringIO(later.getvalue()))}
    assert steps == {**dict.fromkeys(orphans, "delete"), **dict.fromkeys(left, "disable")}
    # Undone within the grace period; too late after it.
    _decide(accounts, orphans[:1], "undo", comment="it is the CEO's")
    assert accounts.row(orphans[0]).order_id is None
    with pytest.raises(deprovision.CannotUndo, match="grace period"), \
            begin_write(accounts.ctx.engine) as conn:
        deprovision.undo(conn, accounts.system, orphans[1:2], "admin", None,
                         _today() + timedelta(days=31))
    with pytest.raises(deprovision.CannotUndo, match="no open deprovisioning order"):
        _decide(accounts, orphans[:1], "undo")


def test_request_for_campaigns_says_where_it_came_from(accounts: Accounts) -> None:
    key = accounts.built.owner_left[0]
    with begin_write(accounts.ctx.engine) as conn:
        order = deprovision.request(conn, accounts.project, "AD", key, "delete", "reviewer",
                                    "declined in campaign 3", {"campaign": 3, "item": 41})
    assert accounts.row(key).order_id == order
    assert accounts.row(key).order_action == "delete"
    assert accounts.row(key).delete_on == (_today() + timedelta(days=30)).isoformat()
    with accounts.ctx.engine.connect() as conn:
        out = io.StringIO()
        deprovision.export(conn, accounts.system, out)
    line = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert line["origin"] == '{"campaign": 3, "item": 41}'
    assert line["requested by"] == "reviewer"
