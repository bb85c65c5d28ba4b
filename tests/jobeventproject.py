"""A small HR project whose job events go to a real SMTP server and the documented webhook
receiver (tests/notifying.py): what the tests of job events share (tests/jobs/test_events.py,
tests/cli/test_notify_commands.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from headcount.jobs.events import announce_stale
from headcount.repository import runs, users
from headcount.repository.database import begin_write
from headcount.repository.runs import RunRecord
from headcount.repository.schema import outbox
from hrproject import HRProject, people
from notifying import Hook, MailServer, running_hook, running_mail_server

SECRET_ENV = "HEADCOUNT_TEST_JOB_HOOK_SECRET"
NOTIFICATIONS = """notifications:
  base_url: https://headcount.example.com
  smtp: {{host: 127.0.0.1, port: {port}, security: none, timeout: 5,
          from: "headcount <hc@example.com>"}}
  webhooks:
    - {{url: "{url}", secret_env: {secret_env}, retries: 0}}
"""
EVERY_EVENT = """  job_events:
    - events: [run_blocked, run_failed, run_warnings, source_stale]
      roles: [administrator]
      emails: [hr-it@example.com]
      webhooks: ["{url}"]
"""
DEFAULT = ""  # no `job_events`: blocked and failed runs to the administrators
NOBODY = "  job_events: []\n"
# An operator is not told by the default rule; an administrator without an address cannot be.
USERS = {"admin": ("administrator", "admin@example.com"), "op": ("operator", "op@example.com"),
         "mute": ("administrator", None)}


@dataclass
class Sample:
    hr: HRProject
    mail: MailServer
    hook: Hook

    def sync(self, **options: Any) -> RunRecord:
        return self.hr.sync(**options)

    def run(self, run_id: int) -> RunRecord:
        with self.hr.ctx.engine.connect() as conn:
            return runs.get_run(conn, run_id)

    def mails_to(self, address: str) -> list[str]:
        return [str(r.message["Subject"]) for r in self.mail.received if address in r.rcpt_tos]

    def text_to(self, address: str) -> str:
        [received] = [r for r in self.mail.received if address in r.rcpt_tos]
        text = received.message.get_body(("plain",))
        assert text is not None
        return str(text.get_content())

    def outbox(self) -> list[Any]:
        with self.hr.ctx.engine.connect() as conn:
            return list(conn.execute(sa.select(outbox).order_by(outbox.c.id)))

    def stale(self, at: datetime) -> list[str]:
        project = self.hr.ctx.deployed()[1]
        return announce_stale(self.hr.ctx.engine, project, at,
                              folder=self.hr.folder).connectors


MakeSample = Callable[..., Sample]


@contextmanager
def job_event_samples(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
                      ) -> Iterator[MakeSample]:
    """Makes a small HR project loaded with 20 people, its notifications configured with
    `rules` (the SMTP server's port replaced by `smtp_port`: a relay that is down)."""
    with ExitStack() as stack:
        def make(rules: str = EVERY_EVENT, smtp_port: int | None = None) -> Sample:
            mail = stack.enter_context(running_mail_server())
            hook = stack.enter_context(running_hook())
            monkeypatch.setenv(SECRET_ENV, hook.secret.decode())
            folder = tmp_path / "hr"
            (folder / "config").mkdir(parents=True)
            (folder / "config" / "notifications.yaml").write_text(
                NOTIFICATIONS.format(port=smtp_port or mail.port, url=hook.url,
                                     secret_env=SECRET_ENV) + rules.format(url=hook.url),
                encoding="utf-8")
            hr = HRProject(folder, db_url)
            stack.callback(hr.close)
            with begin_write(hr.ctx.engine) as conn:
                for name, (role, email) in USERS.items():
                    users.add_user(conn, name, "a long enough password", role)
                    users.set_contact(conn, name, email, "immediate")
            hr.write_people(people(20))
            assert hr.sync().state == runs.SUCCEEDED  # nothing to tell
            assert not mail.received
            assert not hook.events
            return Sample(hr, mail, hook)

        yield make
