"""`headcount agent`: the remote agent next to the HR files (docs/agent.md) — heartbeats, leased
work, exports delivered in checksummed, resumable chunks; `--once` for cron and tests."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from headcount.agents import settings as agent_settings
from headcount.agents.client import AgentClient
from headcount.agents.settings import AgentSettings, TokenSource
from headcount.cli.root import Command, app, console, handled, project_dir


def agent(cli: typer.Context,
          server: Annotated[str | None, typer.Option(
              help="The server, https://host:port (overrides the configuration's).")] = None,
          config: Annotated[Path | None, typer.Option(
              help="The agent's configuration file (YAML); without it, the project folder "
                   "(--project) and the token in HEADCOUNT_AGENT_TOKEN.")] = None,
          ca_file: Annotated[Path | None, typer.Option(
              help="The CA certificate to trust for the server (PEM).")] = None,
          name: Annotated[str | None, typer.Option(
              help="How the server names this agent (default: the host name).")] = None,
          once: Annotated[bool, typer.Option(
              "--once", help="One heartbeat, serve the work waiting, and stop (cron, tests).")
          ] = False,
          deliver: Annotated[str | None, typer.Option(
              help="Deliver this connector now, with no work item (the agent's own "
                   "schedule, e.g. from cron), then stop.")] = None,
          mode: Annotated[str | None, typer.Option(
              help="With --deliver: the run's mode (initial, complete, incremental; default: "
                   "the server chooses).")] = None) -> None:
    """Run the remote agent: export the connectors' files here and deliver them to the server."""
    if config is not None:
        settings = agent_settings.load(config)
    elif server is None:
        raise typer.BadParameter("give --server, or --config naming it", param_hint="--server")
    else:
        settings = AgentSettings(server=server, project=project_dir(cli),
                                 token=TokenSource(env=agent_settings.ENV))
    changes: dict[str, object] = {}
    if server is not None:
        changes["server"] = server
    if ca_file is not None:
        changes["ca_file"] = ca_file
    if name is not None:
        changes["name"] = name
    settings = settings.model_copy(update=changes)
    client = AgentClient(settings, say=console.print)
    try:
        beat = client.heartbeat()
        console.print(f"agent {settings.name} (id {beat['agent']}) serves "
                      f"{', '.join(c.identifier for c in client.connectors)} on "
                      f"{settings.server}")
        if deliver is not None:
            client.deliver(deliver, mode)
        elif once:
            done = client.serve_work()
            console.print(f"{len(done)} work item{'s' if len(done) != 1 else ''} delivered")
        else:
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                client.run(stop)
            except KeyboardInterrupt:
                stop.set()
    finally:
        client.close()


app.command("agent", cls=Command)(handled(agent))
