"""Commands about the web server: serve (the users' commands are in user_commands.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from headcount.cli.root import command, console, project_dir


@command
def serve(cli: typer.Context,
          host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
          ssl_certfile: Annotated[Path | None, typer.Option(
              help="Serve HTTPS with this certificate (PEM; chain after it).")] = None,
          ssl_keyfile: Annotated[Path | None, typer.Option(
              help="The private key of --ssl-certfile (PEM).")] = None) -> None:
    """Serve the web UI and the REST API (/api, documented at /api/docs)."""
    import uvicorn

    from headcount.web.app import create_app

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise typer.BadParameter("give --ssl-certfile and --ssl-keyfile together",
                                 param_hint="--ssl-keyfile")
    web = create_app(project_dir(cli))
    scheme = "http" if ssl_certfile is None else "https"
    console.print(f"headcount serves {project_dir(cli)} on {scheme}://{host}:{port}/")
    uvicorn.run(web, host=host, port=port, log_level="warning",
                ssl_certfile=None if ssl_certfile is None else str(ssl_certfile),
                ssl_keyfile=None if ssl_keyfile is None else str(ssl_keyfile))
