"""`headcount sync` of a connector that reads accounts from a real slapd (tests/slapd.py), on
SQLite and PostgreSQL: paged reads, multi-valued and binary attributes, incremental reads by
modifyTimestamp, and the errors of a wrong password or base — never a traceback, never the
password. Then one directory written to slapd, an LDIF file and both AD CSV exports gives the
same accounts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from directoryproject import (
    DOMAIN_SID,
    DirectoryProject,
    accounts,
    csvde_csv,
    export_ldif,
    powershell_csv,
    slapd_ldif,
)
from slapd import READER, READER_PASSWORD, SUFFIX, SlapdServer


def old(i: int) -> str:
    """When account i was last modified: a second of its own on New Year's Day 2020."""
    return f"20200101000{i // 60:01d}{i % 60:02d}Z"


@pytest.fixture
def base(slapd: SlapdServer) -> str:
    """An OU of the test's own on the session's server."""
    return f"ou=t{uuid.uuid4().hex[:10]},{SUFFIX}"


def server_connection(slapd: SlapdServer, base: str, **settings: object) -> str:
    lines = {"package": "ldap", "url": slapd.url, "bind_dn": f'"{READER}"',
             "password_env": "HC_TEST_LDAP_PASSWORD", "base_dn": f'"{base}"',
             "filter": '"(objectClass=inetOrgPerson)"', "page_size": 7,
             "incremental_by": "modifyTimestamp", **settings}
    return "\n".join(f"{k}: {v}" for k, v in lines.items())


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HC_TEST_LDAP_PASSWORD", READER_PASSWORD)
    return READER_PASSWORD


@pytest.fixture
def project(tmp_path: Path, db_url: str, slapd: SlapdServer, base: str, password: str
            ) -> Iterator[DirectoryProject]:
    p = DirectoryProject(tmp_path / "ad", db_url, server_connection(slapd, base))
    try:
        yield p
    finally:
        p.close()


def load(slapd: SlapdServer, base: str, n: int) -> None:
    """n accounts last modified in 2020, each at a second of its own (kept with the Relax
    Rules control): the last one holds the high-water mark."""
    text = slapd_ldif(accounts(n), base)
    for i in range(1, n + 1):
        text = text.replace(f"\nuid: u{i:06d}\n", f"\nuid: u{i:06d}\nmodifyTimestamp: {old(i)}\n")
    slapd.add(text, relax=True)


def test_a_sync_reads_every_page_with_decoded_values(project: DirectoryProject,
                                                     slapd: SlapdServer, base: str) -> None:
    load(slapd, base, 25)  # the server stops an unpaged search at 10 entries
    code, out = project.sync()
    assert code == 0, out
    stored = project.accounts()
    assert len(stored) == 25
    assert stored["u000004"] == {
        "Login": "u000004", "DN": f"uid=u000004,{base}", "Name": "Ann Person4",
        "Surname": "Person4", "Mail": "u4@example.org|alias4@example.org",
        "EmployeeNumber": "E000004", "Groups": "cn=g0,ou=groups,dc=headcount,dc=test",
        "Sid": f"{DOMAIN_SID}-1004", "Guid": str(uuid.UUID(int=1004 * 7919)),
        "Uac": "512", "Disabled": "false", "LastLogon": "2026-01-05T12:00:00Z"}
    assert stored["u000014"]["Disabled"] == "true"
    assert stored["u000014"]["Groups"] == ("cn=g0,ou=groups,dc=headcount,dc=test|"
                                           "cn=g1,ou=groups,dc=headcount,dc=test")
    assert stored["u000006"]["LastLogon"] is None
    run = project.last_run()
    assert run["counters"]["set_aside"] == {}
    (read,) = run["files"]
    assert read["name"] == f"{slapd.url}/{base}"
    assert read["rows"] == 25
    assert len(read["checksum"]) == 64
    assert read["high_water"] == old(25)
    assert f"search {slapd.url}/{base}: 25 entries" in " ".join(out.split())


def test_an_incremental_run_reads_only_what_changed(project: DirectoryProject,
                                                    slapd: SlapdServer, base: str) -> None:
    load(slapd, base, 12)
    assert project.sync()[0] == 0
    slapd.modify(f"dn: uid=u000003,{base}\nchangetype: modify\nreplace: cn\ncn: Renamed\n\n"
                 f"dn: uid=u000005,{base}\nchangetype: modify\nadd: mail\n"
                 "mail: new5@example.org\n")
    code, out = project.sync("--mode", "incremental")
    assert code == 0, out
    run = project.last_run()
    (read,) = run["files"]
    # The two changed, and the one at the mark: what changed at or after it is read again.
    assert read["rows"] == 3
    assert read["name"].endswith(f"(modifyTimestamp ≥ {old(12)})")
    assert read["high_water"] > old(12)
    assert run["counters"]["updated"] == 2
    stored = project.accounts()
    assert stored["u000003"]["Name"] == "Renamed"
    assert stored["u000005"]["Mail"] == "u5@example.org|new5@example.org"
    assert len(stored) == 12
    # Nothing changed since: the next incremental run reads from the new mark.
    code, out = project.sync("--mode", "incremental")
    assert code == 0, out
    assert project.last_run()["counters"]["updated"] == 0
    assert project.last_run()["files"][0]["rows"] in (1, 2)  # those changed in the last second


def test_a_wrong_password_fails_the_run_without_saying_it(project: DirectoryProject,
                                                          slapd: SlapdServer, base: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    load(slapd, base, 3)
    monkeypatch.setenv("HC_TEST_LDAP_PASSWORD", "wrong-password-123")
    code, out = project.sync()
    assert code != 0
    run = project.last_run()
    assert run["state"] == "failed"
    for text in (" ".join(out.split()), run["message"]):  # the console wraps long lines
        assert f"connection Accounts ({slapd.url})" in text
        assert "the bind DN or its password is wrong" in text
        assert "wrong-password-123" not in text
        assert READER_PASSWORD not in text
    assert "Traceback" not in out
    assert project.accounts() == {}


def test_a_base_that_does_not_exist_fails_the_run(tmp_path: Path, db_url: str,
                                                  slapd: SlapdServer, password: str) -> None:
    missing = f"ou=nowhere,{SUFFIX}"
    p = DirectoryProject(tmp_path / "ad", db_url, server_connection(slapd, missing))
    try:
        code, out = p.sync()
        assert code != 0
        assert p.last_run()["state"] == "failed"
        assert f"cannot search {missing}: the base DN does not exist" in " ".join(out.split())
        assert "Traceback" not in out
    finally:
        p.close()


def test_same_directory_three_sources_same_accounts(project: DirectoryProject,
                                                    slapd: SlapdServer, base: str,
                                                    tmp_path: Path) -> None:
    items = accounts(40)
    slapd.add(slapd_ldif(items, base))
    code, out = project.sync()
    assert code == 0, out
    from_server = project.accounts()
    assert len(from_server) == 40
    data = tmp_path / "exports"
    data.mkdir()
    (data / "ad.ldif").write_text(export_ldif(items, base), encoding="utf-8")
    (data / "powershell.csv").write_bytes(powershell_csv(items, base).encode("utf-8-sig"))
    (data / "csvde.csv").write_bytes(csvde_csv(items, base).encode("utf-16"))
    for name, settings in {
        "ldif": f"package: ldif\npath: {data / 'ad.ldif'}",
        "powershell": f"package: adcsv\npath: {data / 'powershell.csv'}",
        "csvde": f"package: adcsv\npath: {data / 'csvde.csv'}",
    }.items():
        # The same connector now reads the export: a complete run that changes nothing.
        project.reconfigure(settings)
        code, out = project.sync()
        assert code == 0, f"{name}: {out}"
        counters = project.last_run()["counters"]
        assert (counters["read"], counters["set_aside"], counters["inserted"],
                counters["updated"], counters["deleted"]) == (40, {}, 0, 0, 0), name
        assert project.accounts() == from_server, name


def test_an_export_with_a_quote_left_open_deletes_nobody(project: DirectoryProject,
                                                         tmp_path: Path) -> None:
    items = accounts(10)
    export = tmp_path / "powershell.csv"
    export.write_text(powershell_csv(items, "ou=people,dc=example,dc=org"), encoding="utf-8")
    project.reconfigure(f"package: adcsv\npath: {export}")
    assert project.sync()[0] == 0
    assert project.last_run()["counters"]["set_aside"] == {}
    text = export.read_text(encoding="utf-8")
    # The closing quote of account 5's last field is lost: the quote runs into the next line.
    assert text.count('01:00:00 PM"\n') == 1
    export.write_text(text.replace('01:00:00 PM"\n', "01:00:00 PM\n"), encoding="utf-8")
    code, out = project.sync()
    assert code != 0
    assert "a complete run deletes only what a file read whole no longer holds" in " ".join(
        out.split())
    assert len(project.accounts()) == 10
