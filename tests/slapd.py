"""A throw-away OpenLDAP server for the tests and the directory benchmark: `slapd` from the
machine's packages (slapd, ldap-utils), an mdb database under a temporary folder, the suffix
dc=headcount,dc=test, ldap:// and ldaps:// on free ports, with a certificate authority made here
(openssl) — and a second one that signed nothing, to see verification refuse it.

The schema adds an auxiliary class with Active Directory's account attributes (objectSid,
objectGUID as binary, userAccountControl, lastLogonTimestamp, memberOf…), so the decoding of AD
values is read from a real server. Under CI=true a missing slapd fails; elsewhere it skips."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from servers import free_port, unavailable

SUFFIX = "dc=headcount,dc=test"
ADMIN = f"cn=admin,{SUFFIX}"
PASSWORD = "slapd-secret-4711"
# The account headcount binds as: no administrator, the size limit applies to it.
READER = f"cn=reader,{SUFFIX}"
READER_PASSWORD = "reader-secret-0815"
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMA = "/etc/ldap/schema"
# Active Directory's attributes under a private test arc (never on a real server).
AD_SCHEMA = """
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'objectSid'
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'objectGUID'
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.3 NAME 'userAccountControl'
    EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.4 NAME 'lastLogonTimestamp'
    EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.5 NAME 'pwdLastSet'
    EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.6 NAME 'sAMAccountName'
    EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.7 NAME 'memberOf'
    EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
attributetype ( 1.3.6.1.4.1.99999.1.8 NAME 'accountExpires'
    EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.9 NAME 'whenCreated'
    EQUALITY generalizedTimeMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.24 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.10 NAME 'userPrincipalName'
    EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'headcountAdAccount' AUXILIARY
    MAY ( objectSid $ objectGUID $ userAccountControl $ lastLogonTimestamp $ pwdLastSet $
          sAMAccountName $ memberOf $ accountExpires $ whenCreated $ userPrincipalName ) )
"""
CONFIG = """
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {folder}/ad.schema
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
# A search that does not page stops at 10 entries: a reader that asked for one big result
# would fail here. Paged searches (RFC 2696) read on, page after page.
sizelimit size.soft=10 size.hard=10 size.prtotal=unlimited
TLSCACertificateFile {folder}/ca.pem
TLSCertificateFile {folder}/server.pem
TLSCertificateKeyFile {folder}/server.key
database mdb
maxsize 4294967296
suffix "{suffix}"
rootdn "{admin}"
rootpw {password}
directory {folder}/db
index objectClass eq
index uid eq
access to attrs=userPassword by anonymous auth by * none
access to * by * read
"""


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate authority (certificate, key) made with openssl."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name} test authority", "-keyout", str(key), "-out",
                    str(cert)], check=True, capture_output=True)
    return cert, key


def make_server_certificate(folder: Path, ca: tuple[Path, Path]) -> None:
    """server.pem / server.key for 127.0.0.1 and localhost, signed by `ca`."""
    ext = folder / "server.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n", encoding="utf-8")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(folder / "server.key"), "-out",
                    str(folder / "server.csr")], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", str(folder / "server.csr"), "-CA",
                    str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial", "-days", "2",
                    "-extfile", str(ext), "-out", str(folder / "server.pem")],
                   check=True, capture_output=True)


@dataclass
class SlapdServer:
    """A running slapd; `stop()` ends it and removes its folder."""

    folder: Path
    port: int
    tls_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def misnamed_url(self) -> str:
        """The TLS port on another address of the loopback, which the certificate does not
        name: a client that checks host names refuses it."""
        return f"ldaps://127.0.0.2:{self.tls_port}"

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def wrong_ca_file(self) -> Path:
        return self.folder / "other.pem"

    @classmethod
    def start(cls, folder: Path, ldif: Path | None = None) -> SlapdServer:
        """Configure and start slapd in `folder`; `ldif` is loaded first with slapadd (fast,
        offline), the suffix entry included."""
        (folder / "db").mkdir(parents=True)
        (folder / "ad.schema").write_text(AD_SCHEMA, encoding="utf-8")
        make_server_certificate(folder, make_ca(folder, "ca"))
        make_ca(folder, "other")
        conf = folder / "slapd.conf"
        conf.write_text(CONFIG.format(schema=SCHEMA, folder=folder, suffix=SUFFIX,
                                      admin=ADMIN, password=PASSWORD), encoding="utf-8")
        base = folder / "base.ldif"
        base.write_text(f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\n"
                        f"dc: headcount\no: headcount\n\ndn: {READER}\n"
                        "objectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
                        f"cn: reader\nuserPassword: {READER_PASSWORD}\n", encoding="utf-8")
        for data in [base, *([ldif] if ldif else [])]:
            subprocess.run([SLAPADD, "-q", "-f", str(conf), "-l", str(data)], check=True,
                           capture_output=True)
        server = cls(folder, free_port(), free_port())
        urls = f"{server.url}/ {server.ldaps_url}/ {server.misnamed_url}/"
        command = [SLAPD, "-f", str(conf), "-h", urls, "-d", "0"]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "root"]
        with (folder / "slapd.log").open("wb") as log:  # the child keeps its own descriptor
            server.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        server._wait()
        return server

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError("slapd stopped: "
                                   + (self.folder / "slapd.log").read_text(errors="replace"))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("slapd did not answer within 30 s")

    def ldap(self, tool: str, ldif: str, *options: str) -> None:
        """Run ldapadd/ldapmodify/ldapdelete as the administrator with `ldif` on stdin."""
        subprocess.run([tool, "-x", "-H", self.url, "-D", ADMIN, "-w", PASSWORD, *options],
                       input=ldif, text=True, check=True, capture_output=True)

    def add(self, ldif: str, relax: bool = False) -> None:
        """Add entries; with `relax`, operational attributes they give (modifyTimestamp) are
        kept (the Relax Rules control) — how a test builds entries last changed long ago."""
        self.ldap("ldapadd", ldif, *(["-e", "relax"] if relax else []))

    def modify(self, ldif: str) -> None:
        self.ldap("ldapmodify", ldif)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def slapd() -> Iterator[SlapdServer]:
    """One slapd for the session; each test writes under an OU of its own."""
    if not Path(SLAPD).is_file() or shutil.which("ldapadd") is None:
        unavailable("slapd", "install the packages slapd and ldap-utils")
    folder = Path(tempfile.mkdtemp(prefix="headcount-slapd-"))
    server = SlapdServer.start(folder)
    try:
        yield server
    finally:
        server.stop()
