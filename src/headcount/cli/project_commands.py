"""Commands about the project and its configuration: init, check, schema, reload."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from headcount.cli import exitcodes
from headcount.cli.root import command, console, err, open_project, project_dir
from headcount.config.loader import load_project_config
from headcount.config.model import Project
from headcount.connections.csvfile import header_only, resolve_path
from headcount.errors import HeadcountError
from headcount.repository import deployments
from headcount.repository.database import begin_write
from headcount.sync.prepare import mapped_columns


@command
def init(cli: typer.Context,
         force: Annotated[bool, typer.Option(help="Write into a folder that is not empty.")]
         = False,
         people: Annotated[int, typer.Option(help="People in the sample HR files.")] = 2000
         ) -> None:
    """Write a working starting project: an HR connector on sample files, and its database."""
    from headcount.samples import hrfiles

    folder = project_dir(cli)
    if folder.exists() and any(folder.iterdir()) and not force:
        err.print(f"[red]error:[/] {folder} is not empty (use --force)")
        raise typer.Exit(exitcodes.REFUSED)
    (folder / "config").mkdir(parents=True, exist_ok=True)
    for name in ("hr.yaml", "directory.yaml", "policy.yaml"):
        shutil.copyfile(Path(hrfiles.__file__).with_name(name), folder / "config" / name)
    hrfiles.main(["--out", str(folder / "data"), "--people", str(people)])
    ctx = open_project(cli)
    try:
        project = load_project_config(folder)
        with begin_write(ctx.engine) as conn:
            deployments.deploy(conn, project)
    finally:
        ctx.close()
    console.print(f"project written to {folder}: config/hr.yaml, data/ (sample HR files), "
                  f"database deployed. Next: headcount -p {folder} sync HR")


@command
def check(cli: typer.Context) -> None:
    """Validate the configuration files (and the headers of the files they map)."""
    project = load_project_config(project_dir(cli))
    problems = _check_headers(project, project_dir(cli))
    for p in problems:
        err.print(f"  [red]{p}[/]")
    if problems:
        raise typer.Exit(exitcodes.CONFIG_INVALID)
    n = sum(len(c.entity_types) for c in project.connectors)
    console.print(f"[green]configuration valid[/]: {len(project.connectors)} connector(s), "
                  f"{n} entity type(s)")


def _check_headers(project: Project, folder: Path) -> list[str]:
    problems = []
    for connector in project.connectors:
        for mapping in connector.mappings:
            connection = connector.connection(mapping.connection)
            if not connection.path:
                continue
            try:
                path = resolve_path(folder, connection.path, connection.path_is_regex)
            except HeadcountError:
                console.print(f"  [dim]{connection.identifier}: {connection.path} not present; "
                              "columns not checked[/]")
                continue
            header = header_only(path, connection)
            assocs = [a for a in connector.associations if a.column
                      and a.connection.lower() == connection.identifier.lower()]
            for column, use in mapped_columns(mapping, assocs):
                if column not in header:
                    problems.append(f"{path}: mapped column `{column}` ({use}) is not in the "
                                    f"header ({', '.join(header)})")
    return problems


@command
def schema(cli: typer.Context) -> None:
    """Print the JSON Schema of the configuration (for editor completion and validation)."""
    sys.stdout.write(json.dumps(Project.model_json_schema(), indent=2) + "\n")


@command
def reload(cli: typer.Context, confirm: Annotated[bool, typer.Option(
        help="Deploy even when it removes configuration that holds data.")] = False
           ) -> None:
    """Validate the configuration and deploy it atomically; print what changed."""
    project = load_project_config(project_dir(cli))
    ctx = open_project(cli)
    try:
        with begin_write(ctx.engine) as conn:
            new_id, diff = deployments.deploy(conn, project, confirm)
    finally:
        ctx.close()
    if new_id is None:
        console.print("nothing changed: the deployed configuration is up to date")
        return
    console.print(f"[green]deployed[/] configuration {new_id}:")
    for line in diff.lines():
        console.print(f"  {line}")
