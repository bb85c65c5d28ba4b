"""`headcount user …`: the local users of the web UI and the API — adding, listing and
administering them (role, disable, enable, delete, password), where their notices go, and their
absences. Every change is audited; its actor is `cli:` and the operating system's user."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import sqlalchemy as sa
import typer
from rich.markup import escape
from rich.table import Table

from headcount.cli.root import Command, Group, app, console, handled, open_project
from headcount.repository import administration, runs, users
from headcount.repository.database import begin_write

EMAIL_HELP = "Where their notices go (tasks assigned, reminders, escalations, decisions)."
DELIVERY_HELP = "immediate (an e-mail as it happens) or daily (one digest a day)."
PASSWORD_ENV = "HEADCOUNT_PASSWORD"
T = TypeVar("T")

user_app = typer.Typer(cls=Group, help="Local users of the web UI and the API.",
                       no_args_is_help=True)
app.add_typer(user_app, name="user")


def cli_actor() -> str:
    """Who acts from the command line, for the audit log: `cli:` and the system user (no
    headcount user name holds a `:`, so it is never taken for one)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name in this environment (a bare container)
        return "cli"


def _password(given: str | None) -> str:
    # From the environment for scripts, else asked twice without echo.
    password = given or os.environ.get(PASSWORD_ENV)
    if password:
        return password
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def _write(cli: typer.Context, change: Callable[[sa.Connection], T]) -> T:
    ctx = open_project(cli)
    try:
        with begin_write(ctx.engine) as conn:
            return change(conn)
    finally:
        ctx.close()


def user_add(cli: typer.Context, name: str,
             role: Annotated[str, typer.Option(help=f"One of: {', '.join(users.ROLES)}.")],
             password: Annotated[str | None, typer.Option(
                 help=f"The password (better: ${PASSWORD_ENV}, or the prompt).")] = None,
             identity: Annotated[str | None, typer.Option(
                 help="The key of the person's own identity (Directory_User): who they are "
                      "to workflows, e.g. the manager of their reports.")] = None,
             email: Annotated[str | None, typer.Option(help=EMAIL_HELP)] = None,
             delivery: Annotated[str, typer.Option(help=DELIVERY_HELP)] = "immediate"
             ) -> None:
    """Add a local user with a role."""
    secret = _password(password)

    def add(conn: sa.Connection) -> users.User:
        user = users.add_user(conn, name, secret, role, identity, email, delivery)
        runs.audit(conn, cli_actor(), "user added", f"{user.name} ({user.role})", None)
        return user

    user = _write(cli, add)
    console.print(f"user {user.name} added with role {user.role}")


def user_list(cli: typer.Context) -> None:
    """Every user, disabled ones too: role, state, e-mail, last log-in (UTC)."""
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            everyone = administration.summaries(conn)
    finally:
        ctx.close()
    table = Table("user", "role", "state", "e-mail", "last log-in", box=None, pad_edge=False)
    for u in everyone:
        table.add_row(escape(u.name), u.role, "disabled" if u.disabled else "active",
                      escape(u.email or ""), _moment(u.last_login_at) or "never")
    console.print(table)


def _moment(at: datetime | None) -> str:
    if at is None:
        return ""
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite gives it back naive, in UTC
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def user_role(cli: typer.Context, name: str,
              role: Annotated[str, typer.Argument(help=f"One of: {', '.join(users.ROLES)}.")]
              ) -> None:
    """Give a user another role (the last enabled administrator keeps theirs)."""
    changed = _write(cli, lambda conn: administration.change_role(conn, cli_actor(), name,
                                                                  role))
    console.print(f"{name} is {role}" + ("" if changed else " already"))


def user_disable(cli: typer.Context, name: str) -> None:
    """Disable a user: no more log-in; their sessions end, their API tokens are revoked.

    At once: a page open in their browser is refused on its next click."""
    changed = _write(cli, lambda conn: administration.disable(conn, cli_actor(), name))
    console.print(f"{name} disabled" if changed else f"{name} was disabled already")


def user_enable(cli: typer.Context, name: str) -> None:
    """Enable a disabled user again (their old sessions and tokens stay ended)."""
    changed = _write(cli, lambda conn: administration.enable(conn, cli_actor(), name))
    console.print(f"{name} enabled" if changed else f"{name} was not disabled")


def user_delete(cli: typer.Context, name: str) -> None:
    """Delete a user, their sessions and API tokens.

    The absences they declared or were the delegate of are cancelled; what they did stays in
    the audit log and the decisions under their name."""
    _write(cli, lambda conn: administration.delete(conn, cli_actor(), name))
    console.print(f"user {name} deleted")


def user_password(cli: typer.Context, name: str,
                  password: Annotated[str | None, typer.Option(
                      help=f"The new password (better: ${PASSWORD_ENV}, or the prompt).")
                  ] = None,
                  generate: Annotated[bool, typer.Option(
                      "--generate", help="Make one up and print it, once.")] = False) -> None:
    """Reset a user's password; their sessions end."""
    secret = administration.generated_password() if generate else _password(password)
    _write(cli, lambda conn: administration.reset_password(conn, cli_actor(), name, secret))
    console.print(f"password of {name} reset" + (f": {secret}" if generate else ""))


def user_notices(cli: typer.Context, name: str,
                 email: Annotated[str | None, typer.Option(
                     help=EMAIL_HELP + " None: no e-mail.")] = None,
                 delivery: Annotated[str, typer.Option(help=DELIVERY_HELP)] = "immediate"
                 ) -> None:
    """Set where a user's notices go, and when."""

    def notices(conn: sa.Connection) -> None:
        users.set_contact(conn, name, email, delivery)
        runs.audit(conn, cli_actor(), "user notices", name,
                   f"{email or 'no e-mail'}, {delivery}")

    _write(cli, notices)
    console.print(f"{name}: notices {delivery} to {email or 'nobody (no e-mail)'}")


def user_away(cli: typer.Context, name: str,
              starts: Annotated[datetime, typer.Option(
                  "--from", formats=["%Y-%m-%d"], help="The first day away.")],
              ends: Annotated[datetime, typer.Option(
                  "--until", formats=["%Y-%m-%d"], help="The last day away (inclusive).")],
              delegate: Annotated[str, typer.Option(
                  "--delegate-to", help="Who acts on their tasks meanwhile, and is told.")],
              reason: Annotated[str | None, typer.Option(help="Why (recorded).")] = None
              ) -> None:
    """Declare a user out of office: their delegate acts for them and gets their notices.

    From the first day to the last, inclusive (days in UTC)."""

    def away(conn: sa.Connection) -> users.Absence:
        absence = users.add_absence(conn, name, starts.date(), ends.date(), delegate, reason)
        runs.audit(conn, cli_actor(), "absence added",
                   f"{absence.user} {absence.starts}..{absence.ends} → {absence.delegate}",
                   reason)
        return absence

    absence = _write(cli, away)
    console.print(f"absence {absence.id}: {absence.user} away from {absence.starts} to "
                  f"{absence.ends}; {absence.delegate} acts for them")


def user_absences(cli: typer.Context, name: Annotated[str | None, typer.Argument(
                      help="Only this user's.")] = None,
                  everything: Annotated[bool, typer.Option(
                      "--all", help="Past ones too.")] = False) -> None:
    """The absences declared, current and to come (not cancelled)."""
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            found = users.list_absences(conn, name,
                                        None if everything else datetime.now(UTC).date())
    finally:
        ctx.close()
    if not found:
        console.print("no absence")
    for a in found:
        console.print(f"{a.id}  {a.user}  {a.starts} → {a.ends}  delegate {a.delegate}"
                      + (f"  ({a.reason})" if a.reason else ""))


def user_back(cli: typer.Context, absence_id: int) -> None:
    """Cancel an absence (the user is back, or will not leave)."""

    def back(conn: sa.Connection) -> users.Absence:
        absence = users.cancel_absence(conn, absence_id)
        runs.audit(conn, cli_actor(), "absence cancelled", f"{absence.user} #{absence.id}",
                   None)
        return absence

    absence = _write(cli, back)
    console.print(f"absence {absence.id} of {absence.user} cancelled")


for _name, _command in (("add", user_add), ("list", user_list), ("role", user_role),
                        ("disable", user_disable), ("enable", user_enable),
                        ("delete", user_delete), ("password", user_password),
                        ("notices", user_notices), ("away", user_away),
                        ("absences", user_absences), ("back", user_back)):
    user_app.command(_name, cls=Command)(handled(_command))
