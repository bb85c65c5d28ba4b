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
from slapd import READER, READER_PASSWORD, SUFFIX, SlapdServer  # noqa: E402
from sync_bench import drop_postgres, fresh_postgres, shown_url  # noqa: E402

BASE = f"ou=bench,{SUFFIX}"
FILTER = "(objectClass=inetOrgPerson)"


def floor(server: SlapdServer, page_size: int, out: Path) -> float:
    """Seconds of ldapsearch writing the entries to a file (the same search as the sync's)."""
    start = time.perf_counter()
    with out.open("wb") as handle:
        subprocess.run(["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", server.url,
                        "-D", READER, "-w", READER_PASSWORD, "-b", BASE,
                        "-E", f"pr={page_size}/noprompt", FILTER, *ATTRIBUTES],
                       stdout=handle, check=True)
    return time.perf_counter() - start


def sync(project: DirectoryProject) -> float:
    """Seconds of `headcount sync AD` in a subprocess; it must succeed."""
    env = {**os.environ, "HEADCOUNT_DATABASE_URL": project.url,
           "HC_BENCH_LDAP_PASSWORD": READER_PASSWORD}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from headcount.cli.app import main; main()",
                           "--project", str(project.folder), "sync", "AD", "-q"],
                          env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"headcount sync failed ({done.returncode}):\n{done.stdout}"
                         f"{done.stderr}")
    return seconds


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
    ldif.write_text(slapd_ldif(accounts(args.accounts), BASE), encoding="utf-8")
    figures["generate_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    server = SlapdServer.start(work / "slapd", ldif)
    figures["slapadd_s"] = round(time.perf_counter() - start, 2)
    project: DirectoryProject | None = None
    try:
        figures["floor_s"] = round(floor(server, args.page_size, work / "floor.ldif"), 2)
        project = DirectoryProject(
            work / "project", url or f"sqlite:///{work / 'project' / 'headcount.db'}",
            f"package: ldap\nurl: {server.url}\nbind_dn: \"{READER}\"\n"
            f"password_env: HC_BENCH_LDAP_PASSWORD\nbase_dn: \"{BASE}\"\n"
            f"filter: \"{FILTER}\"\npage_size: {args.page_size}")
        figures["sync_s"] = round(sync(project), 2)
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
    print(f"  load (generate {figures['generate_s']:.2f}s, slapadd {figures['slapadd_s']:.2f}s)")
    print(f"  floor: ldapsearch into a file       {figures['floor_s']:8.2f} s")
    print(f"  headcount sync (subprocess)         {figures['sync_s']:8.2f} s   "
          f"×{figures['ratio']} the floor")
    print(f"    of which the search (export step) {export:8.2f} s   "
          f"×{export / max(figures['floor_s'], 0.001):.1f} the floor")
    steps = ", ".join(f"{k} {v:.2f}s" for k, v in figures["job"]["timings"].items())
    print(f"    steps: {steps}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
