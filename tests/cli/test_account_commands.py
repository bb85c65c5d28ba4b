"""`headcount accounts …` (SPEC §10, §12): the orphaned, unused and owner-left accounts of a
system as a script reads them, decisions on many accounts with exit codes scripts can trust,
owners imported from CSV, and the deprovisioning orders exported."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accountsproject import Built, make_accounts_project, sync_ad
from headcount.cli.app import app

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
            ) -> tuple[Path, Built]:
    monkeypatch.setenv("HEADCOUNT_DATABASE_URL", db_url)
    folder, built = make_accounts_project(tmp_path / "hr", db_url)
    assert sync_ad(folder, db_url).state == "succeeded"
    return folder, built


def run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project), *args])
    return result.exit_code, result.output


def test_lists_with_their_counts_and_as_csv(project: tuple[Path, Built]) -> None:
    folder, built = project
    code, out = run(folder, "accounts", "orphans", "AD", "--limit", "500")
    assert code == 0, out
    assert (f"{len(built.orphans)} orphans ({len(built.suggested)} with a suggested owner) · "
            f"{len(built.unused)} unused · {len(built.owner_left)} owner left · "
            f"{len(built.service)} service accounts") in " ".join(out.split())
    assert "(replication lag)" in " ".join(out.split())
    for category, expected in (("orphans", built.orphans), ("unused", built.unused),
                               ("owner-left", built.owner_left), ("service", built.service)):
        code, out = run(folder, "accounts", category, "AD", "--csv")
        assert code == 0, out
        rows = list(csv.DictReader(io.StringIO(out)))
        assert sorted(r["account"] for r in rows) == sorted(expected), category
    code, out = run(folder, "accounts", "orphans", "NOPE")
    assert code == 6
    assert "no managed system `NOPE`" in out


def test_decide_import_and_export(project: tuple[Path, Built], tmp_path: Path) -> None:
    folder, built = project
    chosen = sorted(built.suggested)[:2]
    code, out = run(folder, "accounts", "decide", "AD", "accept", *chosen, "--as", "admin",
                    "--comment", "checked")
    assert code == 0, out
    assert "2 suggested owner(s) accepted" in out
    code, out = run(folder, "accounts", "decide", "AD", "service", "orphan1",
                    "--until", "2020-01-01", "--responsible", "Ops")
    assert code == 4
    assert "from today on" in out
    code, out = run(folder, "accounts", "decide", "AD", "delete", "orphan2", "orphan3")
    assert code == 0, out
    assert "deleted after 30 days" in out
    until = (datetime.now(UTC).date() + timedelta(days=5)).isoformat()
    code, out = run(folder, "accounts", "decide", "AD", "postpone", "orphan4", "--until", until)
    assert code == 0, out
    owners = tmp_path / "owners.csv"
    owners.write_text(f"account,owner\norphan5,{built.owned['neverused']}\n", encoding="utf-8")
    code, out = run(folder, "accounts", "import-owners", "AD", str(owners))
    assert code == 0, out
    assert "1 account owner(s) imported" in out
    owners.write_text("account,owner\norphan5,NOBODY\n", encoding="utf-8")
    code, out = run(folder, "accounts", "import-owners", "AD", str(owners))
    assert code == 4
    code, out = run(folder, "accounts", "orphans", "AD", "--pending", "--csv")
    keys = {r["account"] for r in csv.DictReader(io.StringIO(out))}
    assert keys == set(built.orphans) - {*chosen, "orphan2", "orphan3", "orphan4", "orphan5"}
    code, out = run(folder, "accounts", "export", "AD")
    assert code == 0, out
    assert [r["account"] for r in csv.DictReader(io.StringIO(out))] == ["orphan2", "orphan3"]
    target = tmp_path / "orders.csv"
    code, out = run(folder, "accounts", "export", "AD", "--out", str(target))
    assert "2 deprovisioning order(s) written" in out
    assert target.read_text(encoding="utf-8").startswith("order,system,account,dn,step")
