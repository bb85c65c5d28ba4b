"""The LDAP connection: the entries of a paged search (RFC 2696) as a table, one row per entry
(`__line` its rank in the search), values decoded as LDIF and AD CSV values are.

Every failure — refused, TLS, credentials, no such base — is a SourceError naming the connection
and the server, never with the password. An incremental read asks only for what changed since
the high-water mark of the last run (`modifyTimestamp` or `uSNChanged`)."""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from headcount.config.directory import LdapConnection
from headcount.connections import ber
from headcount.connections.directory import Entries, generalized_time_text
from headcount.connections.reader import SourceFile, SourceTable
from headcount.errors import SourceError

with warnings.catch_warnings():
    # ldap3 2.9 imports names pyasn1 0.6 deprecates: nothing headcount can act on.
    warnings.simplefilter("ignore", DeprecationWarning)
    import ldap3
    from ldap3.core import exceptions as ldap_errors
    from ldap3.core.results import RESULT_CODES
    from ldap3.operation.search import search_operation
    from ldap3.protocol.rfc2696 import paged_search_control
    from ldap3.utils.conv import escape_filter_chars

_SCOPES = {"base": ldap3.BASE, "one": ldap3.LEVEL, "sub": ldap3.SUBTREE}
# Result codes people meet, said the way they would fix them.
_REASONS = {
    "invalidCredentials": "the bind DN or its password is wrong (invalidCredentials)",
    "noSuchObject": "the base DN does not exist on the server (noSuchObject)",
    "insufficientAccessRights": "the bind DN may not read there (insufficientAccessRights)",
    "filterError": "the filter is not a valid LDAP filter",
}


@dataclass(frozen=True)
class LdapRead:
    """What a search read: the table, and the high-water mark of `incremental_by` over it (the
    next incremental run reads from there), None without one."""

    table: SourceTable
    high_water: str | None


def read_ldap(connection: LdapConnection, project_dir: Path, since: str | None = None
              ) -> LdapRead:
    """The entries under the base DN that match the filter; with `since`, only those whose
    `incremental_by` attribute is at or past it."""
    password = _password(connection, project_dir)
    where = f"connection {connection.identifier} ({connection.server})"
    try:
        with _bound(connection, project_dir, password, where) as conn:
            return _search(conn, connection, since, where)
    except ldap_errors.LDAPException as exc:
        raise SourceError(f"{where}: {_said(exc, password)}") from None
    except (OSError, ssl.SSLError) as exc:
        raise SourceError(f"{where}: {_said(exc, password)}") from None


def _password(connection: LdapConnection, project_dir: Path) -> str | None:
    if connection.password_env:
        value = os.environ.get(connection.password_env)
        if value is None:
            raise SourceError(f"connection {connection.identifier}: the environment variable "
                              f"`{connection.password_env}` (password_env) is not set")
        return value
    if connection.password_file:
        path = _project_path(project_dir, connection.password_file)
        try:
            lines = path.read_text("utf-8").splitlines()
        except OSError as exc:
            raise SourceError(f"connection {connection.identifier}: the password file "
                              f"{path} cannot be read: {exc.strerror}") from None
        return lines[0] if lines else ""
    return None


def _project_path(project_dir: Path, name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else project_dir / path


def _said(exc: BaseException, password: str | None) -> str:
    text = str(exc) or type(exc).__name__
    failed = re.search(r"certificate verify failed: ([^(\\'\"]*)", text)
    if failed:
        text = (f"the server's certificate is not trusted ({failed.group(1).strip()}): is "
                "`ca_file` the authority that signed it?")
    elif "socket" in text and "[Errno" in text:
        text = "cannot connect: " + text[text.index("[Errno"):].split("]", 1)[-1].strip(" ')\",")
    if password:
        text = text.replace(password, "••••••")
    return text


@contextmanager
def _bound(connection: LdapConnection, project_dir: Path, password: str | None, where: str
           ) -> Iterator[Any]:
    """An open, bound, read-only connection, unbound on exit."""
    ca = _project_path(project_dir, connection.ca_file) if connection.ca_file else None
    if ca is not None and not ca.is_file():
        raise SourceError(f"{where}: the CA file {ca} (ca_file) does not exist")
    # The host name is checked here (_check_host): ldap3's own check leaks the socket of a
    # certificate it refuses, which a long-running server would pile up.
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED if connection.verify else ssl.CERT_NONE,
                    ca_certs_file=str(ca) if ca else None, valid_names=["*"])
    server = ldap3.Server(connection.server, tls=tls, get_info=ldap3.NONE,
                          connect_timeout=connection.timeout)
    conn = ldap3.Connection(server, user=connection.bind_dn, password=password, read_only=True,
                            receive_timeout=connection.timeout, raise_exceptions=False,
                            auto_referrals=False, check_names=False)
    try:
        with warnings.catch_warnings():
            # ldap3 first tries the host with the deprecated ssl.match_hostname, then takes
            # valid_names "*": the real check is _check_host's.
            warnings.simplefilter("ignore", DeprecationWarning)
            conn.open()
            if connection.start_tls:
                conn.start_tls()
        if connection.verify and (connection.start_tls or connection.url.startswith("ldaps:")):
            _check_host(conn.socket, connection, where)
        if not conn.bind():
            who = connection.bind_dn or "(anonymous)"
            raise SourceError(f"{where}: cannot bind as {who}: {_reason(conn.result)}")
        yield conn
    finally:
        # Closing a connection that already failed may fail again: nothing to say then.
        with suppress(ldap_errors.LDAPException, OSError):
            conn.unbind()
        # ldap3 leaves the socket of a failed TLS handshake open.
        if getattr(conn, "socket", None) is not None:
            with suppress(OSError):
                conn.socket.close()


def _check_host(sock: ssl.SSLSocket, connection: LdapConnection, where: str) -> None:
    """The certificate names the host of `url` (its subjectAltName, RFC 6125)."""
    host = urlsplit(connection.url).hostname or ""
    names = cast(tuple[tuple[str, str], ...],
                 (sock.getpeercert() or {}).get("subjectAltName", ()))
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for kind, value in names:
        if ip is not None and kind == "IP Address" and ipaddress.ip_address(value.strip()) == ip:
            return
        if ip is None and kind == "DNS" and _dns_matches(str(value), host):
            return
    shown = ", ".join(str(v) for _, v in names) or "none"
    raise SourceError(f"{where}: the server's certificate does not name the host {host} "
                      f"(it names: {shown})")


def _dns_matches(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):  # a wildcard stands for one whole leftmost label
        return "." in host and host.split(".", 1)[1] == pattern[2:]
    return pattern == host


def _reason(result: dict[str, Any] | None) -> str:
    result = result or {}
    code = str(result.get("description", "error"))
    message = str(result.get("message") or "").strip()
    said = _REASONS.get(code, code)
    return f"{said}: {message}" if message else said


def _search(conn: Any, connection: LdapConnection, since: str | None, where: str
            ) -> LdapRead:
    by = connection.incremental_by
    search_filter = connection.filter
    if since is not None and by is not None:
        search_filter = f"(&{_wrapped(search_filter)}({by}>={escape_filter_chars(since)}))"
    requested = list(connection.attributes) if connection.attributes is not None else ["*"]
    if by and by.lower() not in {a.lower() for a in requested}:
        requested.append(by)  # operational: never returned unless asked for
    entries = Entries(connection.attributes, connection.multivalue_separator)
    high: tuple[str, str] | None = None
    for rank, (dn, raw) in enumerate(_pages(conn, connection, search_filter, requested,
                                            where), start=1):
        if by is not None:
            mark = next((v for k, v in raw.items() if k.lower() == by.lower()), None)
            if mark:
                value = mark[0].decode("utf-8")
                order = _order(by, value)
                if high is None or order > high[0]:
                    high = (order, value)
        entries.add_raw(rank, dn, raw, where)
    search = f"{connection.server}/{connection.base_dn}"
    shown = search if since is None else f"{search} ({by} ≥ {since})"
    file = SourceFile(connection.identifier, shown, 0, entries.checksum(), len(entries.lines),
                      "ldap")
    notes = [] if entries.lines else ["the search found no entry"]
    table = SourceTable(file, entries.header, entries.frame(), warnings=notes)
    return LdapRead(table, high[1] if high else since)


def _wrapped(search_filter: str) -> str:
    text = search_filter.strip()
    return text if text.startswith("(") else f"({text})"


def _order(attribute: str, value: str) -> str:
    """A sortable form of a high-water value: the instant of a time, a USN padded."""
    if attribute.lower() == "usnchanged":
        return value.zfill(20)
    try:
        return generalized_time_text(value)
    except ValueError:
        return value


def _pages(conn: Any, connection: LdapConnection, search_filter: str,
           attributes: list[str], where: str) -> Iterator[tuple[str, dict[str, list[bytes]]]]:
    """(dn, raw values) of each entry, page after page: never the whole result at once. The
    request is ldap3's; the responses are read from their bytes (connections.ber)."""
    cookie: bytes | None = None
    while True:
        request = search_operation(
            connection.base_dn, search_filter, _SCOPES[connection.scope], ldap3.DEREF_NEVER,
            attributes, 0, connection.timeout, False, True, True)
        controls = [paged_search_control(False, connection.page_size, cookie)]
        message_id = conn.send("searchRequest", request, controls)
        result: ber.Done | None = None
        try:
            while result is None:
                raws = conn.strategy.receiving()
                if not raws:
                    raise SourceError(f"{where}: the server closed the connection")
                for raw in raws:
                    if not raw:
                        continue
                    number, op, body, found = ber.message(raw)
                    if number != message_id:
                        continue  # an unsolicited notification: the result tells the outcome
                    if op == ber.ENTRY:
                        yield ber.entry(body)
                    elif op == ber.DONE:
                        result = ber.done(body, found)
        except ber.BerError as exc:
            raise SourceError(f"{where}: an answer of the server cannot be read: {exc}"
                              ) from None
        finally:
            conn.strategy._outstanding.pop(message_id, None)
        if result.code != 0:
            said = {"description": RESULT_CODES.get(result.code, str(result.code)),
                    "message": result.message}
            verb = "cannot search" if result.code == 32 else "the search of"
            ending = "" if result.code == 32 else " failed"
            raise SourceError(f"{where}: {verb} {connection.base_dn}{ending}: {_reason(said)}")
        cookie = result.cookie
        if not cookie:
            return
