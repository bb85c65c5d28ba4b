"""A throw-away Samba Active Directory domain controller, for tests that need real AD attributes
(`objectSid`, `objectGUID`, `userAccountControl`, `lastLogonTimestamp`, `pwdLastSet`).

Each test module that uses it provisions one domain (`samba-tool domain provision`, a few
seconds), loads it with the sample directory (`headcount.samples.directory`) while it is
stopped — `ldbadd` on sam.ldb is about three times faster than LDAP adds, and only then can
`lastLogonTimestamp`, `pwdLastSet` and `whenCreated` be written — then runs `samba -i -M single`
on 127.0.0.1 with only its LDAP service, and stops it at the end of the module. A missing
Samba skips these tests, and fails them under CI=true.

Samba cannot move LDAPS off port 636, nor serve an address the machine has no interface for:
one DC per machine at a time, so a module waits for the lock of another one's DC (another
pytest-xdist worker's, or another session's).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

import ldap3

from headcount.samples.directory import (
    BASE_DN,
    DOMAIN_SID,
    NETBIOS_DOMAIN,
    REALM,
    SampleDirectory,
    sample_directory,
)
from headcount.samples.directoryfiles import (
    filetime,
    samba_ldif,
    samba_logons_ldif,
    samba_system_ldif,
)
from servers import unavailable

HOST = "127.0.0.1"
LDAPS_PORT = 636
HOST_NAME = "DC1"
# The DC's certificate names both, so that a client verifies it whether it connects by address
# (as the tests do: the name is in no DNS) or by name.
CERTIFICATE_NAME = f"{HOST_NAME}.{REALM}"
ADMIN_PASSWORD = "Headcount-Adm1n-2026"
ADMIN_DN = f"CN=Administrator,CN=Users,{BASE_DN}"
# The sample's accounts, not the built-in ones (Administrator, Guest, krbtgt, the DC's own).
ACCOUNTS_FILTER = "(&(objectCategory=person)(objectClass=user)(!(isCriticalSystemObject=TRUE)))"
TOOLS = ("samba", "samba-tool", "ldbadd", "ldbmodify", "openssl")
LOCK_FILE = Path("/tmp/headcount-samba-dc.lock")
START_TIMEOUT = 60.0
LOCK_TIMEOUT = 900.0


class SambaError(RuntimeError):
    """A step of the DC's life that failed, with what the tool said."""


@dataclass
class SambaDomain:
    """A provisioned domain in `folder`: its files, and its process while it runs."""

    folder: Path
    process: subprocess.Popen[bytes] | None = None
    # The session the DC was started in (its own): what is left of it after a stop is a stray.
    session: int | None = None
    log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def conf(self) -> Path:
        return self.folder / "etc" / "smb.conf"

    @property
    def sam_ldb(self) -> Path:
        return self.folder / "private" / "sam.ldb"

    @property
    def domain_partition(self) -> Path:
        """The partition file of the domain's objects, below sam.ldb's modules."""
        return self.folder / "private" / "sam.ldb.d" / f"{BASE_DN.upper()}.ldb"

    @property
    def ca_file(self) -> Path:
        """The CA of the DC's certificate."""
        return self.folder / "private" / "tls" / "ca.pem"

    @property
    def url(self) -> str:
        return f"ldaps://{HOST}:{LDAPS_PORT}"


@dataclass(frozen=True)
class SambaServer:
    """The session's running DC and the sample directory loaded in it."""

    domain: SambaDomain
    directory: SampleDirectory


def unavailable_reason() -> str | None:
    """Why no DC can run here, or None."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None
               and not Path("/usr/sbin", tool).exists()]
    if missing:
        return (f"Samba is not installed (missing {', '.join(missing)}: apt-get install samba "
                "samba-ad-dc samba-ad-provision winbind krb5-user ldb-tools)")
    if os.geteuid() != 0:
        return "a Samba DC must run as root (it binds port 636)"
    return None


def require_samba() -> None:
    """Skip the test when Samba cannot run here; fail it under CI=true."""
    reason = unavailable_reason()
    if reason is not None:
        unavailable("Samba AD DC", reason)


def _tool_environment() -> dict[str, str]:
    """Samba's tools are Python programs importing the package `samba`: a PYTHONPATH that
    holds this folder would hand them this module instead."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}


def _run(command: list[str], what: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          env=_tool_environment())
    if done.returncode != 0:
        raise SambaError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def _tool(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def provision(folder: Path) -> SambaDomain:
    """A new domain (realm headcount.test, the sample's domain SID) in `folder`, restricted to
    127.0.0.1 and LDAP, keeping every file it writes (logs, pid) inside `folder`."""
    options = {
        "interfaces": HOST, "bind interfaces only": "yes", "server services": "ldap",
        "log file": str(folder / "log" / "samba.log"), "pid directory": str(folder / "run"),
        "winbindd socket directory": str(folder / "winbindd"),
        "ntp signd socket directory": str(folder / "ntp_signd"),
    }
    for sub in ("log", "run"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    _run([_tool("samba-tool"), "domain", "provision", f"--realm={REALM.upper()}",
          f"--domain={NETBIOS_DOMAIN}", "--server-role=dc", "--dns-backend=NONE",
          f"--targetdir={folder}", f"--adminpass={ADMIN_PASSWORD}", f"--host-name={HOST_NAME}",
          f"--domain-sid={DOMAIN_SID}",
          *(f"--option={name}={value}" for name, value in options.items())],
         "samba-tool domain provision")
    domain = SambaDomain(folder)
    issue_certificate(domain.ca_file.parent)
    return domain


def issue_certificate(tls: Path) -> None:
    """A CA and the DC's certificate for its name and 127.0.0.1, where Samba looks for them
    (ca.pem, cert.pem, key.pem): the one Samba would generate names only the host name."""
    tls.mkdir(parents=True, exist_ok=True)
    openssl = _tool("openssl")
    _run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
          "-keyout", str(tls / "ca.key"), "-out", str(tls / "ca.pem"),
          "-subj", "/O=headcount tests/CN=headcount test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], "openssl (CA)")
    _run([openssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tls / "key.pem"),
          "-out", str(tls / "cert.csr"), "-subj", f"/CN={CERTIFICATE_NAME}"],
         "openssl (request)")
    (tls / "cert.ext").write_text(
        f"subjectAltName=DNS:{CERTIFICATE_NAME},IP:{HOST}\n"
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n")
    _run([openssl, "x509", "-req", "-in", str(tls / "cert.csr"), "-CA", str(tls / "ca.pem"),
          "-CAkey", str(tls / "ca.key"), "-CAcreateserial", "-days", "3650",
          "-extfile", str(tls / "cert.ext"), "-out", str(tls / "cert.pem")],
         "openssl (certificate)")
    # Samba refuses a private key others may read.
    (tls / "key.pem").chmod(0o600)
    (tls / "ca.key").chmod(0o600)


def _ldif_file(domain: SambaDomain, name: str, text: str) -> Path:
    path = domain.folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load(domain: SambaDomain, directory: SampleDirectory) -> None:
    """The sample's OUs, users and groups, with their SIDs, GUIDs, logons, password and creation
    dates, written into a stopped DC."""
    _require_stopped(domain)
    _run([_tool("ldbadd"), "-H", str(domain.sam_ldb), "--controls=relax:0",
          str(_ldif_file(domain, "directory.ldif", samba_ldif(directory)))], "ldbadd")
    _run([_tool("ldbmodify"), "-H", str(domain.sam_ldb),
          str(_ldif_file(domain, "logons.ldif", samba_logons_ldif(directory)))],
         "ldbmodify (lastLogonTimestamp)")
    _run([_tool("ldbmodify"), "-H", str(domain.domain_partition),
          str(_ldif_file(domain, "system.ldif", samba_system_ldif(directory)))],
         "ldbmodify (pwdLastSet, whenCreated)")


def set_last_logons(domain: SambaDomain, logons: Mapping[str, datetime]) -> None:
    """`lastLogonTimestamp` of the accounts by DN, written into a stopped DC."""
    _require_stopped(domain)
    records = "".join(
        f"dn: {dn}\nchangetype: modify\nreplace: lastLogonTimestamp\n"
        f"lastLogonTimestamp: {filetime(moment)}\n-\n\n" for dn, moment in logons.items())
    _run([_tool("ldbmodify"), "-H", str(domain.sam_ldb),
          str(_ldif_file(domain, "set-logons.ldif", records))], "ldbmodify (lastLogonTimestamp)")


def _require_stopped(domain: SambaDomain) -> None:
    if domain.process is not None:
        raise SambaError("the DC must be stopped to write its database files")


def _port_open() -> bool:
    try:
        with socket.create_connection((HOST, LDAPS_PORT), timeout=0.5):
            return True
    except OSError:
        return False


def _end_with_this_process() -> None:
    """In the DC's process before it runs: SIGTERM when the test process dies (PR_SET_PDEATHSIG),
    so that a killed session leaves no DC holding port 636."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def start(domain: SambaDomain) -> None:
    """Runs the DC in the foreground of a child process; returns once LDAPS answers."""
    if _port_open():
        raise SambaError(f"{HOST}:{LDAPS_PORT} is already taken (another DC or LDAP server)")
    domain.log = (domain.folder / "log" / "samba.out").open("ab")
    domain.process = subprocess.Popen(
        [_tool("samba"), "-s", str(domain.conf), "-i", "-M", "single"],
        stdin=subprocess.DEVNULL, stdout=domain.log, stderr=subprocess.STDOUT,
        env=_tool_environment(), preexec_fn=_end_with_this_process, start_new_session=True)
    domain.session = domain.process.pid
    deadline = time.monotonic() + START_TIMEOUT
    while not _port_open():
        if domain.process.poll() is not None or time.monotonic() > deadline:
            stop(domain)
            tail = (domain.folder / "log" / "samba.out").read_text(errors="replace")[-2000:]
            raise SambaError(f"the DC did not answer on {LDAPS_PORT}: {tail}")
        time.sleep(0.1)


def stop(domain: SambaDomain) -> None:
    """Ends the DC (SIGTERM, then SIGKILL) and checks that no process of it is left."""
    process, domain.process = domain.process, None
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if domain.log is not None:
        domain.log.close()
        domain.log = None
    left = processes_of(domain)
    if left:
        raise SambaError(f"processes of the DC are left: {', '.join(left)}")


def processes_of(domain: SambaDomain) -> list[str]:
    """The ids of the processes of the DC's session (pgrep -s; Samba renames its processes,
    so their command line does not tell)."""
    if domain.session is None:
        return []
    return subprocess.run(["pgrep", "-s", str(domain.session)], capture_output=True, text=True,
                          check=False).stdout.split()


@contextmanager
def running(domain: SambaDomain) -> Iterator[SambaDomain]:
    start(domain)
    try:
        yield domain
    finally:
        stop(domain)


@contextmanager
def stopped(domain: SambaDomain) -> Iterator[SambaDomain]:
    """The DC stopped for the block (to write its files), running again after it."""
    stop(domain)
    try:
        yield domain
    finally:
        start(domain)


@contextmanager
def machine_lock() -> Iterator[None]:
    """Held while this session's DC may run: one DC per machine (port 636)."""
    with LOCK_FILE.open("a") as handle:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SambaError(f"another test session holds {LOCK_FILE}") from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def tls(domain: SambaDomain) -> ldap3.Tls:
    """Certificate verification on (the DC's address among its names), against its CA."""
    return ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(domain.ca_file))


def connect(domain: SambaDomain, user: str = ADMIN_DN,
            password: str = ADMIN_PASSWORD) -> ldap3.Connection:
    """A bound LDAPS connection (as Administrator unless told)."""
    server = ldap3.Server(HOST, port=LDAPS_PORT, use_ssl=True, tls=tls(domain),
                          get_info=ldap3.NONE)
    return ldap3.Connection(server, user=user, password=password, auto_bind=True,
                            raise_exceptions=True)


@contextmanager
def sample_server(folder: Path) -> Iterator[SambaServer]:
    """A DC provisioned in `folder`, loaded with the sample directory, running for the block."""
    require_samba()
    directory = sample_directory()
    with machine_lock():
        domain = provision(folder)
        load(domain, directory)
        with running(domain):
            yield SambaServer(domain, directory)
