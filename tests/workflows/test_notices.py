"""Notices of tasks, end to end: a task opened, decided or delegated writes its notices with
the transaction, `deliver` sends them after the commit — e-mail to a real SMTP server, a signed
webhook to the documented receiver —, grouped per recipient, as daily digests for who wants
them, and retried after a failure without being lost or sent twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.repository import users
from headcount.repository.database import begin_write
from headcount.repository.schema import outbox
from headcount.workflows.changes import ResourceChange, WorkflowChanges, current
from headcount.workflows.engine import decide_task, start
from noticeproject import MONDAY, RECORD, SECRET_ENV, NoticeProject, notice_project


@pytest.fixture
def sample(tmp_path: Path, db_url: str) -> Iterator[NoticeProject]:
    with notice_project(tmp_path / "hr", db_url) as found:
        yield found


def test_an_assigned_task_is_emailed_to_who_may_act_and_posted_signed(
        sample: NoticeProject) -> None:
    task = sample.task(sample.start("Retitle", "E00002", "Chief of staff"))
    assert not sample.mail.received  # nothing leaves before `deliver`
    done = sample.deliver(MONDAY)
    assert (done.sent, done.failed) == (3, 0)  # hr, hr2, and the event for the webhook
    for address in ("hr@example.com", "hr2@example.com"):
        assert sample.mails_to(address) == [
            f"Task {task} waits for you: Change a title — Review, {RECORD} E00002"]
    assert sample.mails_to("op@example.com") == []  # who started it is told of decisions
    message = sample.mail.received[0].message
    text = message.get_body(("plain",))
    assert text is not None
    assert f"https://headcount.example.com/tasks/{task}" in text.get_content()
    assert "Deadline: 2026-11-25 23:59 UTC." in text.get_content()
    # The documented receiver answers 401 to a request whose HMAC does not verify.
    [event] = sample.hook.events
    assert event["event"] == "task_assigned"
    assert event["payload"]["task"] == task
    assert sorted(event["recipients"], key=lambda r: r["user"]) == [
        {"user": "hr", "email": ""}, {"user": "hr2", "email": ""}]
    assert sample.hook.requests[0]["X-Headcount-Signature"].startswith("sha256=")
    assert sample.deliver(MONDAY).sent == 0  # sent once


def test_tasks_opened_together_are_one_email_per_recipient(sample: NoticeProject) -> None:
    tasks = [sample.task(sample.start("Retitle", key, "Data steward"))
             for key in ("E00002", "E00003", "E00004")]
    sample.deliver(MONDAY)
    assert sample.mails_to("hr@example.com") == ["headcount: 3 tasks wait for you"]
    body = sample.mail.received[0].message.get_body(("plain",))
    assert body is not None
    assert all(f"/tasks/{t}" in body.get_content() for t in tasks)
    assert sorted(e["payload"]["task"] for e in sample.hook.events) == tasks  # one each


def test_a_start_that_rolls_back_tells_nobody(sample: NoticeProject) -> None:
    def start_then_fail() -> None:
        with begin_write(sample.ctx.engine) as conn:
            found = current(conn, RECORD, "E00002")
            assert found is not None
            start(conn, sample.project, "Retitle", WorkflowChanges([ResourceChange(
                RECORD, "E00002", "update", {"Title": (found[1].get("Title"), "X")})]),
                actor="op", now=MONDAY)
            raise RuntimeError("the run failed after starting it")

    with pytest.raises(RuntimeError):
        start_then_fail()
    assert sample.pending() == 0
    assert sample.deliver(MONDAY).sent == 0
    assert not sample.mail.received
    assert not sample.hook.events


def test_decisions_are_told_to_who_started_the_workflow_and_delegations_to_the_delegate(
        sample: NoticeProject) -> None:
    task = sample.task(sample.start("Retitle", "E00002", "Chief of staff"))
    decide_task(sample.ctx.engine, sample.project, task, sample.user("hr"), "Delegate",
                delegate_to="view", now=MONDAY)
    sample.deliver(MONDAY)
    assert sample.mails_to("view@example.com") == [
        f"Task {task} waits for you: Change a title — Review, {RECORD} E00002"]
    decide_task(sample.ctx.engine, sample.project, task, sample.user("view"), "Approve",
                comment="fine", now=MONDAY)
    sample.deliver(MONDAY)
    assert sample.mails_to("op@example.com") == [
        f"Task {task} approved by view: Change a title — Review, {RECORD} E00002"]
    # Who delegated is told too: they decided in this workflow before.
    assert sample.mails_to("hr@example.com")[-1].startswith(f"Task {task} approved by view")
    kinds = [e["event"] for e in sample.hook.events]
    assert kinds == ["task_assigned", "task_assigned", "task_decided"]


def test_a_refused_address_is_retried_by_the_next_delivery_not_lost_nor_repeated(
        sample: NoticeProject) -> None:
    sample.mail.refuse.add("hr@example.com")
    sample.start("Retitle", "E00002", "Chief of staff")
    done = sample.deliver(MONDAY)
    assert done.failed == 1
    assert "hr@example.com" in done.errors[0]
    assert sample.mails_to("hr2@example.com") != []  # the others have theirs
    assert sample.mails_to("hr@example.com") == []
    assert sample.pending() == 1
    sample.mail.refuse.clear()
    later = MONDAY + timedelta(minutes=5)
    assert sample.deliver(later).sent == 1
    assert len(sample.mails_to("hr@example.com")) == 1
    assert len(sample.mails_to("hr2@example.com")) == 1
    assert len(sample.hook.events) == 1
    assert sample.deliver(later).sent == 0
    assert sample.pending() == 0
    with sample.ctx.engine.connect() as conn:
        attempts = conn.execute(sa.select(outbox.c.attempts).where(
            outbox.c.email == "hr@example.com")).scalar_one()
    assert attempts == 2


def test_a_daily_digest_waits_for_the_day_to_end(sample: NoticeProject) -> None:
    with begin_write(sample.ctx.engine) as conn:
        users.set_contact(conn, "hr", "hr@example.com", "daily")
    sample.start("Retitle", "E00002", "Chief of staff")
    sample.start("Retitle", "E00003", "Head of payroll", at=MONDAY + timedelta(hours=2))
    sample.deliver(MONDAY + timedelta(hours=3))
    assert sample.mails_to("hr@example.com") == []
    assert sample.mails_to("hr2@example.com") != []
    sample.deliver(MONDAY + timedelta(days=1))
    assert sample.mails_to("hr@example.com") == ["headcount: 2 notifications of 2026-11-23"]
    sample.deliver(MONDAY + timedelta(days=1))
    assert len(sample.mails_to("hr@example.com")) == 1


def test_a_failing_webhook_is_retried_and_each_event_taken_once(
        tmp_path: Path, db_url: str) -> None:
    with notice_project(tmp_path / "hr", db_url, hook_status=(503,)) as sample:
        sample.start("Retitle", "E00002", "Chief of staff")
        first = sample.deliver(MONDAY)
        assert first.failed == 1
        assert "503" in first.errors[0]
        assert len(sample.mails_to("hr@example.com")) == 1  # e-mail is not held back
        assert not sample.hook.events
        assert sample.deliver(MONDAY).sent == 1
        assert [e["event"] for e in sample.hook.events] == ["task_assigned"]
        assert len(sample.mails_to("hr@example.com")) == 1


def test_the_api_flags_an_overdue_task_and_its_decision_is_told_after_commit(
        sample: NoticeProject, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from webproject import bearer, login, make_app

    monkeypatch.setenv(SECRET_ENV, sample.hook.secret.decode())
    # Started in 2020: its deadline passed whatever the clock of the machine says.
    long_ago = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)
    task = sample.task(sample.start("Retitle", "E00002", "Chief of staff", at=long_ago))
    app = make_app(sample.ctx.directory, str(sample.ctx.engine.url.render_as_string(False)))
    client = TestClient(app)
    hr = bearer(app, "hr", ["read", "decide"])
    [listed] = client.get("/api/tasks", headers=hr).json()["items"]
    assert (listed["id"], listed["overdue"], listed["escalation"]) == (task, True, 0)
    login(client, "hr")
    page = client.get("/tasks", headers={"Accept": "text/html"})
    assert '<strong class="overdue">overdue</strong>' in page.text
    client.cookies.clear()
    answer = client.post(f"/api/tasks/{task}/decision", headers=hr,
                         json={"transition": "Approve"})
    assert answer.status_code == 200, answer.text
    # The decision's notice left with it; the assignment's, pending since, too.
    assert sample.mails_to("op@example.com") == [
        f"Task {task} approved by hr: Change a title — Review, {RECORD} E00002"]
    assert sample.pending() == 0
