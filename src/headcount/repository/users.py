"""Users, roles, log-in sessions and API tokens (SPEC §13). Passwords are hashed with Argon2id
(memory-hard); session and API tokens are random and only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError

from headcount.errors import HeadcountError, NotFound
from headcount.repository.runs import now
from headcount.repository.schema import absences, api_tokens, audit_log, sessions, users
from headcount.roles import PERMISSIONS as PERMISSIONS
from headcount.roles import ROLES as ROLES
from headcount.roles import SCOPES as SCOPES

SESSION_LIFETIME = timedelta(hours=8)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
_hasher = PasswordHasher()


class AccessError(HeadcountError):
    exit_code = 5


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    # An API token may carry fewer rights than its user.
    scopes: frozenset[str] | None = None
    # Their preferences (the profile page): None is the browser's language, and UTC.
    language: str | None = None
    time_zone: str | None = None

    def can(self, permission: str) -> bool:
        allowed = PERMISSIONS.get(self.role, frozenset())
        if self.scopes is not None:
            allowed = allowed & self.scopes
        return permission in allowed


# What a `User` is read from, in this order (`_user`).
_USER = (users.c.id, users.c.name, users.c.role, users.c.language, users.c.time_zone)


def _user(row: sa.Row[*tuple[Any, ...]], scopes: frozenset[str] | None = None) -> User:
    return User(int(row[0]), row[1], row[2], scopes, row[3], row[4])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,255}$")


def login_key(name: str) -> str | None:
    """The one spelling under which a name's log-ins are counted, or None for a name no user
    can have (ASCII only: look-alike letters must not escape the throttle)."""
    return name.lower() if NAME_PATTERN.fullmatch(name) else None


def identity_of(conn: sa.Connection, name: str) -> str | None:
    """The key of the user's own Directory_User, if one was given (`user add --identity`)."""
    return conn.execute(sa.select(users.c.identity).where(users.c.name == name)).scalar()


DELIVERIES = ("immediate", "daily")


def add_user(conn: sa.Connection, name: str, password: str, role: str,
             identity: str | None = None, email: str | None = None,
             delivery: str = "immediate") -> User:
    _check_contact(email, delivery)
    if login_key(name) is None:
        raise AccessError("a user name holds letters, digits, '.', '_', '-', '@' (ASCII)")
    check_role(role)
    check_password(password)
    # A disabled user keeps their name: enabling them again must find it free.
    if conn.execute(sa.select(users.c.id).where(
            sa.func.lower(users.c.name) == name.lower())).first() is not None:
        raise AccessError(f"user `{name}` exists")
    user_id = conn.execute(sa.insert(users).values(
        name=name, password_hash=_hasher.hash(password), role=role, created_at=now(),
        disabled=False, identity=identity, email=email, delivery=delivery)
        .returning(users.c.id)).scalar_one()
    return User(int(user_id), name, role)


def check_role(role: str) -> None:
    if role not in PERMISSIONS:
        raise AccessError(f"unknown role `{role}`: one of {', '.join(ROLES)}")


MIN_PASSWORD = 8


class WeakPassword(AccessError):
    """A password too short to be one."""


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"a password has at least {MIN_PASSWORD} characters")


def set_contact(conn: sa.Connection, name: str, email: str | None, delivery: str) -> None:
    """Where `name`'s notices go (None: nowhere) and when: `immediate` or `daily`."""
    _check_contact(email, delivery)
    user = find_user(conn, name)
    if user is None:
        raise NotFound(f"no user `{name}`")
    conn.execute(sa.update(users).where(users.c.id == user.id)
                 .values(email=email, delivery=delivery))


def _check_contact(email: str | None, delivery: str) -> None:
    check_email(email)
    if delivery not in DELIVERIES:
        raise AccessError(f"unknown delivery `{delivery}`: one of {', '.join(DELIVERIES)}")


class NotAnEmail(AccessError):
    """An e-mail address without its `@`."""


def check_email(email: str | None) -> None:
    if email is not None and "@" not in parseaddr(email)[1]:
        raise NotAnEmail(f"`{email}` is not an e-mail address")


@dataclass(frozen=True)
class Contact:
    """How to reach an enabled user, and who they are to workflows."""

    name: str
    role: str
    email: str | None
    delivery: str
    identity: str | None


def contacts(conn: sa.Connection) -> dict[str, Contact]:
    """Every enabled user by name: few enough to hold, and one query for a batch of notices."""
    c = users.c
    return {name: Contact(name, role, email, delivery, identity)
            for name, role, email, delivery, identity in conn.execute(
                sa.select(c.name, c.role, c.email, c.delivery, c.identity)
                .where(c.disabled.is_(False)))}


@dataclass(frozen=True)
class Absence:
    id: int
    user: str
    starts: date
    ends: date
    delegate: str
    reason: str | None
    cancelled_at: datetime | None


def add_absence(conn: sa.Connection, name: str, starts: date, ends: date, delegate: str,
                reason: str | None) -> Absence:
    """`name` is away from `starts` to `ends` (inclusive): `delegate` acts for them."""
    user, other = find_user(conn, name), find_user(conn, delegate)
    if user is None:
        raise NotFound(f"no user `{name}`")
    if other is None:
        raise NotFound(f"no user `{delegate}` to delegate to")
    if other.id == user.id:
        raise AccessError("an absence is delegated to somebody else")
    if ends < starts:
        raise AccessError(f"an absence ends ({ends}) on or after the day it starts ({starts})")
    absence_id = conn.execute(sa.insert(absences).values(
        user_name=user.name, starts=starts, ends=ends, delegate=other.name, reason=reason,
        created_at=now()).returning(absences.c.id)).scalar_one()
    return Absence(int(absence_id), user.name, starts, ends, other.name, reason, None)


def list_absences(conn: sa.Connection, name: str | None = None,
                  since: date | None = None) -> list[Absence]:
    """Absences not cancelled, of one user or all, ending on `since` or later."""
    a = absences.c
    where: list[sa.ColumnElement[bool]] = [a.cancelled_at.is_(None)]
    if name is not None:
        where.append(sa.func.lower(a.user_name) == name.lower())
    if since is not None:
        where.append(a.ends >= since)
    return [Absence(int(r.id), r.user_name, r.starts, r.ends, r.delegate, r.reason,
                    r.cancelled_at)
            for r in conn.execute(sa.select(absences).where(*where).order_by(a.starts, a.id))]


def cancel_absence(conn: sa.Connection, absence_id: int) -> Absence:
    a = absences.c
    row = conn.execute(sa.select(absences).where(a.id == absence_id,
                                                 a.cancelled_at.is_(None))).first()
    if row is None:
        raise NotFound(f"no absence {absence_id} to cancel")
    at = now()
    conn.execute(sa.update(absences).where(a.id == absence_id).values(cancelled_at=at))
    return Absence(int(row.id), row.user_name, row.starts, row.ends, row.delegate, row.reason,
                   at)


def away_for(conn: sa.Connection, delegate: str, day: date) -> list[User]:
    """The enabled users away on `day` who delegated to `delegate`: whose tasks they act on."""
    a = absences.c
    rows = conn.execute(sa.select(users.c.id, users.c.name, users.c.role).select_from(
        absences.join(users, users.c.name == a.user_name)).where(
        sa.func.lower(a.delegate) == delegate.lower(), a.starts <= day, a.ends >= day,
        a.cancelled_at.is_(None), users.c.disabled.is_(False)).order_by(users.c.name)).all()
    return [User(int(i), n, r) for i, n, r in rows]


def delegates(conn: sa.Connection, day: date) -> dict[str, str]:
    """Who is away on `day` → their delegate (the latest absence declared wins)."""
    a = absences.c
    return {user: delegate for user, delegate in conn.execute(
        sa.select(a.user_name, a.delegate).where(a.starts <= day, a.ends >= day,
                                                 a.cancelled_at.is_(None)).order_by(a.id))}


def set_password(conn: sa.Connection, name: str, password: str) -> None:
    """`name`'s new password (a disabled user's too: set before they are enabled again)."""
    check_password(password)
    changed = conn.execute(sa.update(users).where(sa.func.lower(users.c.name) == name.lower())
                           .values(password_hash=_hasher.hash(password))).rowcount
    if not changed:
        raise NotFound(f"no user `{name}`")


def find_user(conn: sa.Connection, name: str) -> User | None:
    """The enabled user of that name (any case)."""
    row = conn.execute(sa.select(*_USER).where(
        sa.func.lower(users.c.name) == name.lower(), users.c.disabled.is_(False))).first()
    return None if row is None else _user(row)


def list_users(conn: sa.Connection) -> list[User]:
    rows = conn.execute(sa.select(users.c.id, users.c.name, users.c.role)
                        .where(users.c.disabled.is_(False)).order_by(users.c.name)).all()
    return [User(int(i), n, r) for i, n, r in rows]


def recent_failures(conn: sa.Connection, key: str) -> int:
    since = now() - FAILURE_WINDOW
    return int(conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(
        audit_log.c.action == "login failed", audit_log.c.target == key,
        audit_log.c.at >= since)).scalar_one())


def throttled(conn: sa.Connection, name: str) -> bool:
    key = login_key(name)
    return key is None or recent_failures(conn, key) >= MAX_FAILURES


def authenticate(conn: sa.Connection, name: str, password: str) -> User | None:
    """The user, when the password is right. Read-only: the caller checks `throttled` first
    and records the outcome, so that the slow hash runs outside any write transaction."""
    key = login_key(name)
    row = conn.execute(sa.select(*_USER, users.c.password_hash)
                       .where(sa.func.lower(users.c.name) == key,
                              users.c.disabled.is_(False))).first() if key else None
    if row is None:
        _hasher.hash(password)  # the same time whether the name exists or not
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError):
        return None
    return _user(row)


def open_session(conn: sa.Connection, user: User) -> tuple[str, str]:
    """A new session: (cookie token, CSRF token). Its opening is the user's last log-in, however
    they logged in."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    at = now()
    conn.execute(sa.insert(sessions).values(
        token_hash=_digest(token), user_id=user.id, csrf=csrf, created_at=at,
        expires_at=at + SESSION_LIFETIME))
    conn.execute(sa.update(users).where(users.c.id == user.id).values(last_login_at=at))
    return token, csrf


def session_user(conn: sa.Connection, token: str) -> tuple[User, str] | None:
    """The user of a live session and its CSRF token."""
    row = conn.execute(
        sa.select(*_USER, sessions.c.csrf, sessions.c.expires_at)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.token_hash == _digest(token), users.c.disabled.is_(False))).first()
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(
        tzinfo=now().tzinfo)
    if expires < now():
        return None
    return _user(row), row.csrf


def close_session(conn: sa.Connection, token: str) -> None:
    conn.execute(sa.delete(sessions).where(sessions.c.token_hash == _digest(token)))


def close_sessions(conn: sa.Connection, user_id: int, keep: str | None = None) -> int:
    """End every session of a user but the one whose cookie token is `keep`; how many ended."""
    ended = sa.delete(sessions).where(sessions.c.user_id == user_id)
    if keep:
        ended = ended.where(sessions.c.token_hash != _digest(keep))
    return int(conn.execute(ended).rowcount)


def create_token(conn: sa.Connection, user: User, name: str, scopes: list[str]) -> str:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise AccessError(f"scopes are among {', '.join(SCOPES)}")
    token = "hc_" + secrets.token_urlsafe(32)
    conn.execute(sa.insert(api_tokens).values(
        token_hash=_digest(token), user_id=user.id, name=name, scopes=json.dumps(scopes),
        created_at=now()))
    return token


def token_user(conn: sa.Connection, token: str) -> User | None:
    row = conn.execute(
        sa.select(*_USER, api_tokens.c.scopes)
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.token_hash == _digest(token), api_tokens.c.revoked_at.is_(None),
               users.c.disabled.is_(False))).first()
    if row is None:
        return None
    return _user(row, frozenset(json.loads(row.scopes)))


def list_tokens(conn: sa.Connection, user: User) -> list[dict[str, object]]:
    rows = conn.execute(sa.select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.scopes,
                                  api_tokens.c.created_at, api_tokens.c.revoked_at)
                        .where(api_tokens.c.user_id == user.id).order_by(api_tokens.c.id)).all()
    return [{"id": i, "name": n, "scopes": json.loads(s), "created_at": c, "revoked_at": r}
            for i, n, s, c, r in rows]


def revoke_token(conn: sa.Connection, user: User, token_id: int) -> None:
    result = conn.execute(sa.update(api_tokens).where(
        api_tokens.c.id == token_id, api_tokens.c.user_id == user.id,
        api_tokens.c.revoked_at.is_(None)).values(revoked_at=now()))
    if not result.rowcount:
        raise NotFound(f"no active token {token_id}")
