"""Commands about the web server: serve (the users' commands are in user_commands.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from headcount.cli.root import command, console, project_dir


@command
def serve(cli: typer.Context,
          host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
          worker: Annotated[bool, typer.Option(
              "--worker/--no-worker",
              help="Embed a worker and the scheduler (default): one command does everything. "
                   "--no-worker serves only; `headcount worker` runs the jobs.")] = True,
          ssl_certfile: Annotated[Path | None, typer.Option(
              help="Serve HTTPS with this certificate (PEM; chain after it).")] = None,
          ssl_keyfile: Annotated[Path | None, typer.Option(
              help="The private key of --ssl-certfile (PEM).")] = None) -> None:
    """Serve the web UI and the REST API (/api, documented at /api/docs), with a worker that
    carries out scheduled and launched jobs."""
    import uvicorn

    from headcount.project import ProjectContext
    from headcount.repository.jobruns import JobRun
    from headcount.scheduling.worker import Worker
    from headcount.web.app import create_app

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise typer.BadParameter("give --ssl-certfile and --ssl-keyfile together",
                                 param_hint="--ssl-keyfile")
    web = create_app(project_dir(cli), drain=False)
    stop = threading.Event()
    if worker:
        state = web.state.headcount
        launcher = state.launcher

        def finished(_: JobRun) -> None:
            # The lists a run changed are rebuilt at once, as after a launch from the page.
            if launcher.finished is not None:
                launcher.finished()

        embedded = Worker(ProjectContext(state.project_dir, state.engine), finished=finished)
        threading.Thread(target=embedded.run, args=(stop,), daemon=True,
                         name="worker").start()
    scheme = "http" if ssl_certfile is None else "https"
    console.print(f"headcount serves {project_dir(cli)} on {scheme}://{host}:{port}/"
                  + ("" if worker else " (no worker: run `headcount worker`)"))
    try:
        uvicorn.run(web, host=host, port=port, log_level="warning",
                    ssl_certfile=None if ssl_certfile is None else str(ssl_certfile),
                    ssl_keyfile=None if ssl_keyfile is None else str(ssl_keyfile))
    finally:
        stop.set()
