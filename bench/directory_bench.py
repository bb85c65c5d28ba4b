"""Directory accounts read from slapd by `headcount sync`, next to the floor: `ldapsearch` of the
same entries into a file, measured in the same run.

Run: .venv/bin/python bench/directory_bench.py --accounts 100000 [--page-size 1000]
     [--database-url URL] [--keep DIR] [--json OUT]

The accounts (tests/directoryproject.py: names, mails, groups, SID and GUID as binary,
userAccountControl, lastLogonTimestamp) are loaded offline with slapadd into a throw-away slapd
(tests/slapd.py). Then, against the running server, with the same paged search (RFC 2696, the
same page size, the same attributes, bound as the same reader):
  floor  ldapsearch -LLL -E pr=SIZE/noprompt … > accounts.ldif
  sync   `headcount sync AD` (a subprocess, as a person runs it) of a connector whose connection
         reads the server: search, decode, prepare, diff, write into an empty repository.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "tests"))  # the slapd server and the accounts

import sqlalchemy as sa  # noqa: E402

from directoryproject import ATTRIBUTES, DirectoryProject, accounts, slapd_ldif  # noqa: E402
from memory import Child, phase_memory, run_child  # noqa: E402
from slapd import READER, READER_PASSWORD, SUFFIX, SlapdServer  # noqa: E402
from sync_bench import drop_postgres, fresh_postgres, shown_url  # noqa: E402

BASE = f"ou=bench,{SUFFIX}"
FILTER = "(objectClass=inetOrgPerson)"
SLICE = 50_000


def floor(server: SlapdServer, page_size: int, out: Path) -> Child:
    """ldapsearch writing the entries to a file (the same search as the sync's): its seconds
    and peak RSS."""
    with out.open("wb") as handle:
        done = run_child(["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", server.url,
                          "-D", READER, "-w", READER_PASSWORD, "-b", BASE,
                          "-E", f"pr={page_size}/noprompt", FILTER, *ATTRIBUTES], stdout=handle)
    if done.returncode != 0:
        raise SystemExit(f"ldapsearch failed ({done.returncode})")
    return done


def sync(project: DirectoryProject, work: Path) -> Child:
    """`headcount sync AD` in a subprocess, its seconds and peak RSS; it must succeed."""
    env = {**os.environ, "HEADCOUNT_DATABASE_URL": project.url,
           "HC_BENCH_LDAP_PASSWORD": READER_PASSWORD}
    log = work / "sync.log"
    with log.open("wb") as out:
        done = run_child([sys.executable, "-c", "from headcount.cli.app import main; main()",
                          "--project", str(project.folder), "sync", "AD", "-q"],
                         env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"headcount sync failed ({done.returncode}):\n"
                         f"{log.read_text(errors='replace')}")
    return done


def job_result(project: DirectoryProject) -> dict[str, Any]:
    with project.ctx.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT state, counters, timings FROM runs "
                                   "ORDER BY id DESC")).one()
    return {"state": row[0], "counters": json.loads(row[1]), "timings": json.loads(row[2])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the work "
                                               "dir); on PostgreSQL a fresh database is made")
    parser.add_argument("--keep", type=Path, help="work here and keep it")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="directory-bench-",
                                              dir=BENCH_DIR / "out" if (BENCH_DIR / "out")
                                              .is_dir() else None))
    work.mkdir(parents=True, exist_ok=True)
    url = fresh_postgres(args.database_url) if args.database_url \
        and not args.database_url.startswith("sqlite") else args.database_url
    figures: dict[str, Any] = {"accounts": args.accounts, "page_size": args.page_size,
                               "database": shown_url(url)}
    start = time.perf_counter()
    ldif = work / "load.ldif"
    with phase_memory() as generated, ldif.open("w", encoding="utf-8") as out:
        # A slice at a time: a million accounts at once were gigabytes of objects and text.
        for first in range(1, args.accounts + 1, SLICE):
            out.write(slapd_ldif(accounts(min(first + SLICE - 1, args.accounts), first=first),
                                 BASE, with_base=first == 1))
    figures["generate_s"] = round(time.perf_counter() - start, 2)
    figures["generate_peak_rss_mb"] = round(generated.peak_mb, 1)
    start = time.perf_counter()
    server = SlapdServer.start(work / "slapd", ldif)
    figures["slapadd_s"] = round(time.perf_counter() - start, 2)
    project: DirectoryProject | None = None
    try:
        searched = floor(server, args.page_size, work / "floor.ldif")
        figures["floor_s"] = round(searched.seconds, 2)
        figures["floor_peak_rss_mb"] = round(searched.peak_mb, 1)
        project = DirectoryProject(
            work / "project", url or f"sqlite:///{work / 'project' / 'headcount.db'}",
            f"package: ldap\nurl: {server.url}\nbind_dn: \"{READER}\"\n"
            f"password_env: HC_BENCH_LDAP_PASSWORD\nbase_dn: \"{BASE}\"\n"
            f"filter: \"{FILTER}\"\npage_size: {args.page_size}")
        synced = sync(project, work)
        figures["sync_s"] = round(synced.seconds, 2)
        figures["sync_peak_rss_mb"] = round(synced.peak_mb, 1)
        result = job_result(project)
        figures["job"] = {"state": result["state"], "timings": result["timings"],
                          "inserted": result["counters"].get("inserted")}
    finally:
        if project is not None:
            project.close()
        server.stop()
        if url and url != args.database_url:
            drop_postgres(url)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if figures["job"]["inserted"] != args.accounts:
        raise SystemExit(f"expected {args.accounts} accounts inserted: {figures['job']}")
    figures["ratio"] = round(figures["sync_s"] / max(figures["floor_s"], 0.001), 1)
    export = figures["job"]["timings"].get("export", 0.0)
    print(f"directory accounts: {args.accounts:,} (page size {args.page_size}) · "
          f"{figures['database']}")
    print(f"  load (generate {figures['generate_s']:.2f}s, peak "
          f"{figures['generate_peak_rss_mb']:,.0f} MB; slapadd {figures['slapadd_s']:.2f}s); "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"  floor: ldapsearch into a file       {figures['floor_s']:8.2f} s   "
          f"peak {figures['floor_peak_rss_mb']:,.0f} MB")
    print(f"  headcount sync (subprocess)         {figures['sync_s']:8.2f} s   "
          f"×{figures['ratio']} the floor, peak {figures['sync_peak_rss_mb']:,.0f} MB")
    print(f"    of which the search (export step) {export:8.2f} s   "
          f"×{export / max(figures['floor_s'], 0.001):.1f} the floor")
    steps = ", ".join(f"{k} {v:.2f}s" for k, v in figures["job"]["timings"].items())
    print(f"    steps: {steps}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
