"""The LDIF connection (RFC 2849): folded lines, base64, comments, the version line; URLs and
change records refused; every error with its file and line; write → read round-trips."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headcount.config.directory import LdifConnection
from headcount.connections.ldif import ldif_entries, ldif_text, read_ldif
from headcount.errors import SourceError

SID = bytes.fromhex("010500000000000515000000a065cf7e784b9b5fe77c8770f4010000")
SAMPLE = f"""version: 1
# people of the test directory
#  a folded comment line

dn: uid=ada,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: ada
cn: Ada Lovelace
description: the first line of a long description that is folded over
  three physical lines of
  the file
memberOf: cn=admins,ou=groups,dc=example,dc=org
memberOf: cn=staff,ou=groups,dc=example,dc=org
objectSid:: {base64.b64encode(SID).decode()}
userAccountControl: 514

# the second entry
dn:: {base64.b64encode("uid=zoë,ou=people,dc=example,dc=org".encode()).decode()}
uid: zoë
cn:: {base64.b64encode(" Zoë ".encode()).decode()}
whenCreated: 20260501100000.0Z
"""


def connection(attributes: list[str] | None = None) -> LdifConnection:
    return LdifConnection(identifier="Accounts", package="ldif", path="accounts.ldif",
                          attributes=attributes)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.ldif"
    path.write_text(text, encoding="utf-8")
    return path


def test_entries_become_rows_with_the_line_of_their_dn(tmp_path: Path) -> None:
    table = read_ldif(write(tmp_path, SAMPLE), connection(
        ["uid", "cn", "description", "memberOf", "objectSid", "userAccountControl",
         "whenCreated"]))
    rows = table.frame.to_dicts()
    assert table.header == ["dn", "uid", "cn", "description", "memberOf", "objectSid",
                            "userAccountControl", "whenCreated", "accountDisabled"]
    assert [r["__line"] for r in rows] == [5, 18]
    ada, zoe = rows
    assert ada["description"] == ("the first line of a long description that is folded over "
                                  "three physical lines of the file")
    assert ada["memberOf"] == ("cn=admins,ou=groups,dc=example,dc=org|"
                               "cn=staff,ou=groups,dc=example,dc=org")
    assert ada["objectSid"] == "S-1-5-21-2127521184-1604012920-1887927527-500"
    assert ada["accountDisabled"] == "true"
    assert zoe["dn"] == "uid=zoë,ou=people,dc=example,dc=org"
    assert zoe["cn"] == " Zoë "
    assert zoe["whenCreated"] == "2026-05-01T10:00:00Z"
    assert zoe["memberOf"] is None
    assert table.file.rows == 2
    assert len(table.file.checksum) == 64


def test_without_attributes_every_attribute_is_a_column(tmp_path: Path) -> None:
    table = read_ldif(write(tmp_path, SAMPLE), connection())
    assert set(table.header) >= {"dn", "objectClass", "uid", "memberOf", "whenCreated"}


def test_attributes_match_in_any_case(tmp_path: Path) -> None:
    table = read_ldif(write(tmp_path, SAMPLE), connection(["UID", "MemberOf"]))
    assert table.header == ["dn", "UID", "MemberOf"]
    assert table.frame["UID"].to_list() == ["ada", "zoë"]


def test_crlf_line_ends_are_read(tmp_path: Path) -> None:
    path = tmp_path / "accounts.ldif"
    path.write_bytes(SAMPLE.replace("\n", "\r\n").encode("utf-8"))
    table = read_ldif(path, connection(["description"]))
    assert table.frame["description"][0].endswith("lines of the file")


@pytest.mark.parametrize(("text", "line", "said"), [
    ("dn: uid=a,dc=x\njpegPhoto:< file:///tmp/a.jpg\n", 2, "URL"),
    ("dn: uid=a,dc=x\nchangetype: modify\nreplace: cn\ncn: b\n", 2, "change record"),
    ("version: 1\n\ndn: uid=a,dc=x\ncontrol: 1.2.840.113556.1.4.805\n", 4, "change record"),
    ("uid: a\ncn: b\n", 1, "starts with `dn:`"),
    ("dn: uid=a,dc=x\ncn:: not base64!\n", 2, "base64"),
    ("dn: uid=a,dc=x\nno colon here\n", 2, "attribute: value"),
    (" continued\n", 1, "continuation"),
    ("version: 2\n", 1, "version"),
])
def test_errors_name_the_file_and_line(tmp_path: Path, text: str, line: int, said: str
                                       ) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SourceError, match=said) as caught:
        read_ldif(path, connection())
    assert caught.value.location is not None
    assert caught.value.location.file == path
    assert caught.value.location.line == line


def test_bytes_that_are_not_utf8_are_refused_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "accounts.ldif"
    path.write_bytes(b"dn: uid=a,dc=x\ncn: caf\xe9\n")
    with pytest.raises(SourceError, match="UTF-8") as caught:
        read_ldif(path, connection())
    assert caught.value.location is not None
    assert caught.value.location.line == 2


def test_an_empty_file_has_no_rows(tmp_path: Path) -> None:
    table = read_ldif(write(tmp_path, "version: 1\n"), connection(["uid"]))
    assert table.frame.height == 0
    assert table.warnings == ["the file holds no entry"]


attribute_names = st.from_regex(r"[a-z][a-zA-Z0-9-]{0,12}", fullmatch=True).filter(
    lambda n: n.lower() not in ("dn", "changetype", "control", "version"))
values = st.one_of(st.text(max_size=120), st.binary(max_size=60))
entry = st.tuples(
    st.text(min_size=1, max_size=80),
    st.dictionaries(attribute_names, st.lists(values, min_size=1, max_size=3), max_size=5),
)


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


@settings(max_examples=200)
@given(st.lists(entry, max_size=5), st.integers(2, 100))
def test_written_entries_read_back(entries: list[tuple[str, dict[str, list[str | bytes]]]],
                                   fold: int) -> None:
    text = ldif_text(entries, fold=fold)
    assert all(len(line) <= fold for line in text.split("\n"))
    read = list(ldif_entries(text.encode("utf-8")))
    assert [(dn, values) for _, dn, values in read] == [
        (dn, {a: [_as_bytes(v) for v in vs] for a, vs in values.items()})
        for dn, values in entries]
