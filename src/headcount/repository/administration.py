"""Administering users (issue 12, SPEC §13): their role, disabling, enabling, deleting and
resetting their password, each audited with who did it; and each person's own preferences and
password. headcount always keeps one enabled administrator, and nobody deletes or disables
their own account."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa

from headcount.errors import NotFound
from headcount.repository.runs import audit, now
from headcount.repository.schema import absences, api_tokens, users
from headcount.repository.users import (
    AccessError,
    User,
    check_email,
    check_role,
    close_sessions,
    set_password,
)

ADMINISTRATOR = "administrator"
# A change an actor makes to a user: (connection, actor, user's name).
Change = Callable[[sa.Connection, str, str], object]


class LastAdministrator(AccessError):
    """The change would leave nobody able to administer headcount."""

    def __init__(self, name: str, change: str) -> None:
        super().__init__(f"{name} is the last enabled administrator: they cannot be {change}; "
                         "make another user administrator first")
        self.name = name
        self.change = change


class OwnAccount(AccessError):
    """An administrator acting on their own account in a way only another may."""

    def __init__(self, name: str, change: str) -> None:
        super().__init__(f"{name} cannot be {change} by themself: another administrator can")
        self.name = name
        self.change = change


class UnknownTimeZone(AccessError):
    def __init__(self, zone: str) -> None:
        super().__init__(f"`{zone}` is not an IANA time zone (e.g. Europe/Paris)")
        self.zone = zone


@dataclass(frozen=True)
class UserSummary:
    """A user as an administrator sees them."""

    name: str
    role: str
    disabled: bool
    email: str | None
    created_at: datetime
    last_login_at: datetime | None
    identity: str | None
    language: str | None
    time_zone: str | None


_SUMMARY = (users.c.id, users.c.name, users.c.role, users.c.disabled, users.c.email,
            users.c.created_at, users.c.last_login_at, users.c.identity, users.c.language,
            users.c.time_zone)


def _summary(row: sa.Row[*tuple[Any, ...]]) -> UserSummary:
    return UserSummary(row.name, row.role, bool(row.disabled), row.email, row.created_at,
                       row.last_login_at, row.identity, row.language, row.time_zone)


def summaries(conn: sa.Connection) -> list[UserSummary]:
    """Every user, disabled ones too, by name."""
    return [_summary(row) for row in conn.execute(
        sa.select(*_SUMMARY).order_by(sa.func.lower(users.c.name)))]


def summary(conn: sa.Connection, name: str) -> UserSummary:
    row = _row(conn, name)
    return _summary(row)


def _row(conn: sa.Connection, name: str) -> sa.Row[*tuple[Any, ...]]:
    row = conn.execute(sa.select(*_SUMMARY).where(
        sa.func.lower(users.c.name) == name.lower())).first()
    if row is None:
        raise NotFound(f"no user `{name}`")
    return row


def _keep_an_administrator(conn: sa.Connection, row: sa.Row[*tuple[Any, ...]],
                           change: str) -> None:
    if row.role != ADMINISTRATOR or row.disabled:
        return
    # FOR UPDATE: two administrators demoting each other at once on PostgreSQL wait for one
    # another, and the second sees the first's change (SQLite writes one at a time anyway).
    enabled = conn.execute(sa.select(users.c.id).where(
        users.c.role == ADMINISTRATOR, users.c.disabled.is_(False)).with_for_update()).all()
    if all(other.id == row.id for other in enabled):
        raise LastAdministrator(row.name, change)


def _not_themself(actor: str, row: sa.Row[*tuple[Any, ...]], change: str) -> None:
    if actor.lower() == str(row.name).lower():
        raise OwnAccount(row.name, change)


def change_role(conn: sa.Connection, actor: str, name: str, role: str) -> bool:
    """Give `name` the role `role`; False when they had it already (nothing audited)."""
    check_role(role)
    row = _row(conn, name)
    if row.role == role:
        return False
    _keep_an_administrator(conn, row, "demoted")
    conn.execute(sa.update(users).where(users.c.id == row.id).values(role=role))
    audit(conn, actor, "user role changed", row.name, f"{row.role} → {role}")
    return True


def disable(conn: sa.Connection, actor: str, name: str) -> bool:
    """`name` can no longer log in; their sessions end and their API tokens are revoked at once
    (enabling them again brings neither back). False when they were disabled already."""
    row = _row(conn, name)
    if row.disabled:
        return False
    _not_themself(actor, row, "disabled")
    _keep_an_administrator(conn, row, "disabled")
    conn.execute(sa.update(users).where(users.c.id == row.id).values(disabled=True))
    closed = close_sessions(conn, row.id)
    revoked = conn.execute(sa.update(api_tokens).where(
        api_tokens.c.user_id == row.id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now())).rowcount
    audit(conn, actor, "user disabled", row.name,
          f"{closed} session(s) ended, {revoked} token(s) revoked")
    return True


def enable(conn: sa.Connection, actor: str, name: str) -> bool:
    """`name` may log in again; False when they were not disabled."""
    row = _row(conn, name)
    if not row.disabled:
        return False
    conn.execute(sa.update(users).where(users.c.id == row.id).values(disabled=False))
    audit(conn, actor, "user enabled", row.name, None)
    return True


def delete(conn: sa.Connection, actor: str, name: str) -> None:
    """Remove `name`, their sessions and tokens, and cancel the absences they declared or were
    the delegate of (their tasks go back to the person away). What they did stays in the audit
    log and the decisions, under their name."""
    row = _row(conn, name)
    _not_themself(actor, row, "deleted")
    _keep_an_administrator(conn, row, "deleted")
    close_sessions(conn, row.id)
    conn.execute(sa.delete(api_tokens).where(api_tokens.c.user_id == row.id))
    a = absences.c
    conn.execute(sa.update(absences).where(
        sa.or_(sa.func.lower(a.user_name) == str(row.name).lower(),
               sa.func.lower(a.delegate) == str(row.name).lower()),
        a.cancelled_at.is_(None)).values(cancelled_at=now()))
    conn.execute(sa.delete(users).where(users.c.id == row.id))
    audit(conn, actor, "user deleted", row.name, f"was {row.role}")


def generated_password() -> str:
    """A password to hand over once: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def reset_password(conn: sa.Connection, actor: str, name: str, password: str) -> None:
    """An administrator sets another user's password (they forgot it, or it leaked): their
    sessions end, so that whoever held one logs in again with the new password."""
    row = _row(conn, name)
    # One's own goes through `change_own_password`, which the current password guards.
    _not_themself(actor, row, "given a new password")
    set_password(conn, row.name, password)
    ended = close_sessions(conn, row.id)
    audit(conn, actor, "password reset", row.name,
          f"{ended} session(s) ended" if ended else None)


def change_own_password(conn: sa.Connection, user: User, password: str,
                        keep_session: str | None) -> int:
    """`user` chose a new password (the caller checked the current one, outside this write):
    their other sessions end, the one they use (`keep_session`, its cookie token) goes on.
    Returns how many sessions ended."""
    set_password(conn, user.name, password)
    ended = close_sessions(conn, user.id, keep_session)
    audit(conn, user.name, "password changed", user.name,
          f"{ended} other session(s) ended" if ended else None)
    return ended


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zones this machine knows, sorted; UTC first."""
    return ("UTC", *sorted(z for z in available_timezones() if z != "UTC"
                           and not z.startswith(("Etc/", "SystemV/"))
                           and "/" in z))


def set_preferences(conn: sa.Connection, user: User, language: str | None,
                    time_zone: str | None, email: str | None) -> list[str]:
    """`user`'s own language (None: the browser's), time zone (None: UTC) and e-mail (None:
    no notices by e-mail). The caller offers only the UI's languages. Returns what changed."""
    if time_zone is not None and time_zone not in available_timezones():
        raise UnknownTimeZone(time_zone)
    check_email(email)
    row = _row(conn, user.name)
    wanted = {"language": language, "time_zone": time_zone, "email": email}
    changed = [field for field, value in wanted.items() if getattr(row, field) != value]
    if changed:
        conn.execute(sa.update(users).where(users.c.id == row.id).values(**wanted))
        audit(conn, user.name, "preferences changed", user.name,
              ", ".join(f"{field}: {wanted[field] or '—'}" for field in changed))
    return changed
