"""Commands about the web server: serve (the users' commands are in user_commands.py)."""

from __future__ import annotations

import threading
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
                   "--no-worker serves only; `headcount worker` runs the jobs.")] = True
          ) -> None:
    """Serve the web UI and the REST API (/api, documented at /api/docs), with a worker that
    carries out scheduled and launched jobs."""
    import uvicorn

    from headcount.project import ProjectContext
    from headcount.scheduling.worker import Worker
    from headcount.web.app import create_app

    web = create_app(project_dir(cli), drain=False)
    stop = threading.Event()
    if worker:
        state = web.state.headcount
        ctx = ProjectContext(state.project_dir, state.engine)
        embedded = Worker(ctx, finished=lambda _: state.launcher.finished and
                          state.launcher.finished())
        threading.Thread(target=embedded.run, args=(stop,), daemon=True,
                         name="worker").start()
    console.print(f"headcount serves {project_dir(cli)} on http://{host}:{port}/"
                  + ("" if worker else " (no worker: run `headcount worker`)"))
    try:
        uvicorn.run(web, host=host, port=port, log_level="warning")
    finally:
        stop.set()
