"""Every benchmark of bench/ runs, as its README says to run it, at a tiny size: a benchmark that
nobody runs rots (bench/sync_bench.py once crashed on a Progress member it lacked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

pytestmark = pytest.mark.slow


def run_bench(script: str, *args: str, cwd: Path) -> str:
    """The script's output; a non-zero exit fails the test with what it printed."""
    done = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def server_args(db_url: str) -> list[str]:
    # The benchmarks' SQLite is their default (no URL); a PostgreSQL URL names the server on
    # which they create, then drop, a database of their own.
    return [] if db_url.startswith("sqlite") else ["--database-url", db_url]


def test_datagen(tmp_path: Path) -> None:
    run_bench("datagen.py", str(tmp_path / "hr.csv"), "--rows", "20", "--changed-pct", "10",
              cwd=tmp_path)
    lines = (tmp_path / "hr.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 21


def test_sync_bench(tmp_path: Path, db_url: str) -> None:
    work = tmp_path / "work"
    output = run_bench("sync_bench.py", "--rows", "200", "--keep", str(work),
                       "--json", str(tmp_path / "figures.json"), *server_args(db_url),
                       cwd=tmp_path)
    assert "initial sync" in output
    phases = json.loads((tmp_path / "figures.json").read_text())["phases"]
    assert list(phases) == ["floor", "initial", "resync_1pct", "resync_none", "incremental"]
    # Each sync phase's counters match what the generated files must give.
    assert {name: (p["state"], p["check"]) for name, p in phases.items() if name != "floor"} \
        == dict.fromkeys(["initial", "resync_1pct", "resync_none", "incremental"],
                         ("succeeded", "ok"))


def test_policy_bench(tmp_path: Path, db_url: str) -> None:
    figures = tmp_path / "figures.json"
    output = run_bench("policy_bench.py", "--people", "200", "--keep", str(tmp_path / "work"),
                       "--json", str(figures), *server_args(db_url), cwd=tmp_path)
    assert "initial sync with policy" in output
    assert "date evaluation (no file)" in output
    measured = json.loads(figures.read_text())
    phases = measured["phases"]
    # Each phase ran in its own process, which reported its own peak.
    assert list(phases) == ["initial", "floor", "next_day", "dates_none", "dates_1pct"]
    assert all(p["peak_rss_mb"] > 0 and p["seconds"] > 0 for p in phases.values())
    assert phases["floor"]["resources"] == sum(
        sum(kinds.values()) for kinds in phases["initial"]["orders"].values())
    # Nothing is due later on the next day; on the day ~1 % of the people have a transition,
    # each of them gets an order.
    assert phases["dates_none"]["orders"] == {}
    due = measured["plan"]["due"]
    assert due["people"] >= due["of"] / 100
    assert sum(sum(kinds.values()) for kinds in phases["dates_1pct"]["orders"].values()) > 0


def test_list_bench(tmp_path: Path, db_url: str) -> None:
    output = run_bench("list_bench.py", "--rows", "100", "--repeat", "1",
                       "--keep", str(tmp_path / "work"), *server_args(db_url), cwd=tmp_path)
    assert "search, no match (a full scan)" in output
    assert "global search, no match (a full scan)" in output
    assert "floor: a full scan of 100 rows' JSON" in output


def test_workflow_bench(tmp_path: Path, db_url: str) -> None:
    figures = tmp_path / "figures.json"
    output = run_bench("workflow_bench.py", "--people", "200", "--joiners", "20", "--repeat", "1",
                       "--keep", str(tmp_path / "work"), "--json", str(figures),
                       *server_args(db_url), cwd=tmp_path)
    assert "the joiners' run (forced)" in output
    measured = json.loads(figures.read_text())
    # One review per joiner waits in My Tasks, and the HR user's inbox lists them all.
    assert measured["started"] == {"Directory_User_NewEmployee running": 20}
    assert measured["tasks"]["inbox(): first page"]["found"] == 20
    assert measured["tasks"]["GET /api/tasks"]["found"] == 20
    assert measured["tasks"]["open_count() (the top bar)"]["found"] == 20


def test_directory_bench(tmp_path: Path, db_url: str) -> None:
    figures = tmp_path / "figures.json"
    output = run_bench("directory_bench.py", "--accounts", "60", "--page-size", "7",
                       "--json", str(figures), *server_args(db_url), cwd=tmp_path)
    assert "floor: ldapsearch into a file" in output
    measured = json.loads(figures.read_text())
    assert measured["job"]["state"] == "succeeded"
    assert measured["job"]["inserted"] == 60


def test_accounts_bench(tmp_path: Path, db_url: str) -> None:
    output = run_bench("accounts_bench.py", "--accounts", "300", "--repeat", "1",
                       "--json", str(tmp_path / "figures.json"), *server_args(db_url),
                       cwd=tmp_path)
    assert "read + correlate 303 accounts to 300 identities" in output
    assert "floor (read both, parse, dict join of employeeNumber)" in output
    assert "floor of the read: ldapsearch of the same entries" in output  # read from slapd
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert figures["counts"] == figures["expected"]
    assert "GET /systems/AD (the orphans page)" in figures["pages_ms"]


def test_campaign_bench(tmp_path: Path, db_url: str) -> None:
    output = run_bench("campaign_bench.py", "--people", "300", "--repeat", "2",
                       "--json", str(tmp_path / "figures.json"), *server_args(db_url),
                       cwd=tmp_path)
    assert "campaign of 300 items created" in output
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert len(figures["pages_ms"]) == 3


def test_upload_bench(tmp_path: Path, db_url: str) -> None:
    output = run_bench("upload_bench.py", "--people", "200", "--json",
                       str(tmp_path / "figures.json"), *server_args(db_url), cwd=tmp_path)
    assert "verify + load:" in output
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert figures["load"]["state"] in ("succeeded", "succeeded with warnings")
    # Twice equals once: the same file again changes nothing.
    counters = figures["again"]["counters"]
    assert not any(counters.get(k) for k in ("inserted", "updated", "deleted",
                                               "links_inserted", "links_deleted"))
    # A mass update of every row verifies without an error.
    mass = figures["mass_update"]
    assert (mass["mode"], mass["state"], mass["errors"]) == ("update", "verified", 0)
    assert mass["changed"] >= 1


@pytest.mark.parametrize("worker", [[], ["--worker"]], ids=["in-process", "worker"])
def test_push_bench(tmp_path: Path, worker: list[str], db_url: str) -> None:
    figures = tmp_path / "figures.json"
    output = run_bench("push_bench.py", "--records", "300", "--json", str(figures), *worker,
                       *server_args(db_url), cwd=tmp_path)
    assert "records/s" in output
    measured = json.loads(figures.read_text())
    assert measured["stored"] == 300
    assert measured["requests"] == 6
    assert set(measured["memory"]) == {"floor", "push"}


def test_jobs_bench(tmp_path: Path, db_url: str) -> None:
    output = run_bench("jobs_bench.py", "--rows", "200", "--repeat", "2",
                       "--json", str(tmp_path / "figures.json"), *server_args(db_url),
                       cwd=tmp_path)
    assert "the queue's cost" in output
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert figures["direct_s"] > 0
    assert figures["queued_s"] > 0
    assert figures["database"] == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    assert set(figures["memory"]) == {"initial", "direct", "queued"}


def test_scim_bench(tmp_path: Path, db_url: str) -> None:
    output = run_bench("scim_bench.py", "--rows", "300", "--repeat", "1",
                       *server_args(db_url), cwd=tmp_path)
    assert "300 identities written" in output
    assert "floor: a full scan of 300 Directory_User rows" in output
    assert 'userName eq "E0000150"' in output
    assert "totalResults 1, 1 shown" in output
    assert "GET /Users/{id}" in output
