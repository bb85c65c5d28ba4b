"""Issue 10's proof on the sample (SPEC §10): the sample's people after the next day, and their
Active Directory of 1,200 accounts read from each kind of source — its LDIF export, both AD CSV
exports, an OpenLDAP server and a Samba AD domain controller — give the same accounts and
exactly the orphans, suggested owners, unused, owner-left and service accounts built in; then
decisions are recorded, applied and exported, as a person does it with the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from headcount.cli.app import app
from headcount.repository.schema import resources
from headcount.samples import hrfiles
from headcount.samples.directory import (
    BASE_DN,
    ORGANIZATIONAL_UNITS,
    Category,
    SampleDirectory,
    for_sample,
)
from headcount.samples.directoryfiles import CsvShape, ad_ldif, ldif_record, write_ad_csv
from slapd import READER, READER_PASSWORD, SlapdServer

runner = CliRunner()
SAMPLE = Path(hrfiles.__file__).parent
LDIF_CONNECTION = "package: ldif\n        path: data/ad_users.ldif\n"
CATEGORIES = ("orphans", "unused", "owner-left", "service")


def cli(folder: Path, *args: str) -> str:
    result = runner.invoke(app, ["--project", str(folder), *args])
    assert result.exit_code == 0, result.output
    return result.output


def listed(folder: Path, category: str) -> set[str]:
    rows = csv.DictReader(io.StringIO(cli(folder, "accounts", category, "AD", "--csv")))
    return {r["account"] for r in rows}


def reviewed(folder: Path) -> dict[str, Any]:
    """What the review lists, by category, with the suggested owners of the orphans."""
    rows = list(csv.DictReader(io.StringIO(cli(folder, "accounts", "orphans", "AD", "--csv"))))
    return {"suggested": {r["account"]: r["suggested owner"] for r in rows
                          if r["suggested owner"]},
            **{c: listed(folder, c) for c in CATEGORIES}}


def expected(directory: SampleDirectory, owners: dict[str, str]) -> dict[str, Any]:
    """The same, from what the generator built: keys are objectGUIDs, owners Identifiers."""
    def of(*categories: Category) -> set[str]:
        return {a.object_guid for c in categories for a in directory.of(c)}
    return {"suggested": {a.object_guid: owners[a.likely_owner or ""]
                          for a in directory.of(Category.LIKELY_OWNER)},
            "orphans": of(Category.ORPHAN, Category.LIKELY_OWNER), "unused": of(Category.UNUSED),
            "owner-left": of(Category.LEAVER), "service": of(Category.SERVICE)}


def use_connection(folder: Path, connection: str) -> None:
    """The AD connector reads another source of the same directory: its connection replaced,
    the mapping unchanged, the configuration reloaded."""
    path = folder / "config" / "ad.yaml"
    text = (SAMPLE / "ad.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace(LDIF_CONNECTION, connection), encoding="utf-8")
    cli(folder, "reload")


def synced(folder: Path) -> str:
    out = " ".join(cli(folder, "sync", "AD").split())
    assert "succeeded" in out, out
    return out


def slapd_ldif(directory: SampleDirectory) -> str:
    """The AD user objects for OpenLDAP with the tests' AD schema (tests/slapd.py)."""
    units = "".join(ldif_record(ou, [("objectClass", "organizationalUnit"),
                                     ("ou", ou.split(",")[0].removeprefix("OU="))])
                    for ou in ORGANIZATIONAL_UNITS)
    users = ad_ldif(directory).removeprefix("version: 1\n\n")
    users = users.replace("objectClass: user\n",
                          "objectClass: inetOrgPerson\nobjectClass: headcountAdAccount\n")
    users = re.sub(r"^objectClass: (top|person|organizationalPerson)\n", "", users, flags=re.M)
    # inetOrgPerson requires sn, which service accounts do not have: their account name then.
    records = [r if re.search(r"^sn::? ", r, re.M) else
               r + f"\nsn: {re.search(r'^sAMAccountName: (.*)$', r, re.M)[1]}"  # type: ignore[index]
               for r in users.strip("\n").split("\n\n")]
    return units + "".join(r.rstrip("\n") + "\n\n" for r in records)


@pytest.fixture
def sample(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
           ) -> tuple[Path, SampleDirectory, dict[str, str]]:
    """The sample project on today's date, after the next day (directly fulfilled: no
    workflows), and the AD read from its LDIF export."""
    monkeypatch.setenv("HEADCOUNT_DATABASE_URL", db_url)
    folder = tmp_path / "project"
    (folder / "config").mkdir(parents=True)
    for name in ("hr.yaml", "directory.yaml", "policy.yaml", "ad.yaml"):
        (folder / "config" / name).write_text((SAMPLE / name).read_text(encoding="utf-8"),
                                              encoding="utf-8")
    today = datetime.now(UTC).date()
    hrfiles.main(["--out", str(folder / "data"), "--today", today.isoformat()])
    day_one = hrfiles.generate_day_one(hrfiles.DEFAULT_PEOPLE, hrfiles.DEFAULT_SEED, today)
    directory = for_sample(day_one, hrfiles.generate_next_day(day_one, hrfiles.DEFAULT_SEED))
    assert len(directory.accounts) >= 1000
    cli(folder, "reload")
    cli(folder, "sync", "HR")
    for file in (folder / "data" / "next_day").iterdir():
        (folder / "data" / file.name).write_bytes(file.read_bytes())
    cli(folder, "sync", "HR")
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(resources.c.key, resources.c.data).where(
                resources.c.entity_type == "Directory_User")).all()
    finally:
        engine.dispose()
    owners = {values["EmployeeId"]: key for key, data in rows
              for values in [json.loads(data) if isinstance(data, str) else data]}
    return folder, directory, owners


def test_each_source_gives_the_accounts_built_in_and_decisions_apply(
        sample: tuple[Path, SampleDirectory, dict[str, str]], tmp_path: Path) -> None:
    folder, directory, owners = sample
    want = expected(directory, owners)
    assert {k: len(v) for k, v in want.items()} == {
        "suggested": 15, "orphans": 55, "unused": 30, "owner-left": 10, "service": 20}

    out = synced(folder)
    assert "AD_User 1,200" in out
    assert "set aside 0" in out
    assert reviewed(folder) == want
    # Correlation by employeeNumber: every owned, disabled, unused and leaver's account has
    # the owner whose EmployeeId it names.
    rows = csv.DictReader(io.StringIO(cli(folder, "accounts", "unused", "AD", "--csv")))
    by_guid = {a.object_guid: a for a in directory.accounts}
    for row in rows:
        assert row["owner"] == owners[by_guid[row["account"]].employee_number or ""]

    # The same directory as an AD CSV export, in both shapes: a complete run changes nothing.
    write_ad_csv(directory, folder / "data" / "ad_users.csv", CsvShape.GET_ADUSER)
    write_ad_csv(directory, folder / "data" / "csvde.csv", CsvShape.CSVDE, encoding="utf-16")
    for connection in ("package: adcsv\n        path: data/ad_users.csv\n",
                       "package: adcsv\n        path: data/csvde.csv\n"
                       "        encoding: utf-16\n"):
        use_connection(folder, connection)
        out = synced(folder)
        assert "total 0 0 0" in out, out
        assert reviewed(folder) == want

    # Decisions: an orphan authorised with its suggested owner, one declared a service account,
    # two confirmed for disabling, one postponed — recorded, applied, exported.
    suggested = sorted(want["suggested"])
    plain = sorted(want["orphans"] - set(suggested))
    cli(folder, "accounts", "decide", "AD", "accept", suggested[0], "--as", "admin",
        "--comment", "same person, checked with HR")
    cli(folder, "accounts", "decide", "AD", "service", plain[0], "--as", "admin",
        "--responsible", owners[directory.of(Category.OWNED)[0].employee_number or ""],
        "--until", "2027-06-30", "--comment", "scanner")
    cli(folder, "accounts", "decide", "AD", "disable", plain[1], plain[2], "--as", "admin",
        "--comment", "nobody knows them")
    cli(folder, "accounts", "decide", "AD", "postpone", plain[3], "--as", "admin",
        "--until", "2027-01-15", "--comment", "ask the service desk")
    after = reviewed(folder)
    assert after["orphans"] == want["orphans"] - {suggested[0], plain[0]}
    assert plain[0] in after["service"]
    export = tmp_path / "orders.csv"
    cli(folder, "accounts", "export", "AD", "--out", str(export))
    orders = list(csv.DictReader(io.StringIO(export.read_text(encoding="utf-8"))))
    assert sorted(r["account"] for r in orders) == sorted(plain[1:3])
    assert {r["step"] for r in orders} == {"disable"}
    # A later read of the directory keeps the decisions.
    synced(folder)
    assert reviewed(folder) == after


@pytest.mark.slow
def test_an_openldap_server_gives_the_same(
        sample: tuple[Path, SampleDirectory, dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder, directory, owners = sample
    entries = tmp_path / "sample.ldif"
    entries.write_text(slapd_ldif(directory), encoding="utf-8")
    server = SlapdServer.start(tmp_path / "slapd", entries)
    try:
        monkeypatch.setenv("HEADCOUNT_TEST_LDAP_PASSWORD", READER_PASSWORD)
        use_connection(folder, (
            f"package: ldap\n        url: {server.ldaps_url}\n"
            f"        ca_file: {server.ca_file}\n        bind_dn: \"{READER}\"\n"
            "        password_env: HEADCOUNT_TEST_LDAP_PASSWORD\n"
            f"        base_dn: \"{BASE_DN}\"\n"
            "        filter: \"(objectClass=headcountAdAccount)\"\n"
            "        page_size: 500\n"))
        out = synced(folder)
        assert "AD_User 1,200" in out, out
        assert reviewed(folder) == expected(directory, owners)
    finally:
        server.stop()


@pytest.mark.slow
def test_a_samba_domain_controller_gives_the_same(
        sample: tuple[Path, SampleDirectory, dict[str, str]], samba_dc: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sambadc import ACCOUNTS_FILTER, ADMIN_DN, ADMIN_PASSWORD

    folder, directory, owners = sample
    monkeypatch.setenv("HEADCOUNT_TEST_AD_PASSWORD", ADMIN_PASSWORD)
    use_connection(folder, (
        f"package: ldap\n        url: {samba_dc.domain.url}\n"
        f"        ca_file: {samba_dc.domain.ca_file}\n"
        f'        bind_dn: "{ADMIN_DN}"\n        password_env: HEADCOUNT_TEST_AD_PASSWORD\n'
        f'        base_dn: "{BASE_DN}"\n        filter: "{ACCOUNTS_FILTER}"\n'))
    out = synced(folder)
    assert "AD_User 1,200" in out, out
    assert reviewed(folder) == expected(directory, owners)
