"""`headcount campaign create|list|show|decide|sign-off|close|report|remind` (SPEC §10, §12): a
certification campaign from the terminal, a reviewer's items only, decisions and sign-off with
exit codes scripts can trust, the report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaignproject import Sample, sample
from headcount.cli import exitcodes
from headcount.cli.app import app

runner = CliRunner()


@pytest.fixture
def s(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sample]:
    monkeypatch.setenv("HEADCOUNT_DATABASE_URL", db_url)
    with sample(tmp_path / "hr", db_url) as found:
        yield found


def run(s: Sample, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(s.ctx.directory), *args])
    return result.exit_code, result.output


def test_a_campaign_from_the_terminal(s: Sample, tmp_path: Path) -> None:
    code, out = run(s, "campaign", "create", "Q4", "--owner", "boss", "--until", "2999-12-31",
                    "--from", "2026-11-01", "--reviewer", "manager", "--fallback",
                    "user:colleague")
    assert code == 0, out
    created = re.search(r"campaign (\d+) created: (\d+) items", out)
    assert created is not None
    campaign = created.group(1)
    code, out = run(s, "campaign", "show", campaign, "--as", "mgr", "--limit", "500")
    assert code == 0, out
    assert f"{len(s.reports)} items for mgr" in out
    ids = re.findall(r"^(\d+) .*\(Directory_User ", out, re.MULTILINE)
    assert len(ids) == len(s.reports)
    code, out = run(s, "campaign", "decide", campaign, ids[0], "--decision", "decline",
                    "--as", "mgr")
    assert code == exitcodes.REFUSED  # a comment is required
    code, _ = run(s, "campaign", "sign-off", campaign, "--as", "mgr")
    assert code == exitcodes.REFUSED  # items still open
    code, out = run(s, "campaign", "decide", campaign, *ids, "--decision", "approve",
                    "--as", "colleague")
    assert code == exitcodes.NOT_ALLOWED  # not theirs
    code, out = run(s, "campaign", "decide", campaign, *ids, "--decision", "approve",
                    "--as", "mgr")
    assert code == 0, out
    assert f"approve: {len(ids)} items" in out
    code, out = run(s, "campaign", "sign-off", campaign, "--as", "mgr")
    assert (code, out.strip()) == (0, f"signed off: {len(ids)} decisions final")
    code, out = run(s, "campaign", "list")
    assert "Q4" in out
    assert "active" in out
    code, out = run(s, "campaign", "close", campaign)
    assert code == 0, out
    code, out = run(s, "campaign", "report", campaign)
    lines = list(csv.DictReader(io.StringIO(out)))
    assert int(created.group(2)) == len(lines)
    assert sum(1 for r in lines if r["decision"] == "approve") == len(ids)
    code, _ = run(s, "campaign", "report", campaign, "--format", "xlsx", "-o",
                  str(tmp_path / "q4.xlsx"))
    assert code == 0
    assert (tmp_path / "q4.xlsx").read_bytes()[:2] == b"PK"
    assert run(s, "campaign", "show", "999")[0] == exitcodes.NOT_FOUND
    assert run(s, "campaign", "create", "X", "--owner", "boss", "--until", "2999-12-31",
               "--entity-type", "Nope")[0] == 2
    code, out = run(s, "campaign", "remind", "--now", "2026-12-01T08:00:00Z")
    assert code == 0, out
