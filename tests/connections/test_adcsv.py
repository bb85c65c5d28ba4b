"""The AD CSV connection: PowerShell's Export-Csv and csvde, normalised to the LDAP attribute
names and decoded as LDAP and LDIF values are."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.config.directory import AdCsvConnection
from headcount.connections.adcsv import read_adcsv
from headcount.errors import SourceError

SID = "010500000000000515000000a065cf7e784b9b5fe77c8770f4010000"
GUID = "c02a4a7f8b0a2d4fa2f1d7b1e2c3a4b5"
ADMINS = "CN=admins,OU=Groups,DC=example,DC=org"
STAFF = "CN=staff,OU=Groups,DC=example,DC=org"
ATTRIBUTES = ["sAMAccountName", "objectSid", "objectGUID", "memberOf", "userAccountControl",
              "lastLogonTimestamp", "whenCreated", "sn"]
EXPECTED = [
    {"dn": "CN=Ada,OU=People,DC=example,DC=org", "sAMAccountName": "ada",
     "objectSid": "S-1-5-21-2127521184-1604012920-1887927527-500",
     "objectGUID": "7f4a2ac0-0a8b-4f2d-a2f1-d7b1e2c3a4b5", "memberOf": f"{ADMINS}|{STAFF}",
     "userAccountControl": "514", "lastLogonTimestamp": "2022-06-18T04:26:40Z",
     "whenCreated": "2026-05-01T10:00:00Z", "sn": "Lovelace", "accountDisabled": "true"},
    {"dn": "CN=Bob,OU=People,DC=example,DC=org", "sAMAccountName": "bob",
     "objectSid": None, "objectGUID": None, "memberOf": None,
     "userAccountControl": "512", "lastLogonTimestamp": None,
     "whenCreated": "2026-05-02T08:30:00Z", "sn": "Builder", "accountDisabled": "false"},
]
POWERSHELL = f'''#TYPE Microsoft.ActiveDirectory.Management.ADUser
"Created","DistinguishedName","Enabled","GivenName","lastLogonTimestamp","LastLogonDate","memberOf","Name","ObjectGUID","SamAccountName","SID","Surname","userAccountControl","whenCreated"
"5/1/2026 10:00:00 AM","CN=Ada,OU=People,DC=example,DC=org","False","Ada","133000000000000000","6/18/2022 4:26:40 AM","{ADMINS}|{STAFF}","Ada","7f4a2ac0-0a8b-4f2d-a2f1-d7b1e2c3a4b5","ada","S-1-5-21-2127521184-1604012920-1887927527-500","Lovelace","514","5/1/2026 10:00:00 AM"
"5/2/2026 8:30:00 AM","CN=Bob,OU=People,DC=example,DC=org","True","Bob",,,,"Bob",,"bob",,"Builder","512","5/2/2026 8:30:00 AM"
'''  # noqa: E501
CSVDE = f'''DN,objectClass,sAMAccountName,objectSid,objectGUID,memberOf,userAccountControl,lastLogonTimestamp,whenCreated,sn
"CN=Ada,OU=People,DC=example,DC=org",top;person;organizationalPerson;user,ada,X'{SID}',X'{GUID}',"{ADMINS};{STAFF}",514,133000000000000000,20260501100000.0Z,Lovelace
"CN=Bob,OU=People,DC=example,DC=org",top;person;organizationalPerson;user,bob,,,,512,,20260502083000.0Z,Builder
'''  # noqa: E501


def connection(**settings: object) -> AdCsvConnection:
    return AdCsvConnection.model_validate({"identifier": "Accounts", "package": "adcsv",
                                           "path": "ad.csv", "attributes": ATTRIBUTES,
                                           **settings})


def write(tmp_path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "ad.csv"
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "utf-16"])
@pytest.mark.parametrize("text", [POWERSHELL, CSVDE], ids=["powershell", "csvde"])
def test_both_exports_read_alike(tmp_path: Path, text: str, encoding: str) -> None:
    table = read_adcsv(write(tmp_path, text, encoding), connection())
    assert table.header == ["dn", *ATTRIBUTES, "accountDisabled"]
    assert table.frame.drop("__line").to_dicts() == EXPECTED
    first_row = 3 if text is POWERSHELL else 2
    assert table.frame["__line"].to_list() == [first_row, first_row + 1]


def test_powershell_names_become_ldap_names_without_attributes(tmp_path: Path) -> None:
    table = read_adcsv(write(tmp_path, POWERSHELL), connection(attributes=None))
    assert {"dn", "objectSid", "objectGUID", "sn", "whenCreated", "lastLogonTimestamp",
            "sAMAccountName", "Enabled", "accountDisabled"} <= set(table.header)
    # -Properties * exports whenCreated and Created: one column.
    assert [h.lower() for h in table.header].count("whencreated") == 1


def test_enabled_gives_account_disabled_without_user_account_control(tmp_path: Path) -> None:
    table = read_adcsv(write(tmp_path, POWERSHELL),
                       connection(attributes=["sAMAccountName", "accountDisabled"]))
    assert table.frame["accountDisabled"].to_list() == ["true", "false"]


def test_a_collection_column_is_refused_with_how_to_export_it(tmp_path: Path) -> None:
    text = POWERSHELL.replace(f"{ADMINS}|{STAFF}",
                              "Microsoft.ActiveDirectory.Management.ADPropertyValueCollection")
    with pytest.raises(SourceError, match=r"-join '\|'") as caught:
        read_adcsv(write(tmp_path, text), connection())
    assert caught.value.location is not None
    assert (caught.value.location.line, caught.value.location.column) == (3, "memberOf")


def test_a_collection_column_not_read_is_no_error(tmp_path: Path) -> None:
    text = POWERSHELL.replace(f"{ADMINS}|{STAFF}",
                              "Microsoft.ActiveDirectory.Management.ADPropertyValueCollection")
    table = read_adcsv(write(tmp_path, text), connection(attributes=["sAMAccountName"]))
    assert table.frame["sAMAccountName"].to_list() == ["ada", "bob"]


def test_local_dates_follow_the_connection_time_zone(tmp_path: Path) -> None:
    table = read_adcsv(write(tmp_path, POWERSHELL),
                       connection(local_timezone="Europe/Paris", attributes=["whenCreated"]))
    assert table.frame["whenCreated"].to_list() == ["2026-05-01T08:00:00Z",
                                                    "2026-05-02T06:30:00Z"]


def test_a_date_in_another_format_names_its_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="local_date_formats") as caught:
        read_adcsv(write(tmp_path, POWERSHELL.replace("5/2/2026 8:30:00 AM", "2 mai 2026")),
                   connection(attributes=["whenCreated"]))
    assert caught.value.location is not None
    assert caught.value.location.line == 4


def test_multi_values_are_joined_with_the_connection_separator(tmp_path: Path) -> None:
    for text in (POWERSHELL, CSVDE):
        table = read_adcsv(write(tmp_path, text), connection(multivalue_separator=";"))
        assert table.frame["memberOf"][0] == f"{ADMINS};{STAFF}"


def test_a_listed_attribute_missing_from_the_export_is_an_empty_column(tmp_path: Path) -> None:
    table = read_adcsv(write(tmp_path, CSVDE), connection(attributes=["sAMAccountName", "mail"]))
    assert table.frame["mail"].to_list() == [None, None]
    assert table.warnings == ["attribute `mail` is not a column of the export"]
