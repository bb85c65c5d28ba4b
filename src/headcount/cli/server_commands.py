"""Commands about the web server: serve (the users' commands are in user_commands.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from headcount.cli.root import command, console, project_dir


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
