"""Job events, end to end: a run blocked, failed or ended with warnings, and a stale source, are
e-mailed to a real SMTP server (aiosmtpd) and posted to the documented webhook receiver — which
answers 401 to a request whose signature does not verify, so an event it kept was signed right.
The run stays as it ended whatever the relay does; a stale source is told once per spell."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from headcount.repository import runs, users
from headcount.repository.database import begin_write
from headcount.repository.freshness import utc
from hrproject import people
from jobeventproject import DEFAULT, NOBODY, MakeSample, job_event_samples
from servers import free_port


@pytest.fixture
def make_sample(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
                ) -> Iterator[MakeSample]:
    with job_event_samples(tmp_path, db_url, monkeypatch) as make:
        yield make


def test_a_blocked_run_mails_the_administrators_and_posts_the_signed_webhook(
        make_sample: MakeSample) -> None:
    sample = make_sample()
    sample.hr.write_people(people(10))  # half the people gone
    run = sample.sync()
    assert run.state == runs.BLOCKED
    subject = f"headcount: run {run.id} of HR is blocked"
    assert sample.mails_to("admin@example.com") == [subject]
    assert sample.mails_to("hr-it@example.com") == [subject]
    assert sample.mails_to("op@example.com") == []
    text = sample.text_to("admin@example.com")
    assert "deleted" in text
    assert run.message is not None
    assert run.message in text
    assert f"https://headcount.example.com/runs/{run.id}" in text
    [event] = sample.hook.events  # kept by the receiver: its signature verified
    assert event["event"] == "run_blocked"
    assert event["url"] == f"https://headcount.example.com/runs/{run.id}"
    payload = event["payload"]
    assert (payload["run"], payload["connector"], payload["state"]) == (run.id, "HR", "blocked")
    assert payload["message"] == run.message
    assert payload["message"].startswith("blocked (")
    assert "max_deleted_pct" in payload["message"]  # what crossed
    assert payload["counts"]["deleted"] == 10
    assert sorted(event["recipients"], key=lambda r: r["user"]) == [
        {"user": "admin", "email": ""}, {"user": "hr-it@example.com", "email": ""}]
    assert sample.hook.requests[0]["X-Headcount-Event"] == "run_blocked"
    assert all(row.sent_at is not None for row in sample.outbox())


def test_the_default_rule_tells_the_administrators_of_a_failed_run(
        make_sample: MakeSample) -> None:
    sample = make_sample(DEFAULT)
    os.remove(sample.hr.folder / "data" / "people.csv")
    run = sample.sync()
    assert run.state == runs.FAILED
    assert sample.mails_to("admin@example.com") == [f"headcount: run {run.id} of HR failed"]
    assert sample.mails_to("op@example.com") == []
    assert "file not found" in sample.text_to("admin@example.com")
    assert not sample.hook.events  # no rule names the webhook
    assert len(sample.mail.received) == 1  # `mute` has no address


def test_a_run_with_warnings_lists_them(make_sample: MakeSample) -> None:
    sample = make_sample()
    rows = people(20)
    sample.hr.write_people([*rows, rows[3]])  # the same row twice: kept once, with a warning
    run = sample.sync()
    assert run.state == runs.WARNINGS
    assert sample.mails_to("admin@example.com") == [
        f"headcount: run {run.id} of HR succeeded with warnings"]
    [event] = sample.hook.events
    assert event["event"] == "run_warnings"
    assert event["payload"]["warnings"]
    assert any("E4" in w for w in event["payload"]["warnings"])


def test_no_rule_no_event(make_sample: MakeSample) -> None:
    sample = make_sample(NOBODY)
    sample.hr.write_people(people(10))
    assert sample.sync().state == runs.BLOCKED
    os.remove(sample.hr.folder / "data" / "people.csv")
    assert sample.sync().state == runs.FAILED
    assert not sample.mail.received
    assert not sample.hook.events
    assert sample.outbox() == []


def test_a_relay_that_is_down_leaves_the_run_as_it_is_and_the_notice_waiting(
        make_sample: MakeSample) -> None:
    sample = make_sample(DEFAULT, smtp_port=free_port())  # nobody listens there
    sample.hr.write_people(people(10))
    run = sample.sync()
    assert run.state == runs.BLOCKED
    assert sample.run(run.id).state == runs.BLOCKED
    [row] = sample.outbox()
    assert (row.kind, row.email, row.sent_at, row.attempts) == (
        "run_blocked", "admin@example.com", None, 1)
    assert "cannot reach the relay" in row.error
    with sample.hr.ctx.engine.connect() as conn:
        lines = [text for _, _, text in runs.logs(conn, run.id)]
    assert any(line.startswith("notifications kept for the next delivery: smtp://127.0.0.1:")
               for line in lines)


def test_a_stale_source_is_announced_once_then_again_after_it_was_fresh(
        make_sample: MakeSample) -> None:
    sample = make_sample()
    last = sample.run(1)
    assert last.finished_at is not None
    at = utc(last.finished_at) + timedelta(days=1)
    assert sample.stale(at) == []  # 1 day < stale_after_days (2)
    later = at + timedelta(days=2)
    assert sample.stale(later) == ["HR"]
    assert sample.stale(later + timedelta(hours=6)) == []  # the same spell: told once
    subject = "headcount: the source of HR is stale"
    assert sample.mails_to("admin@example.com") == [subject]
    [event] = sample.hook.events
    assert event["event"] == "source_stale"
    assert event["payload"]["run"] == 1
    assert "its last successful run, 1, finished on" in event["payload"]["message"]
    fresh = sample.sync()  # fresh again
    assert fresh.state == runs.SUCCEEDED
    assert fresh.finished_at is not None
    again = utc(fresh.finished_at) + timedelta(days=3)
    assert sample.stale(again) == ["HR"]
    assert sample.mails_to("admin@example.com") == [subject, subject]


def test_an_old_file_makes_a_source_stale_though_its_runs_succeed(
        make_sample: MakeSample) -> None:
    sample = make_sample()
    now = datetime.now(UTC)
    old = (now - timedelta(days=10)).timestamp()
    for name in ("people.csv", "orgs.csv"):
        os.utime(sample.hr.folder / "data" / name, (old, old))
    assert sample.sync().state == runs.SUCCEEDED
    assert sample.stale(now) == ["HR"]
    assert sample.stale(now) == []
    [event] = sample.hook.events
    assert "its newest file, " in event["payload"]["message"]


def test_a_job_event_is_mailed_at_once_to_who_chose_the_daily_digest(
        make_sample: MakeSample) -> None:
    sample = make_sample(DEFAULT)
    with begin_write(sample.hr.ctx.engine) as conn:
        users.set_contact(conn, "admin", "admin@example.com", "daily")
    os.remove(sample.hr.folder / "data" / "people.csv")
    run = sample.sync()
    assert sample.mails_to("admin@example.com") == [f"headcount: run {run.id} of HR failed"]
