"""Users who log in through an OpenID Connect provider (issue 12 item 9): found by the
provider's (issuer, subject) — never by name — created at their first log-in, their role set
again at each one."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher

from headcount.repository.runs import audit, now
from headcount.repository.schema import users
from headcount.repository.users import AccessError, User


class SignOnRefused(AccessError):
    """The provider vouched for the person, but headcount does not let them in: `disabled`
    (by an administrator), else none of their groups gives a role."""

    def __init__(self, message: str, disabled: bool) -> None:
        super().__init__(message)
        self.disabled = disabled


@dataclass(frozen=True)
class Subject:
    """Who the provider says is logging in: its verified ID token, read."""

    issuer: str
    subject: str
    # What to call a new user: preferred_username, else the e-mail, else the subject.
    preferred_name: str
    groups: tuple[str, ...]


def sign_on(conn: sa.Connection, who: Subject, role: str | None) -> User:
    """The user the provider's subject is, created when new, with `role`. Refused (and
    audited) when no group gives a role or when the user was disabled."""
    c = users.c
    row = conn.execute(sa.select(c.id, c.name, c.role, c.disabled).where(
        c.oidc_issuer == who.issuer, c.oidc_subject == who.subject)).first()
    if row is not None and row.disabled:
        audit(conn, row.name, "sso login refused", row.name, "the user is disabled")
        raise SignOnRefused(f"the user `{row.name}` is disabled in headcount", disabled=True)
    if role is None:
        name = row.name if row is not None else who.preferred_name
        groups = ", ".join(who.groups) or "none"
        audit(conn, name, "sso login refused", name,
              f"no group gives a role (groups: {groups})")
        raise SignOnRefused("none of the user's groups gives a role in headcount",
                            disabled=False)
    if row is None:
        name = _free_name(conn, who.preferred_name)
        # A password nobody knows: the account logs in through the provider only.
        user_id = conn.execute(sa.insert(users).values(
            name=name, password_hash=PasswordHasher().hash(secrets.token_urlsafe(32)),
            role=role, created_at=now(), disabled=False, oidc_issuer=who.issuer,
            oidc_subject=who.subject).returning(c.id)).scalar_one()
        audit(conn, name, "sso user created", name, f"role {role}, from {who.issuer}")
        return User(int(user_id), name, role)
    if row.role != role:
        conn.execute(sa.update(users).where(c.id == row.id).values(role=role))
        audit(conn, row.name, "sso role changed", row.name,
              f"{row.role} → {role}, from the provider's groups")
    return User(int(row.id), row.name, role)


def issuer_of(conn: sa.Connection, user: User) -> str | None:
    """The provider a user logs in through; None for a local account."""
    return conn.execute(sa.select(users.c.oidc_issuer).where(users.c.id == user.id)).scalar()


def _free_name(conn: sa.Connection, wanted: str) -> str:
    """`wanted` as a user name (ASCII letters, digits, `._-@`), with `-2`, `-3`… when another
    user, local or not, has it already."""
    ascii_name = unicodedata.normalize("NFKD", wanted).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9_.@-]+", "-", ascii_name).strip("-")[:240] or "sso-user"
    taken = {n.lower() for n in conn.execute(sa.select(users.c.name).where(
        sa.func.lower(users.c.name).like(f"{base.lower()}%"))).scalars()}
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base}-{n}"
    return name
