"""Commands about the web server and its users: serve, user add, where their notices go, and
their absences (out of office, with a delegate)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated

import typer

from headcount.cli.root import (
    Command,
    Group,
    app,
    command,
    console,
    handled,
    open_project,
    project_dir,
)
from headcount.repository import runs, users
from headcount.repository.database import begin_write

EMAIL_HELP = "Where their notices go (tasks assigned, reminders, escalations, decisions)."
DELIVERY_HELP = "immediate (an e-mail as it happens) or daily (one digest a day)."

user_app = typer.Typer(cls=Group, help="Local users of the web UI and the API.",
                       no_args_is_help=True)
app.add_typer(user_app, name="user")

PASSWORD_ENV = "HEADCOUNT_PASSWORD"


@command
def serve(cli: typer.Context,
          host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000) -> None:
    """Serve the web UI and the REST API (/api, documented at /api/docs)."""
    import uvicorn

    from headcount.web.app import create_app

    web = create_app(project_dir(cli))
    console.print(f"headcount serves {project_dir(cli)} on http://{host}:{port}/")
    uvicorn.run(web, host=host, port=port, log_level="warning")


def _password(given: str | None) -> str:
    # From the environment for scripts, else asked twice without echo.
    password = given or os.environ.get(PASSWORD_ENV)
    if password:
        return password
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


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
    ctx = open_project(cli)
    try:
        with begin_write(ctx.engine) as conn:
            user = users.add_user(conn, name, _password(password), role, identity, email,
                                  delivery)
            runs.audit(conn, "cli", "user added", f"{user.name} ({user.role})", None)
    finally:
        ctx.close()
    console.print(f"user {user.name} added with role {user.role}")


user_app.command("add", cls=Command)(handled(user_add))


def user_notices(cli: typer.Context, name: str,
                 email: Annotated[str | None, typer.Option(
                     help=EMAIL_HELP + " None: no e-mail.")] = None,
                 delivery: Annotated[str, typer.Option(help=DELIVERY_HELP)] = "immediate"
                 ) -> None:
    """Set where a user's notices go, and when."""
    ctx = open_project(cli)
    try:
        with begin_write(ctx.engine) as conn:
            users.set_contact(conn, name, email, delivery)
            runs.audit(conn, "cli", "user notices", name, f"{email or 'no e-mail'}, {delivery}")
    finally:
        ctx.close()
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
    """Declare a user out of office: their delegate acts on their tasks and gets their
    notices, from the first day to the last (days in UTC)."""
    ctx = open_project(cli)
    try:
        with begin_write(ctx.engine) as conn:
            absence = users.add_absence(conn, name, starts.date(), ends.date(), delegate,
                                        reason)
            runs.audit(conn, "cli", "absence added",
                       f"{absence.user} {absence.starts}..{absence.ends} → {absence.delegate}",
                       reason)
    finally:
        ctx.close()
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
    ctx = open_project(cli)
    try:
        with begin_write(ctx.engine) as conn:
            absence = users.cancel_absence(conn, absence_id)
            runs.audit(conn, "cli", "absence cancelled", f"{absence.user} #{absence.id}", None)
    finally:
        ctx.close()
    console.print(f"absence {absence.id} of {absence.user} cancelled")


user_app.command("notices", cls=Command)(handled(user_notices))
user_app.command("away", cls=Command)(handled(user_away))
user_app.command("absences", cls=Command)(handled(user_absences))
user_app.command("back", cls=Command)(handled(user_back))
