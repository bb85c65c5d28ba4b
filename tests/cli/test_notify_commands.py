"""`headcount notify-stale`, as cron runs it: a stale source announced once, then said to be
announced before; a fresh project has nothing to say."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headcount.cli.app import app
from headcount.repository import runs
from headcount.repository.database import DATABASE_ENV
from headcount.repository.freshness import utc
from jobeventproject import job_event_samples

runner = CliRunner()


def test_notify_stale_tells_once_per_spell(tmp_path: Path, db_url: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    with job_event_samples(tmp_path, db_url, monkeypatch) as make:
        sample = make()
        monkeypatch.setenv(DATABASE_ENV, db_url)
        finished = sample.run(1).finished_at
        assert finished is not None

        def notify(days: int) -> str:
            at = (utc(finished) + timedelta(days=days)).isoformat()
            result = runner.invoke(app, ["-p", str(sample.hr.folder), "notify-stale",
                                         "--now", at])
            assert result.exit_code == 0, result.output
            return result.output

        assert notify(1) == "no stale source\n"
        assert notify(3) == "HR: stale, announced\n"
        assert notify(4) == "HR: stale, announced before\n"
        assert sample.mails_to("admin@example.com") == ["headcount: the source of HR is stale"]
        assert [e["event"] for e in sample.hook.events] == ["source_stale"]
        assert sample.run(1).state == runs.SUCCEEDED
