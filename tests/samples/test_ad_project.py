"""The sample's AD project file (samples/ad.yaml) read by the loader and synchronized: from its
LDIF export, and the same directory as AD CSV (both shapes) and from the Samba DC over LDAPS —
the same accounts, values and counts each time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments
from headcount.samples.directory import BASE_DN, SampleDirectory, sample_directory
from headcount.samples.directoryfiles import CsvShape, write_ad_csv, write_ad_ldif

# The directory connection packages come with the readers of issue 10.
pytest.importorskip("headcount.connections.ldif")

LDIF_CONNECTION = "package: ldif\n        path: data/ad_users.ldif\n"
Accounts = dict[str, dict[str, Any]]


def directory() -> SampleDirectory:
    return sample_directory()


def ad_yaml() -> str:
    return resources.files("headcount.samples").joinpath("ad.yaml").read_text(encoding="utf-8")


def synchronized(folder: Path, url: str, connection: str = LDIF_CONNECTION) -> Accounts:
    """A project of ad.yaml and the workforce template its owners are identities of (no HR:
    every account an orphan), its connection replaced by `connection`, synchronized once; the
    AD_User resources by key."""
    (folder / "config").mkdir(parents=True)
    (folder / "data").mkdir()
    template = resources.files("headcount.samples").joinpath("directory.yaml")
    (folder / "config" / "directory.yaml").write_text(template.read_text(encoding="utf-8"),
                                                      encoding="utf-8")
    text = ad_yaml()
    assert LDIF_CONNECTION in text
    (folder / "config" / "ad.yaml").write_text(text.replace(LDIF_CONNECTION, connection),
                                               encoding="utf-8")
    write_ad_ldif(directory(), folder / "data" / "ad_users.ldif")
    write_ad_csv(directory(), folder / "data" / "ad_users.csv", CsvShape.GET_ADUSER)
    write_ad_csv(directory(), folder / "data" / "csvde.csv", CsvShape.CSVDE, encoding="utf-16")
    ctx = ProjectContext.open(folder, url)
    try:
        with ctx.engine.begin() as conn:
            deployments.deploy(conn, load_project_config(folder))
        run = synchronize(ctx, SyncRequest("AD"))
        assert run.state == "succeeded", run.message
        with ctx.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT key, data FROM resources WHERE entity_type = 'AD_User'")).all()
    finally:
        ctx.close()
    return {key: json.loads(data) if isinstance(data, str) else data for key, data in rows}


@pytest.fixture(scope="module")
def from_ldif(tmp_path_factory: pytest.TempPathFactory) -> Accounts:
    url = f"sqlite:///{tmp_path_factory.mktemp('ldif')}/headcount.db"
    return synchronized(tmp_path_factory.mktemp("ldif-project"), url)


def test_the_ldif_gives_the_accounts_and_their_categories(tmp_path: Path, db_url: str) -> None:
    accounts = synchronized(tmp_path, db_url)
    built = directory()
    counts = built.counts
    assert set(accounts) == {a.object_guid for a in built.accounts}
    now = built.now
    disabled = [a for a in accounts.values() if a["accountDisabled"] in (True, "true")]
    unused = [a for a in accounts.values() if a["accountDisabled"] in (False, "false")
              and now - datetime.fromisoformat(str(a["lastLogonTimestamp"]).replace("Z", "+00:00"))
              > timedelta(days=90)]
    unnumbered = [a for a in accounts.values() if not a.get("employeeNumber")]
    assert len(disabled) == counts.disabled
    assert len(unused) == counts.unused
    assert len(unnumbered) == counts.orphans + counts.likely_owner + counts.service
    account = built.accounts[0]
    stored = accounts[account.object_guid]
    assert stored["objectSid"] == account.object_sid
    assert stored["memberOf"] == "|".join(account.member_of)


@pytest.mark.parametrize("connection", [
    "package: adcsv\n        path: data/ad_users.csv\n",
    "package: adcsv\n        path: data/csvde.csv\n        encoding: utf-16\n",
], ids=["get-aduser", "csvde"])
def test_an_ad_csv_export_gives_the_same_accounts(tmp_path: Path, from_ldif: Accounts,
                                                  connection: str) -> None:
    accounts = synchronized(tmp_path, f"sqlite:///{tmp_path}/headcount.db", connection)
    assert accounts == from_ldif


@pytest.mark.slow
def test_the_samba_dc_gives_the_same_accounts(tmp_path: Path, from_ldif: Accounts,
                                              samba_dc: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from sambadc import ACCOUNTS_FILTER, ADMIN_DN, ADMIN_PASSWORD

    monkeypatch.setenv("HEADCOUNT_TEST_AD_PASSWORD", ADMIN_PASSWORD)
    connection = (
        f"package: ldap\n        url: {samba_dc.domain.url}\n"
        f"        ca_file: {samba_dc.domain.ca_file}\n"
        f'        bind_dn: "{ADMIN_DN}"\n        password_env: HEADCOUNT_TEST_AD_PASSWORD\n'
        f'        base_dn: "{BASE_DN}"\n        filter: "{ACCOUNTS_FILTER}"\n')
    accounts = synchronized(tmp_path, f"sqlite:///{tmp_path}/headcount.db", connection)
    assert accounts == from_ldif
