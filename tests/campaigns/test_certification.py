"""Access certification campaigns (SPEC §10) over the sample's identities, on SQLite and
PostgreSQL: created set-wise with each item's reviewer (the identity's manager, with a
fallback), decided only by its reviewer, approved through two stages, declined, forwarded,
signed off, closed with the default outcome; reminders and escalation through the outbox; the
report; reviewer-quality signals."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaignproject import NOW, Sample, day, identities, sample
from headcount.campaigns import decisions, lifecycle, quality, report, store
from headcount.campaigns.decisions import DecisionRefused, NotYours
from headcount.campaigns.scope import changed_since
from headcount.campaigns.spec import CampaignSpec, Options, Scope, Stage
from headcount.config.notifications import Notifications
from headcount.repository.schema import audit_log, campaign_decisions, outbox


def _spec(**changes: object) -> CampaignSpec:
    values: dict[str, object] = {
        "name": "Q4 identities", "owner": "boss", "starts_on": day("2026-11-30"),
        "ends_on": day("2026-12-11"),
        "stages": [Stage(name="Manager", reviewer="manager", fallback="user:colleague")]}
    values.update(changes)
    return CampaignSpec.model_validate(values)


@pytest.fixture
def s(tmp_path: Path, db_url: str) -> Iterator[Sample]:
    with sample(tmp_path / "hr", db_url) as found:
        yield found


def test_items_go_to_each_identitys_manager_or_the_fallback(s: Sample) -> None:
    campaign_id, count = lifecycle.create(s.ctx.engine, s.project, _spec(), "boss", NOW)
    everyone = identities(s.ctx)
    assert count == len(everyone)
    with s.ctx.engine.connect() as conn:
        campaign = store.get(conn, campaign_id)
        total, mine = store.items_of(conn, campaign_id, store.mine(s.people["mgr"]),
                                     limit=1000)
        _, others = store.items_of(conn, campaign_id, store.mine(s.people["colleague"]),
                                   limit=1000)
    assert campaign.state == "active"
    assert {i.subject_key for i in mine} == s.reports
    assert total == len(s.reports)
    # Nobody else manages with a log-in: the fallback has the rest.
    assert {i.subject_key for i in others} == set(everyone) - s.reports


def test_a_reviewer_decides_only_their_items(s: Sample) -> None:
    campaign_id, _ = lifecycle.create(s.ctx.engine, s.project, _spec(), "boss", NOW)
    with s.ctx.engine.connect() as conn:
        _, theirs = store.items_of(conn, campaign_id, store.mine(s.people["colleague"]))
    with pytest.raises(NotYours):
        decisions.decide(s.ctx.engine, s.project, campaign_id, [theirs[0].id], "approve",
                         s.people["mgr"], now=NOW)
    with s.ctx.engine.connect() as conn:
        assert store.items_by_id(conn, [theirs[0].id])[0].state == store.OPEN


def test_stages_decline_forward_and_sign_off(s: Sample) -> None:
    spec = _spec(stages=[Stage(name="Manager", reviewer="manager", fallback="user:colleague"),
                         Stage(name="Application owner", reviewer="user:appowner")])
    campaign_id, _ = lifecycle.create(s.ctx.engine, s.project, spec, "boss", NOW)
    mgr = s.people["mgr"]
    with s.ctx.engine.connect() as conn:
        _, mine = store.items_of(conn, campaign_id, store.mine(mgr))
    assert len(mine) >= 3
    first, second, *rest = [i.id for i in mine]
    with pytest.raises(DecisionRefused, match="comment"):
        decisions.decide(s.ctx.engine, s.project, campaign_id, [second], "decline", mgr,
                         now=NOW)
    decisions.decide(s.ctx.engine, s.project, campaign_id, [first], "approve", mgr,
                     now=NOW + timedelta(seconds=30))
    decisions.decide(s.ctx.engine, s.project, campaign_id, [second], "forward", mgr,
                     "Not my team any more", to="colleague", now=NOW + timedelta(seconds=40))
    with pytest.raises(DecisionRefused, match="not decided"):
        decisions.sign_off(s.ctx.engine, s.project, campaign_id, mgr, NOW)
    decisions.decide(s.ctx.engine, s.project, campaign_id, rest, "decline", mgr,
                     "Left the team", now=NOW + timedelta(seconds=50))
    assert decisions.sign_off(s.ctx.engine, s.project, campaign_id, mgr,
                              NOW + timedelta(minutes=1)) == len(rest)
    with s.ctx.engine.connect() as conn:
        approved, forwarded, *declined = store.items_by_id(conn, [first, second, *rest])
        _, owners = store.items_of(conn, campaign_id, store.mine(s.people["appowner"]))
        overall, by_stage, by_reviewer = store.progress(conn, campaign_id)
        decided = conn.execute(sa.select(sa.func.count()).select_from(campaign_decisions)
                               .where(campaign_decisions.c.campaign_id == campaign_id))
        audited = conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(
            audit_log.c.action.like("campaign item %")))
        assert decided.scalar() == audited.scalar() == 2 + len(rest)
    # Approved at stage 1: open at stage 2 for the application owner.
    assert (approved.stage, approved.reviewer, approved.state) == (1, "appowner", "open")
    assert [i.id for i in owners] == [first]
    assert (forwarded.reviewer, forwarded.state) == ("colleague", "open")
    assert all(i.state == "final" and i.decision == "decline" for i in declined)
    assert by_reviewer["mgr"].percent == 100
    assert by_stage[1].total == 1
    assert overall.done == len(rest)
    # Signed off: final, even for its reviewer.
    with pytest.raises(DecisionRefused, match="signed"):
        decisions.decide(s.ctx.engine, s.project, campaign_id, rest[:1], "approve", mgr,
                         now=NOW)


def test_closing_gives_the_default_outcome_and_the_report_a_line_per_decision(
        s: Sample) -> None:
    spec = _spec(options=Options(default_outcome="approve"))
    campaign_id, count = lifecycle.create(s.ctx.engine, s.project, spec, "boss", NOW)
    mgr = s.people["mgr"]
    with s.ctx.engine.connect() as conn:
        _, mine = store.items_of(conn, campaign_id, store.mine(mgr))
    decisions.decide(s.ctx.engine, s.project, campaign_id, [mine[0].id], "decline", mgr,
                     "=HYPERLINK(\"http://evil\")", now=NOW)
    assert lifecycle.close(s.ctx.engine, s.project, campaign_id, "boss", NOW) == count - 1
    with s.ctx.engine.connect() as conn:
        assert store.get(conn, campaign_id).state == "closed"
        overall, _, _ = store.progress(conn, campaign_id)
        text = report.as_csv(conn, campaign_id)
        xlsx = report.as_xlsx(conn, campaign_id)
    assert overall.percent == 100
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == count
    declined = [r for r in rows if r["decision"] == "decline"]
    assert len(declined) == 1
    assert declined[0]["comment"].startswith("'=")
    assert {r["decision"] for r in rows} == {"approve", "decline"}
    assert xlsx[:2] == b"PK"


def test_reminders_and_escalation_are_sent_once(s: Sample) -> None:
    project = s.project.model_copy(update={"notifications": Notifications.model_validate(
        {"smtp": {"host": "127.0.0.1", "sender": "headcount@example.org"}})})
    spec = _spec(options=Options(remind_days=3, escalate_days=1))
    campaign_id, _ = lifecycle.create(s.ctx.engine, project, spec, "boss", NOW)
    assert lifecycle.tick(s.ctx.engine, project, NOW)["reminded"] == 0  # not due yet
    due = NOW + timedelta(days=9)  # 2 days before the end date
    assert lifecycle.tick(s.ctx.engine, project, due)["reminded"] == 2  # mgr, colleague
    assert lifecycle.tick(s.ctx.engine, project, due)["reminded"] == 0
    done = lifecycle.tick(s.ctx.engine, project, NOW + timedelta(days=10, hours=5))
    assert done["escalated"] == 2
    with s.ctx.engine.connect() as conn:
        sent = conn.execute(sa.select(outbox.c.kind, outbox.c.recipient, outbox.c.link)
                            .order_by(outbox.c.id)).all()
    # colleague has no e-mail address: their reminder reaches nobody, the escalation the owner.
    assert [(k, r) for k, r, _ in sent] == [("task_reminder", "mgr"),
                                            ("task_escalated", "boss"),
                                            ("task_escalated", "boss")]
    assert sent[0][2] == f"/reviews/campaigns/{campaign_id}/mine"
    closed = lifecycle.tick(s.ctx.engine, project, NOW + timedelta(days=12))
    assert closed["closed"] == 1


def test_a_draft_starts_on_its_start_date(s: Sample) -> None:
    spec = _spec(starts_on=day("2026-12-07"))
    campaign_id, _ = lifecycle.create(s.ctx.engine, s.project, spec, "boss", NOW)
    with s.ctx.engine.connect() as conn:
        assert store.get(conn, campaign_id).state == "draft"
        _, mine = store.items_of(conn, campaign_id, store.mine(s.people["mgr"]))
        assert store.open_count(conn, s.people["mgr"]) == 0  # not in My Tasks yet
    with pytest.raises(DecisionRefused, match="draft"):
        decisions.decide(s.ctx.engine, s.project, campaign_id, [mine[0].id], "approve",
                         s.people["mgr"], now=NOW)
    assert lifecycle.tick(s.ctx.engine, s.project, NOW + timedelta(days=6))["started"] == 0
    assert lifecycle.tick(s.ctx.engine, s.project, NOW + timedelta(days=7))["started"] == 1
    with s.ctx.engine.connect() as conn:
        assert store.get(conn, campaign_id).state == "active"
        assert store.open_count(conn, s.people["mgr"]) == len(s.reports)


def test_bursts_of_approvals_are_flagged(s: Sample) -> None:
    campaign_id, _ = lifecycle.create(s.ctx.engine, s.project, _spec(), "boss", NOW)
    colleague = s.people["colleague"]
    with s.ctx.engine.connect() as conn:
        _, theirs = store.items_of(conn, campaign_id, store.mine(colleague), limit=25)
    assert len(theirs) == 25
    for n, item in enumerate(theirs[:22]):
        decisions.decide(s.ctx.engine, s.project, campaign_id, [item.id], "approve",
                         colleague, now=NOW + timedelta(seconds=2 * n))
    decisions.decide(s.ctx.engine, s.project, campaign_id, [theirs[22].id], "decline",
                     colleague, "No longer needed", now=NOW + timedelta(minutes=5))
    with s.ctx.engine.connect() as conn:
        found = {r.reviewer: r for r in quality.signals(conn, campaign_id)}
    signals = found["colleague"]
    assert signals.decisions == 23
    assert signals.approvals == 22
    assert len(signals.bursts) == 1
    assert signals.bursts[0].approvals >= 20
    assert signals.median_seconds == 2.0


def test_changed_since_reads_the_history(s: Sample) -> None:
    with s.ctx.engine.connect() as conn:
        everyone = changed_since(conn, s.project, "Directory_User", day("2000-01-01"))
        none = changed_since(conn, s.project, "Directory_User", day("2999-01-01"))
    assert everyone == set(identities(s.ctx))
    assert none == set()
    spec = _spec(scope=Scope(changed_since=day("2999-01-01")))
    assert lifecycle.create(s.ctx.engine, s.project, spec, "boss", NOW)[1] == 0
