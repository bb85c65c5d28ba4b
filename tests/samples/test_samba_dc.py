"""The sample directory in a real Samba AD DC, read back over LDAPS with the certificate checked:
the AD attributes come back exactly as the generator built them (tests/sambadc.py)."""

from __future__ import annotations

import gc
import ssl
from datetime import timedelta
from pathlib import Path
from typing import Any

import ldap3
import pytest
from ldap3.core.exceptions import LDAPException, LDAPSocketOpenError

from headcount.samples.directory import BASE_DN, DOMAIN_SID, Account, Category
from headcount.samples.directoryfiles import (
    filetime,
    generalized_time,
    guid_bytes,
    samba_operations,
    sid_bytes,
)
from sambadc import (
    ACCOUNTS_FILTER,
    CERTIFICATE_NAME,
    HOST,
    LDAPS_PORT,
    SambaServer,
    connect,
    processes_of,
    set_last_logons,
    stopped,
)

pytestmark = pytest.mark.slow

ATTRIBUTES = ["sAMAccountName", "objectSid", "objectGUID", "userAccountControl",
              "lastLogonTimestamp", "pwdLastSet", "whenCreated", "employeeNumber", "displayName",
              "givenName", "sn", "mail", "description", "memberOf"]
DISABLED_FILTER = "(userAccountControl:1.2.840.113556.1.4.803:=2)"
OTHER_CA = Path(__file__).resolve().parents[1] / "notifications" / "tls" / "ca.crt"


def read_accounts(server: SambaServer, search_filter: str = ACCOUNTS_FILTER
                  ) -> dict[str, dict[str, list[bytes]]]:
    """sAMAccountName → raw attribute values, by a paged search."""
    connection = connect(server.domain)
    try:
        entries = connection.extend.standard.paged_search(
            BASE_DN, search_filter, attributes=ATTRIBUTES, paged_size=500, generator=False)
        return {e["raw_attributes"]["sAMAccountName"][0].decode(): e["raw_attributes"]
                for e in entries if e["type"] == "searchResEntry"}
    finally:
        connection.unbind()


def text(values: list[bytes]) -> list[str]:
    return [v.decode("utf-8") for v in values]


def expected_raw(account: Account) -> dict[str, list[bytes]]:
    def encoded(*values: str) -> list[bytes]:
        return [v.encode("utf-8") for v in values if v]

    last_logon = str(filetime(account.last_logon)) if account.last_logon else ""
    return {
        "objectSid": [sid_bytes(account.object_sid)],
        "objectGUID": [guid_bytes(account.object_guid)],
        "userAccountControl": encoded(str(account.user_account_control)),
        "lastLogonTimestamp": encoded(last_logon),
        "pwdLastSet": encoded(str(filetime(account.pwd_last_set))),
        "whenCreated": encoded(generalized_time(account.when_created)),
        "employeeNumber": encoded(account.employee_number),
        "displayName": encoded(account.display_name),
        "givenName": encoded(account.given_name),
        "sn": encoded(account.sn),
        "mail": encoded(account.mail),
        "description": encoded(account.description),
    }


def test_every_account_reads_back_as_built(samba_dc: SambaServer) -> None:
    read = read_accounts(samba_dc)
    directory = samba_dc.directory
    assert len(read) == directory.counts.accounts == len(directory.accounts) >= 1000
    for account in directory.accounts:
        raw = read[account.sam_account_name]
        got = {name: list(raw.get(name, [])) for name in expected_raw(account)}
        assert got == expected_raw(account), account.dn
        assert sorted(text(raw.get("memberOf", []))) == sorted(account.member_of), account.dn


def test_the_attributes_are_the_domain_s(samba_dc: SambaServer) -> None:
    """What the generator wrote is what AD means: SIDs in the domain, the ACCOUNTDISABLE bit
    answered by the server's own bitwise matching rule, memberOf derived from the groups."""
    connection = connect(samba_dc.domain)
    try:
        connection.search(BASE_DN, f"(&{ACCOUNTS_FILTER}{DISABLED_FILTER})",
                          attributes=["sAMAccountName", "objectSid"], size_limit=0)
        disabled = {e.sAMAccountName.value for e in connection.entries}
        connection.search(BASE_DN, "(objectClass=domain)", ldap3.BASE, attributes=["objectSid"])
        domain_sid = connection.entries[0].objectSid.raw_values
    finally:
        connection.unbind()
    assert domain_sid == [sid_bytes(DOMAIN_SID)]
    assert disabled == {a.sam_account_name for a in samba_dc.directory.of(Category.DISABLED)}
    counts = samba_dc.directory.counts
    assert len(disabled) == counts.disabled


def test_a_logon_200_days_old_is_written_with_the_dc_stopped(samba_dc: SambaServer) -> None:
    account = samba_dc.directory.of(Category.OWNED)[0]
    assert account.last_logon is not None
    old = samba_dc.directory.now - timedelta(days=200)
    try:
        with stopped(samba_dc.domain):
            assert processes_of(samba_dc.domain) == []
            set_last_logons(samba_dc.domain, {account.dn: old})
        assert processes_of(samba_dc.domain) != []
        raw = read_accounts(samba_dc, f"(sAMAccountName={account.sam_account_name})")
        assert raw[account.sam_account_name]["lastLogonTimestamp"] == [
            str(filetime(old)).encode()]
    finally:
        with stopped(samba_dc.domain):
            set_last_logons(samba_dc.domain, {account.dn: account.last_logon})
    raw = read_accounts(samba_dc, f"(sAMAccountName={account.sam_account_name})")
    assert raw[account.sam_account_name] == read_accounts(samba_dc)[account.sam_account_name]
    assert raw[account.sam_account_name]["lastLogonTimestamp"] == [
        str(filetime(account.last_logon)).encode()]


def test_over_ldap_the_dc_keeps_pwdlastset_and_whencreated(samba_dc: SambaServer) -> None:
    """Why the sample writes them into the stopped DC's files: Samba, like AD, takes only 0 or
    -1 for pwdLastSet and never whenCreated; lastLogonTimestamp it takes from Administrator."""
    account = samba_dc.directory.of(Category.OWNED)[1]
    assert account.last_logon is not None
    connection = connect(samba_dc.domain)
    try:
        for name, value in [("pwdLastSet", str(filetime(samba_dc.directory.now))),
                            ("whenCreated", generalized_time(samba_dc.directory.now))]:
            with pytest.raises(LDAPException):
                connection.modify(account.dn, {name: [(ldap3.MODIFY_REPLACE, [value])]})
        newer = str(filetime(account.last_logon + timedelta(days=1)))
        connection.modify(account.dn, {"lastLogonTimestamp": [(ldap3.MODIFY_REPLACE, [newer])]})
        connection.modify(account.dn, {"lastLogonTimestamp": [
            (ldap3.MODIFY_REPLACE, [str(filetime(account.last_logon))])]})
    finally:
        connection.unbind()
    raw = read_accounts(samba_dc, f"(sAMAccountName={account.sam_account_name})")
    assert {name: raw[account.sam_account_name][name] for name in expected_raw(account)} \
        == expected_raw(account)


def test_accounts_added_over_ldap_get_their_sid_from_the_dc(samba_dc: SambaServer) -> None:
    scratch = f"OU=Scratch,{BASE_DN}"
    operations = [op for op in samba_operations(samba_dc.directory)
                  if op.dn.startswith("CN=") and "employeeNumber" in op.attributes][:3]
    connection = connect(samba_dc.domain)
    added: list[str] = []
    try:
        connection.add(scratch, ["organizationalUnit"])
        for op in operations:
            dn = f"{op.dn.split(',')[0]},{scratch}"
            attributes: dict[str, Any] = {
                **op.attributes, "sAMAccountName": f"x{op.attributes['sAMAccountName']}"[:20],
                "userPrincipalName": f"x{op.attributes['userPrincipalName']}"}
            connection.add(dn, list(op.object_class), attributes)
            added.append(dn)
        connection.search(scratch, "(objectClass=user)", attributes=["objectSid",
                                                                     "employeeNumber"])
        sids = [e.objectSid.raw_values[0] for e in connection.entries]
        numbers = sorted(e.employeeNumber.value for e in connection.entries)
    finally:
        for dn in added:
            connection.delete(dn)
        connection.delete(scratch)
        connection.unbind()
    assert numbers == sorted(str(op.attributes["employeeNumber"]) for op in operations)
    # The DC's next RIDs: in the domain, and none of the sample's.
    rids = [int.from_bytes(sid[-4:], "little") for sid in sids]
    assert sids == [sid_bytes(f"{DOMAIN_SID}-{rid}") for rid in rids]
    assert not set(rids) & {int(a.object_sid.rsplit("-", 1)[1])
                            for a in samba_dc.directory.accounts}
    assert len(read_accounts(samba_dc)) == samba_dc.directory.counts.accounts


# ldap3 leaves the socket of a certificate it refuses by name open: collected here.
@pytest.mark.filterwarnings("ignore::ResourceWarning",
                            "ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("checked", ["another CA", "a name it does not carry"])
def test_the_certificate_is_verified(samba_dc: SambaServer, checked: str) -> None:
    """Refused: a certificate from another CA; the DC's own certificate for `localhost`
    (the same address, a name the certificate does not carry)."""
    ca = OTHER_CA if checked == "another CA" else samba_dc.domain.ca_file
    host = HOST if checked == "another CA" else "localhost"
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(ca))
    server = ldap3.Server(host, port=LDAPS_PORT, use_ssl=True, tls=tls, get_info=ldap3.NONE)
    with pytest.raises(LDAPSocketOpenError):
        ldap3.Connection(server, auto_bind=True)
    gc.collect()


def test_the_certificate_names_the_dc_and_its_address(samba_dc: SambaServer) -> None:
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(samba_dc.domain.ca_file),
                    valid_names=[CERTIFICATE_NAME])
    server = ldap3.Server(HOST, port=LDAPS_PORT, use_ssl=True, tls=tls, get_info=ldap3.NONE)
    connection = ldap3.Connection(server, auto_bind=True)  # anonymous: the TLS is the point
    connection.unbind()
    connect(samba_dc.domain).unbind()  # by address, as Administrator
