"""`headcount token …`: the service tokens of remote agents, HR systems pushing records and SCIM
clients — created (the secret is printed once), listed and revoked, each audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from headcount.cli.root import Command, Group, app, console, handled, open_project
from headcount.cli.user_commands import cli_actor
from headcount.errors import NotFound
from headcount.repository import tokens
from headcount.repository.database import begin_write

token_app = typer.Typer(cls=Group, help="Service tokens of agents, pushed records and SCIM "
                                        "clients: hashed, scoped to connectors, revocable.",
                        no_args_is_help=True)
app.add_typer(token_app, name="token")


def token_create(cli: typer.Context, name: str,
                 scope: Annotated[list[str], typer.Option(
                     help=f"What it may do, repeatable: {', '.join(tokens.SCOPES)}.")],
                 connector: Annotated[list[str] | None, typer.Option(
                     help="A connector it may reach, repeatable (agent, push and scim need "
                          "one).")] = None) -> None:
    """Create a service token and print its secret, once: it is stored hashed."""
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        identifiers: list[str] = []
        for given in connector or []:
            found = project.connector(given)
            if found is None:
                names = ", ".join(c.identifier for c in project.connectors)
                raise NotFound(f"no connector `{given}` (deployed: {names})")
            identifiers.append(found.identifier)
        with begin_write(ctx.engine) as conn:
            token, secret = tokens.create(conn, name, scope, identifiers, cli_actor())
    finally:
        ctx.close()
    console.print(f"{token.label} created; its secret, shown only now:")
    # Plain print: no wrapping or markup may alter the secret a script reads.
    print(secret)


def _moment(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at is not None else "—"


def token_list(cli: typer.Context,
               revoked: Annotated[bool, typer.Option(
                   "--revoked/--live", help="Show revoked tokens too (default) or only live "
                                            "ones.")] = True) -> None:
    """List the service tokens: scopes, connectors, last use, revocation."""
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            found = tokens.list_tokens(conn, revoked=revoked)
    finally:
        ctx.close()
    if not found:
        console.print("no service token")
        return
    table = Table("id", "name", "scopes", "connectors", "created", "last used", "revoked")
    for t in found:
        table.add_row(str(t.id), escape(t.name), ", ".join(sorted(t.scopes)),
                      ", ".join(sorted(t.connectors)) or "—",
                      f"{_moment(t.created_at)} by {escape(t.created_by)}",
                      _moment(t.last_used_at), _moment(t.revoked_at))
    console.print(table)


def token_revoke(cli: typer.Context, token_id: int) -> None:
    """Revoke a service token: it is refused from now on."""
    ctx = open_project(cli)
    try:
        with begin_write(ctx.engine) as conn:
            token = tokens.revoke(conn, token_id, cli_actor())
    finally:
        ctx.close()
    console.print(f"{token.label} revoked")


for _name, _command in (("create", token_create), ("list", token_list),
                        ("revoke", token_revoke)):
    token_app.command(_name, cls=Command)(handled(_command))
