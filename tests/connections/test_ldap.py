"""The LDAP reader against a real slapd (tests/slapd.py): TLS verified both ways (ldaps:// and
StartTLS, the right authority accepted, another refused), where the password comes from, and
connection errors as SourceErrors naming the connection and the server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from directoryproject import accounts, slapd_ldif
from headcount.config.directory import LdapConnection
from headcount.connections.ldap import read_ldap
from headcount.errors import SourceError
from servers import free_port
from slapd import READER, READER_PASSWORD, SUFFIX, SlapdServer


@pytest.fixture(scope="module")
def base(slapd: SlapdServer) -> str:
    """Twelve accounts under an OU of this module's own."""
    ou = f"ou=r{uuid.uuid4().hex[:10]},{SUFFIX}"
    slapd.add(slapd_ldif(accounts(12), ou))
    return ou


def connection(slapd: SlapdServer, base: str, **settings: object) -> LdapConnection:
    return LdapConnection.model_validate({
        "identifier": "Accounts", "package": "ldap", "url": slapd.url, "bind_dn": READER,
        "password_env": "HC_TEST_READER", "base_dn": base,
        "filter": "(objectClass=inetOrgPerson)", "attributes": ["uid", "mail"], **settings})


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HC_TEST_READER", READER_PASSWORD)


def uids(slapd: SlapdServer, base: str, **settings: object) -> list[str]:
    table = read_ldap(connection(slapd, base, **settings), Path(".")).table
    return sorted(table.frame["uid"].to_list())


def test_pages_of_one_entry_read_every_entry(slapd: SlapdServer, base: str) -> None:
    assert len(uids(slapd, base, page_size=1)) == 12


def test_ldaps_with_the_authority_that_signed_the_certificate(slapd: SlapdServer, base: str
                                                              ) -> None:
    assert len(uids(slapd, base, url=slapd.ldaps_url, ca_file=str(slapd.ca_file))) == 12


def test_start_tls_with_the_authority_that_signed_the_certificate(slapd: SlapdServer,
                                                                  base: str) -> None:
    assert len(uids(slapd, base, start_tls=True, ca_file=str(slapd.ca_file))) == 12


@pytest.mark.parametrize("tls", ["ldaps", "start_tls"])
def test_another_authority_is_refused(slapd: SlapdServer, base: str, tls: str) -> None:
    settings: dict[str, object] = {"ca_file": str(slapd.wrong_ca_file)}
    settings |= {"url": slapd.ldaps_url} if tls == "ldaps" else {"start_tls": True}
    with pytest.raises(SourceError, match="certificate is not trusted") as caught:
        uids(slapd, base, **settings)
    assert "connection Accounts (" in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


def test_a_certificate_for_another_host_is_refused(slapd: SlapdServer, base: str) -> None:
    with pytest.raises(SourceError, match="does not name the host") as caught:
        uids(slapd, base, url=slapd.misnamed_url, ca_file=str(slapd.ca_file))
    assert "127.0.0.2" in str(caught.value)


def test_verify_false_accepts_any_certificate(slapd: SlapdServer, base: str) -> None:
    assert len(uids(slapd, base, url=slapd.ldaps_url, ca_file=str(slapd.wrong_ca_file),
                    verify=False)) == 12


def test_the_password_may_come_from_a_file(slapd: SlapdServer, base: str, tmp_path: Path
                                           ) -> None:
    (tmp_path / "secret").write_text(READER_PASSWORD + "\n", encoding="utf-8")
    read = read_ldap(connection(slapd, base, password_env=None, password_file="secret"),
                     tmp_path)
    assert read.table.frame.height == 12


def test_an_unset_password_variable_is_named(slapd: SlapdServer, base: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HC_TEST_READER")
    with pytest.raises(SourceError, match=r"`HC_TEST_READER` .* is not set"):
        uids(slapd, base)


def test_a_refused_connection_names_the_connection_and_server(slapd: SlapdServer, base: str
                                                              ) -> None:
    url = f"ldap://127.0.0.1:{free_port()}"
    with pytest.raises(SourceError) as caught:
        uids(slapd, base, url=url, timeout=2)
    said = str(caught.value)
    assert said.startswith(f"connection Accounts ({url}): cannot connect")
    assert "refused" in said
    assert READER_PASSWORD not in said


def test_without_attributes_every_user_attribute_is_read(slapd: SlapdServer, base: str
                                                         ) -> None:
    table = read_ldap(connection(slapd, base, attributes=None), Path(".")).table
    assert {"dn", "uid", "cn", "objectSid", "objectGUID", "memberOf",
            "accountDisabled"} <= set(table.header)
    assert table.file.name == f"{slapd.url}/{base}"
