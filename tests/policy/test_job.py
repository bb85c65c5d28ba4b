"""The policy step of a synchronization: HR resources become identities in the Directory, in the
same run — joiners added, movers modified, leavers deleted — with the rule named in their
history (SPEC §6.3, §7.1). A first slice of issue 4."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import sqlalchemy as sa

from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.resources import get_resource
from headcount.repository.schema import provisioning_orders
from headcount.samples import hrfiles
from runorders import listed_orders
from webproject import make_project

SAMPLES = Path(hrfiles.__file__).parent


def _project(tmp_path: Path, url: str) -> Path:
    return make_project(tmp_path / "hr", url, synchronized=False)


def test_hr_becomes_identities_in_the_same_run(tmp_path: Path, db_url: str) -> None:
    folder = _project(tmp_path, db_url)
    ctx = ProjectContext.open(folder, db_url)
    try:
        first = synchronize(ctx, SyncRequest("HR"))
        assert first.state == runs.SUCCEEDED, first.message
        assert first.counters["orders"] == {
            "HR_Site_To_Directory_Site": {"added": 8},
            "HR_ContractType_To_Directory_UserType": {"added": 5},
            "HR_Person_To_Directory_User": {"added": 300},
            "HR_Organization_To_Directory_Organization": {"added": 60},
            "HR_Person_To_Directory_UserRecord": {"added": 300},
        }
        with ctx.engine.connect() as conn:
            record = get_resource(conn, "Directory_UserRecord", "E00002")
            manager_key = record.links["Manager"][0][1]
            assert record.links["Manager"][0][2] is not None  # resolved in the same run
            assert record.links["User"][0][1:] == ("E00002", record.links["User"][0][2])
            assert record.links["Organization"][0][2] is not None
            assert record.values["Login"]
            assert record.history[0].connection == "HR_Person_To_Directory_UserRecord"
            user = get_resource(conn, "Directory_User", manager_key)
            assert "Directory_UserRecord.Manager" in user.reverse

        again = synchronize(ctx, SyncRequest("HR"))
        assert again.counters.get("orders", {}) == {}

        next_day = folder / "data" / "next_day"
        for name in ("hr_people.csv", "hr_organizations.csv", "hr_sites.csv"):
            shutil.copyfile(next_day / name, folder / "data" / name)
        moved = synchronize(ctx, SyncRequest("HR"))
        assert moved.state in (runs.SUCCEEDED, runs.WARNINGS), moved.message
        orders = moved.counters["orders"]
        records = orders["HR_Person_To_Directory_UserRecord"]
        assert records["added"] > 0
        assert records["modified"] > 0
        assert records["deleted"] > 0
        with ctx.engine.connect() as conn:
            kinds: dict[str, int] = dict(conn.execute(
                sa.select(provisioning_orders.c.kind, sa.func.count())
                .where(provisioning_orders.c.run_id == moved.id,
                       provisioning_orders.c.resource_type
                       == "HR_Person_To_Directory_UserRecord")
                .group_by(provisioning_orders.c.kind)).all())
        assert kinds == records
        # A conversion (a contractor back as an employee under a new key) is a re-key of
        # their identity, not a second one.
        counts = hrfiles.NextDayCounts.for_size(300)
        assert orders["HR_Person_To_Directory_User"]["added"] == counts.joiners
        with ctx.engine.connect() as conn:
            rekeys = [(target, source, json.loads(changes)["replaces"])
                      for target, source, changes in conn.execute(
                          sa.select(provisioning_orders.c.target_key,
                                    provisioning_orders.c.source_key,
                                    provisioning_orders.c.changes)
                          .where(provisioning_orders.c.run_id == moved.id,
                                 provisioning_orders.c.resource_type
                                 == "HR_Person_To_Directory_User",
                                 provisioning_orders.c.changes.contains('"replaces"')))]
            assert len(rekeys) == counts.conversions
            for target, source, replaced in rekeys:
                user = get_resource(conn, "Directory_User", target)
                assert (user.values["Identifier"], user.values["EmployeeId"]) == \
                    (replaced, source)
                assert get_resource(conn, "Directory_UserRecord", source).links["User"][0][1] \
                    == target
        assert synchronize(ctx, SyncRequest("HR")).counters.get("orders", {}) == {}
    finally:
        ctx.close()


def test_a_dry_run_lists_exactly_the_orders_of_the_real_run(tmp_path: Path,
                                                              sqlite_url: str) -> None:
    folder = _project(tmp_path, sqlite_url)
    ctx = ProjectContext.open(folder, sqlite_url)
    try:
        synchronize(ctx, SyncRequest("HR"))
        next_day = folder / "data" / "next_day"
        for name in ("hr_people.csv", "hr_organizations.csv", "hr_sites.csv"):
            shutil.copyfile(next_day / name, folder / "data" / name)
        with ctx.engine.connect() as conn:
            before = conn.execute(sa.text("SELECT count(*) FROM resources")).scalar_one()
        dry = synchronize(ctx, SyncRequest("HR", dry_run=True))
        with ctx.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM resources")).scalar_one() == before
        real = synchronize(ctx, SyncRequest("HR"))
        assert dry.counters["orders"] == real.counters["orders"]

        assert listed_orders(ctx.engine, dry.id) == listed_orders(ctx.engine, real.id)
        assert listed_orders(ctx.engine, dry.id)
    finally:
        ctx.close()


def test_a_resumed_run_feeds_the_directory_too(tmp_path: Path, sqlite_url: str) -> None:
    folder = _project(tmp_path, sqlite_url)
    ctx = ProjectContext.open(folder, sqlite_url)
    try:
        synchronize(ctx, SyncRequest("HR"))
        people = folder / "data" / "hr_people.csv"
        lines = people.read_text(encoding="latin-1").splitlines(keepends=True)
        people.write_text("".join(lines[:200]), encoding="latin-1")
        blocked = synchronize(ctx, SyncRequest("HR"))
        assert blocked.state == runs.BLOCKED
        from headcount.jobs.blocked import previewed_total, resume

        # Before anyone resumes, the blocked run shows the orders its changes give.
        preview = blocked.counters["orders"]
        assert preview["HR_Person_To_Directory_UserRecord"]["deleted"] == 101  # 199 kept
        resumed = resume(ctx, blocked.id, "reorganisation",
                         expected_orders=previewed_total(blocked))
        assert resumed.counters["orders"] == preview
    finally:
        ctx.close()


def test_a_low_confidence_match_opens_a_correlation_case_not_a_duplicate(
        tmp_path: Path, sqlite_url: str) -> None:
    import csv

    import polars as pl

    from headcount.config.loader import load_project_config
    from headcount.repository import deployments
    from headcount.repository.apply import apply_changes
    from headcount.repository.database import begin_write
    from headcount.repository.naming import Naming
    from headcount.repository.schema import correlation_cases
    from headcount.sync.changes import RESOURCE_SCHEMA, ChangeSet

    folder = _project(tmp_path, sqlite_url)
    policy = folder / "config" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace(
        "    correlation: [{source: [EmployeeId], target: [RecordIdentifier]}]",
        "    correlation:\n"
        "      - {source: [EmployeeId], target: [RecordIdentifier]}\n"
        "      - {source: [LastName, FirstName], target: [LastName, FirstName],"
        " confidence: 60}"), encoding="utf-8")
    with (folder / "data" / "hr_people.csv").open(encoding="latin-1", newline="") as handle:
        person = next(r for r in csv.DictReader(handle, delimiter=";")
                      if r["EmployeeId"] == "E00005")
    ctx = ProjectContext.open(folder, sqlite_url)
    try:
        with begin_write(ctx.engine) as conn:
            deployments.deploy(conn, load_project_config(folder))
            # A record keyed in by hand earlier, for the same person under another key.
            data = json.dumps({"RecordIdentifier": "X5", "LastName": person["LastName"].strip(),
                               "FirstName": person["FirstName"].strip().upper()})
            apply_changes(conn, ChangeSet(pl.DataFrame([{
                "kind": "insert", "entity_type": "Directory_UserRecord", "key": "X5",
                "data": data, "after": None, "hash": 0, "connection": "manual",
                "line": None}], schema=RESOURCE_SCHEMA)), 0,
                          Naming(deployments.require_latest(conn)[1]))
        first = synchronize(ctx, SyncRequest("HR"))
        assert first.counters["orders"]["HR_Person_To_Directory_UserRecord"]["added"] == 299
        with ctx.engine.connect() as conn:
            cases = conn.execute(sa.select(correlation_cases.c.source_key,
                                           correlation_cases.c.candidates,
                                           correlation_cases.c.confidence)).all()
            # Each candidate with its score and the target properties that matched.
            assert [(k, json.loads(c), n) for k, c, n in cases] == [
                ("E00005", [{"key": "X5", "score": 60, "matched": ["LastName", "FirstName"]}],
                 60)]
            assert conn.execute(sa.text(
                "SELECT count(*) FROM resources WHERE entity_type = 'Directory_UserRecord' "
                "AND key = 'E00005'")).scalar_one() == 0
        synchronize(ctx, SyncRequest("HR"))
        with ctx.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(correlation_cases)
                                ).scalar_one() == 1  # not opened twice
    finally:
        ctx.close()


def test_homonyms_get_distinct_logins(tmp_path: Path, sqlite_url: str) -> None:
    folder = _project(tmp_path, sqlite_url)
    ctx = ProjectContext.open(folder, sqlite_url)
    try:
        synchronize(ctx, SyncRequest("HR"))
        with ctx.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT data FROM resources WHERE entity_type = 'Directory_UserRecord'")).all()
        records = [json.loads(r[0]) for r in rows]
        logins = [r["Login"] for r in records]
        assert len(set(logins)) == len(logins) == 300
        names = [(r["FirstName"], r["LastName"]) for r in records]
        assert len(set(names)) < len(names)  # the sample has homonyms
        assert any(login[-1].isdigit() for login in logins)
        again = synchronize(ctx, SyncRequest("HR"))
        assert again.counters.get("orders", {}) == {}  # logins are stable
    finally:
        ctx.close()


def test_the_sample_sets_user_types_from_the_hr_contract_types(tmp_path: Path,
                                                                db_url: str) -> None:
    folder = _project(tmp_path, db_url)
    ctx = ProjectContext.open(folder, db_url)
    try:
        synchronize(ctx, SyncRequest("HR"))
        people = (folder / "data" / "hr_people.csv").read_text("latin-1").splitlines()[1:]
        contract = {row.split(";")[0]: row.split(";")[9] for row in people}
        with ctx.engine.connect() as conn:
            contractor = get_resource(conn, "Directory_UserType", "contractor")
            assert contractor.values["IsExternal"] in (True, "true")
            assert contractor.values["LoginPrefix"] == "x-"
            for kind in ("contractor", "permanent"):
                key = next(k for k, c in contract.items() if c == kind)
                record = get_resource(conn, "Directory_UserRecord", key)
                assert record.links["UserType"][0][1] == kind
                login = str(record.values["Login"])
                assert login.startswith("x-") == (kind == "contractor"), login
    finally:
        ctx.close()
