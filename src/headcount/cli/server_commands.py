"""Commands about the web server and its users: serve, user add, user password."""

from __future__ import annotations

import os
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
                      "to workflows, e.g. the manager of their reports.")] = None
             ) -> None:
    """Add a local user with a role."""
    ctx = open_project(cli)
    try:
        with begin_write(ctx.engine) as conn:
            user = users.add_user(conn, name, _password(password), role, identity)
            runs.audit(conn, "cli", "user added", f"{user.name} ({user.role})", None)
    finally:
        ctx.close()
    console.print(f"user {user.name} added with role {user.role}")


user_app.command("add", cls=Command)(handled(user_add))
