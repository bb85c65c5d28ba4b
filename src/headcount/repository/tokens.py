"""Service tokens (SPEC §11, §13): the bearer tokens machines present — a remote agent, an HR
system pushing records, a SCIM client. Each is shown once and stored as its SHA-256, carries
scopes (what it may do) and connectors (on which), and can be revoked; every creation and
revocation is audited, and each use stamps `last_used_at`.

User API tokens (repository/users.py) act as a person with a role; service tokens act as no one:
they reach only the machine endpoints of their scopes."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from headcount.errors import HeadcountError, NotFound
from headcount.repository.runs import audit, now
from headcount.repository.schema import service_tokens

# What a service token may do. `identities:read` covers every connector's identities (the
# read-only SCIM view of the repository); the others need connectors.
AGENT = "agent"
PUSH = "push"
SCIM = "scim"
IDENTITIES_READ = "identities:read"
SCOPES = (AGENT, PUSH, SCIM, IDENTITIES_READ)
_NEEDS_CONNECTORS = frozenset({AGENT, PUSH, SCIM})
PREFIX = "hcs_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@ -]{1,255}$")
# `last_used_at` is written at most this often per token: a busy pusher must not turn every
# request into a write.
_USE_STAMP_EVERY = timedelta(minutes=1)


class TokenError(HeadcountError):
    exit_code = 4  # refused, as a run that cannot start


@dataclass(frozen=True)
class ServiceToken:
    id: int
    name: str
    scopes: frozenset[str]
    connectors: frozenset[str]  # lower-cased identifiers
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def label(self) -> str:
        """How job results and provenance name it: "token 3 (paris-agent)"."""
        return f"token {self.id} ({self.name})"

    def allows(self, scope: str, connector: str | None = None) -> bool:
        if self.revoked_at is not None or scope not in self.scopes:
            return False
        return connector is None or connector.lower() in self.connectors


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token(row: sa.Row[*tuple[Any, ...]]) -> ServiceToken:
    m = row._mapping
    return ServiceToken(
        id=int(m["id"]), name=str(m["name"]), scopes=frozenset(json.loads(m["scopes"])),
        connectors=frozenset(c.lower() for c in json.loads(m["connectors"])),
        created_by=str(m["created_by"]), created_at=m["created_at"],
        last_used_at=m["last_used_at"], revoked_at=m["revoked_at"])


_COLUMNS = (service_tokens.c.id, service_tokens.c.name, service_tokens.c.scopes,
            service_tokens.c.connectors, service_tokens.c.created_by,
            service_tokens.c.created_at, service_tokens.c.last_used_at,
            service_tokens.c.revoked_at)


def create(conn: sa.Connection, name: str, scopes: list[str], connectors: list[str],
           actor: str) -> tuple[ServiceToken, str]:
    """Record a token; return it with its secret (shown once, never stored). `connectors` are
    the deployed identifiers, checked by the caller."""
    if not NAME_PATTERN.match(name):
        raise TokenError(f"a token's name is 1–255 letters, digits, spaces or _.@- (not {name!r})")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TokenError(f"unknown scope {', '.join(unknown) or '(none given)'}: scopes are "
                         f"among {', '.join(SCOPES)}")
    if set(scopes) & _NEEDS_CONNECTORS and not connectors:
        raise TokenError(f"scopes {', '.join(sorted(set(scopes) & _NEEDS_CONNECTORS))} need "
                         f"at least one connector (--connector)")
    secret = PREFIX + secrets.token_urlsafe(32)
    token_id = conn.execute(sa.insert(service_tokens).values(
        name=name, token_hash=_digest(secret), scopes=json.dumps(sorted(set(scopes))),
        connectors=json.dumps(sorted(set(connectors))), created_by=actor,
        created_at=now()).returning(service_tokens.c.id)).scalar_one()
    audit(conn, actor, "service token created",
          f"token {token_id} ({name}): {', '.join(sorted(set(scopes)))}"
          + (f" on {', '.join(sorted(set(connectors)))}" if connectors else ""), None)
    return get(conn, int(token_id)), secret


def get(conn: sa.Connection, token_id: int) -> ServiceToken:
    row = conn.execute(sa.select(*_COLUMNS).where(service_tokens.c.id == token_id)).first()
    if row is None:
        raise NotFound(f"no service token {token_id}")
    return _token(row)


def list_tokens(conn: sa.Connection, *, revoked: bool = True) -> list[ServiceToken]:
    query = sa.select(*_COLUMNS).order_by(service_tokens.c.id)
    if not revoked:
        query = query.where(service_tokens.c.revoked_at.is_(None))
    return [_token(r) for r in conn.execute(query)]


def authenticate(conn: sa.Connection, secret: str, scope: str,
                 connector: str | None = None) -> ServiceToken | None:
    """The live token `secret` is, when it has `scope` (on `connector` when given); None
    otherwise — the caller answers 401 without saying which check failed."""
    token = find(conn, secret, scope, connector)
    if token is not None:
        stamp_use(conn, token)
    return token


def find(conn: sa.Connection, secret: str, scope: str, connector: str | None = None
         ) -> ServiceToken | None:
    """`authenticate` without its write: for a caller that reads first (outside a write
    transaction) and calls `stamp_use` in the write transaction it opens next."""
    if not secret.startswith(PREFIX):
        return None
    row = conn.execute(sa.select(*_COLUMNS).where(
        service_tokens.c.token_hash == _digest(secret))).first()
    if row is None:
        return None
    token = _token(row)
    return token if token.allows(scope, connector) else None


def stamp_use(conn: sa.Connection, token: ServiceToken) -> None:
    """Record that `token` was used now, at most once every `_USE_STAMP_EVERY`."""
    stamp = now()
    if token.last_used_at is None or stamp - _aware(token.last_used_at) > _USE_STAMP_EVERY:
        conn.execute(sa.update(service_tokens).where(service_tokens.c.id == token.id)
                     .values(last_used_at=stamp))


def _aware(at: datetime) -> datetime:
    # SQLite gives back naive datetimes; they were written in UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def revoke(conn: sa.Connection, token_id: int, actor: str) -> ServiceToken:
    token = get(conn, token_id)
    if token.revoked_at is not None:
        raise TokenError(f"service token {token_id} ({token.name}) is already revoked")
    conn.execute(sa.update(service_tokens).where(service_tokens.c.id == token_id)
                 .values(revoked_at=now(), revoked_by=actor))
    audit(conn, actor, "service token revoked", token.label, None)
    return get(conn, token_id)
