"""The sample project with deadlines and notices: a retitle reviewed by HR within two business
days (a reminder one day before, escalation to operators at the deadline then to viewers two
days after, the fallback to operators), a check that no user's role can take (no reviewer: it
goes to HR at once), e-mail through a real SMTP server (tests/notifying.py) and a webhook to
the documented receiver. Every instant is given: the clock of the machine plays no part."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from headcount.config.model import Project
from headcount.project import ProjectContext
from headcount.repository import users
from headcount.repository.database import begin_write
from headcount.repository.schema import outbox, workflow_tasks
from headcount.repository.users import User
from headcount.workflows.changes import ResourceChange, WorkflowChanges, current
from headcount.workflows.delivery import Delivered, deliver
from headcount.workflows.engine import start
from notifying import Hook, MailServer, running_hook, running_mail_server
from webproject import PASSWORD, make_project

RECORD = "Directory_UserRecord"
SECRET_ENV = "HEADCOUNT_TEST_HOOK_SECRET"
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WORKFLOWS = """
workflows:
  - identifier: Retitle
    entity_type: Directory_UserRecord
    display_name: Change a title
    activities:
      - identifier: Review
        template: Review
        roles: [hr]
        deadline_days: 2
        reminder_days: [1]
        escalations:
          - {after_days: 0, roles: [operator]}
          - {after_days: 2, roles: [viewer]}
        fallback_roles: [operator]
      - {template: Persist}
  - identifier: Check
    entity_type: Directory_UserRecord
    activities:
      - {template: Review, roles: [reviewer], fallback_roles: [hr]}
      - {template: Persist}
"""
NOTIFICATIONS = """
notifications:
  base_url: https://headcount.example.com
  smtp: {{host: 127.0.0.1, port: {port}, security: none, from: "headcount <hc@example.com>"}}
  webhooks:
    - {{url: "{url}", secret_env: {secret_env}, retries: 0}}
"""
# The users of webproject.USERS, with an address; and a second HR user.
EMAILS = {"hr": "hr@example.com", "hr2": "hr2@example.com", "view": "view@example.com",
          "op": "op@example.com"}


@dataclass
class NoticeProject:
    ctx: ProjectContext
    project: Project
    mail: MailServer
    hook: Hook

    @property
    def environ(self) -> dict[str, str]:
        return {SECRET_ENV: self.hook.secret.decode()}

    def start(self, workflow: str, key: str, title: str, at: datetime = MONDAY,
              actor: str = "op") -> int:
        with begin_write(self.ctx.engine) as conn:
            found = current(conn, RECORD, key)
            assert found is not None
            return start(conn, self.project, workflow, WorkflowChanges([ResourceChange(
                RECORD, key, "update", {"Title": (found[1].get("Title"), title)})]),
                actor=actor, message=f"New title for {key}", now=at)

    def task(self, instance_id: int) -> int:
        """The open task of a workflow instance."""
        t = workflow_tasks.c
        with self.ctx.engine.connect() as conn:
            return int(conn.execute(sa.select(t.id).where(
                t.instance_id == instance_id, t.open.is_(True))).scalar_one())

    def user(self, name: str) -> User:
        with self.ctx.engine.connect() as conn:
            found = users.find_user(conn, name)
        assert found is not None
        return found

    def deliver(self, at: datetime) -> Delivered:
        return deliver(self.ctx.engine, self.project, at, self.environ, self.ctx.directory)

    def mails_to(self, address: str) -> list[str]:
        """The subjects of the e-mails `address` received, in order (spaces collapsed: a long
        subject with an encoded word comes back unfolded with one space more)."""
        return [" ".join(str(r.message["Subject"]).split()) for r in self.mail.received
                if address in r.rcpt_tos]

    def pending(self) -> int:
        with self.ctx.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(outbox)
                                    .where(outbox.c.sent_at.is_(None))).scalar_one())


@contextmanager
def notice_project(folder: Path, url: str, hook_status: tuple[int, ...] = ()
                   ) -> Iterator[NoticeProject]:
    with running_mail_server() as mail, running_hook(planned=hook_status) as hook:
        config = folder.parent / "extra"
        config.mkdir()
        (config / "workflows.yaml").write_text(WORKFLOWS, encoding="utf-8")
        (config / "notifications.yaml").write_text(NOTIFICATIONS.format(
            port=mail.port, url=hook.url, secret_env=SECRET_ENV), encoding="utf-8")
        make_project(folder, url, people=200, extra=sorted(config.iterdir()))
        ctx = ProjectContext.open(folder, url)
        try:
            with begin_write(ctx.engine) as conn:
                users.add_user(conn, "hr2", PASSWORD, "hr")
                for name, email in EMAILS.items():
                    users.set_contact(conn, name, email, "immediate")
            yield NoticeProject(ctx, ctx.deployed()[1], mail, hook)
        finally:
            ctx.close()
