"""Deadlines kept, under a clock the test gives: a reminder the business day before the
deadline, escalation level by level once it passed (each level's role may act and is told), a
task nobody can act on sent to the fallback — at once, or when its people are disabled —, and
out-of-office: the delegate is told, sees and decides. Running `escalate` twice at one instant
does what once does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.repository import users
from headcount.repository.database import begin_write
from headcount.repository.schema import audit_log
from headcount.repository.schema import users as users_table
from headcount.workflows.engine import NotAllowed, decide_task
from headcount.workflows.escalation import Escalated, escalate_now
from headcount.workflows.tasks import inbox
from noticeproject import MONDAY, NoticeProject, notice_project

TUESDAY_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # before the reminder (end of Tue)
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # one business day left: reminded
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # overdue: level 1 (operators)
NEXT_MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # 2 business days after: level 2


@pytest.fixture
def sample(tmp_path: Path, db_url: str) -> Iterator[NoticeProject]:
    with notice_project(tmp_path / "hr", db_url) as found:
        yield found


def escalate(sample: NoticeProject, at: datetime) -> Escalated:
    done = escalate_now(sample.ctx.engine, sample.project, at)
    sample.deliver(at)
    return done


def test_a_reminder_then_two_levels_each_once(sample: NoticeProject) -> None:
    task = sample.task(sample.start("Retitle", "E00002", "Chief of staff"))
    sample.deliver(MONDAY)
    assert escalate(sample, TUESDAY_NOON) == Escalated([], [], [], [])
    assert escalate(sample, WEDNESDAY) == Escalated([task], [], [], [])
    assert sample.mails_to("hr@example.com")[-1] == (
        f"Reminder: task {task} is due 2026-11-25 23:59 UTC: Change a title — Review, "
        "Directory_UserRecord E00002")
    sent = len(sample.mail.received)
    assert escalate(sample, WEDNESDAY) == Escalated([], [], [], [])  # twice is once
    assert len(sample.mail.received) == sent

    # Operators may not act before the escalation reaches them.
    op = sample.user("op")
    with sample.ctx.engine.connect() as conn:
        assert inbox(conn, sample.project, op, now=WEDNESDAY)[0] == 0
    assert escalate(sample, THURSDAY) == Escalated([], [(task, 1)], [], [task])
    assert sample.mails_to("op@example.com") == [
        f"Task {task} is overdue (escalation level 1): Change a title — Review, "
        "Directory_UserRecord E00002"]
    assert sample.mails_to("view@example.com") == []
    with sample.ctx.engine.connect() as conn:
        _total, [seen] = inbox(conn, sample.project, op, now=THURSDAY)
    assert (seen.id, seen.overdue, seen.escalation) == (task, True, 1)
    sent = len(sample.mail.received)
    assert escalate(sample, THURSDAY) == Escalated([], [], [], [task])
    assert len(sample.mail.received) == sent
    assert len(sample.hook.events) == 3

    assert escalate(sample, NEXT_MONDAY) == Escalated([], [(task, 2)], [], [task])
    assert len(sample.mails_to("view@example.com")) == 1
    with sample.ctx.engine.connect() as conn:
        audited = conn.execute(sa.select(audit_log.c.reason).where(
            audit_log.c.action == "task escalated").order_by(audit_log.c.id)).scalars().all()
    assert audited == ["level 1: operator", "level 2: viewer"]
    # The escalation's role decides.
    done = decide_task(sample.ctx.engine, sample.project, task, sample.user("view"), "Approve",
                       now=NEXT_MONDAY)
    assert done.instance_state == "completed"


def test_a_late_pass_reaches_every_level_due_and_sends_no_stale_reminder(
        sample: NoticeProject) -> None:
    task = sample.task(sample.start("Retitle", "E00002", "Chief of staff"))
    assert escalate(sample, NEXT_MONDAY) == Escalated([], [(task, 1), (task, 2)], [], [task])
    assert not any(s.startswith("Reminder") for s in sample.mails_to("hr@example.com"))


def test_a_task_nobody_can_act_on_goes_to_the_fallback_at_once(sample: NoticeProject) -> None:
    task = sample.task(sample.start("Check", "E00002", "Chief of staff"))  # no reviewer
    sample.deliver(MONDAY)
    assert sample.mails_to("hr@example.com") == [
        f"Task {task} went to you: nobody else can act on it: Check — Review, "
        "Directory_UserRecord E00002"]
    hr = sample.user("hr")
    with sample.ctx.engine.connect() as conn:
        _total, [seen] = inbox(conn, sample.project, hr, now=MONDAY)
    assert seen.id == task
    assert seen.fallback
    assert escalate(sample, MONDAY) == Escalated([], [], [], [])  # sent once
    decide_task(sample.ctx.engine, sample.project, task, hr, "Approve", now=MONDAY)


def test_a_task_whose_people_are_disabled_goes_to_the_fallback(sample: NoticeProject) -> None:
    task = sample.task(sample.start("Retitle", "E00002", "Chief of staff"))
    with begin_write(sample.ctx.engine) as conn:
        conn.execute(sa.update(users_table).where(users_table.c.role == "hr")
                     .values(disabled=True))
    assert escalate(sample, TUESDAY_NOON) == Escalated([], [], [task], [])
    assert sample.mails_to("op@example.com")[-1].startswith(f"Task {task} went to you")
    with sample.ctx.engine.connect() as conn:
        assert inbox(conn, sample.project, sample.user("op"), now=TUESDAY_NOON)[0] == 1
    assert escalate(sample, TUESDAY_NOON) == Escalated([], [], [], [])


def test_out_of_office_the_delegate_is_told_sees_and_decides(sample: NoticeProject) -> None:
    with begin_write(sample.ctx.engine) as conn:
        users.add_absence(conn, "hr", date(2026, 11, 23), date(2026, 11, 27), "view",
                          "Holidays")
    task = sample.task(sample.start("Retitle", "E00002", "Chief of staff"))
    sample.deliver(MONDAY)
    assert sample.mails_to("hr@example.com") == []  # away: their delegate is told
    assert len(sample.mails_to("view@example.com")) == 1
    assert len(sample.mails_to("hr2@example.com")) == 1
    view = sample.user("view")
    with sample.ctx.engine.connect() as conn:
        assert [t.id for t in inbox(conn, sample.project, view, now=MONDAY)[1]] == [task]
        # Once the absence is over, a viewer sees no HR task any more.
        assert inbox(conn, sample.project, view, now=NEXT_MONDAY)[0] == 0
    with pytest.raises(NotAllowed):
        decide_task(sample.ctx.engine, sample.project, task, view, "Approve", now=NEXT_MONDAY)
    done = decide_task(sample.ctx.engine, sample.project, task, view, "Approve",
                       comment="for hr, away", now=TUESDAY_NOON)
    assert done.instance_state == "completed"


@pytest.mark.parametrize(("activity", "said"), [
    ("{template: Review, roles: [hr], reminder_days: [1]}", "counted from a deadline"),
    ("{template: Review, roles: [hr], deadline_days: 2, escalations: "
     "[{after_days: 2, roles: [operator]}, {after_days: 1, roles: [viewer]}]}",
     "escalation levels come in order"),
    ("{template: Review, roles: [hr], fallback_roles: [reviewr]}",
     "unknown role `reviewr` — did you mean `reviewer`?"),
    ("{template: Review, roles: [hr], deadline_days: 1, escalations: "
     "[{after_days: 0, roles: [operater]}]}", "unknown role `operater`"),
])
def test_reminders_escalations_and_fallback_are_checked_with_their_line(
        tmp_path: Path, activity: str, said: str) -> None:
    from headcount.config.loader import load_project_config
    from headcount.errors import ConfigError
    from headcount.samples import hrfiles

    folder = tmp_path / "hr"
    (folder / "config").mkdir(parents=True)
    for name in ("hr.yaml", "directory.yaml", "policy.yaml"):
        (folder / "config" / name).write_text(
            Path(hrfiles.__file__).with_name(name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "config" / "workflows.yaml").write_text(
        "workflows:\n  - identifier: W\n    entity_type: Directory_UserRecord\n"
        f"    activities:\n      - {activity}\n      - {{template: Persist}}\n",
        encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_project_config(folder)
    assert said in str(error.value)
    assert "workflows.yaml, line" in str(error.value)
