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
from headcount.policy.expression_check import expression_problems
from headcount.repository import deployments
from headcount.repository.database import begin_write
from headcount.sync.headers import HeaderCheck


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
    for name in ("hr.yaml", "directory.yaml", "policy.yaml", "workflows.yaml", "ad.yaml",
                 "jobs.yaml"):
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


AllowMissing = Annotated[bool, typer.Option(
    "--allow-missing-files",
    help="A mapped file that is absent is not an error: its columns are not checked.")]


def _checked(folder: Path, allow_missing: bool) -> Project:
    """The configuration as `check` and `reload` both see it: valid, its expressions compiled,
    and every file it maps holding the columns a run will ask for. Raises ConfigError listing
    every problem, sorted by file and line."""
    headers = HeaderCheck(folder, allow_missing)
    try:
        return load_project_config(folder, [expression_problems, headers])
    finally:
        for note in headers.unchecked:
            console.print(f"  [dim]{note}; columns not checked[/]")


@command
def check(cli: typer.Context, allow_missing_files: AllowMissing = False) -> None:
    """Validate the configuration files, their expressions and the headers of the files they
    map: every problem at once, sorted by file and line."""
    project = _checked(project_dir(cli), allow_missing_files)
    n = sum(len(c.entity_types) for c in project.connectors)
    console.print(f"[green]configuration valid[/]: {len(project.connectors)} connector(s), "
                  f"{n} entity type(s)")


@command
def schema(cli: typer.Context) -> None:
    """Print the JSON Schema of the configuration (for editor completion and validation)."""
    sys.stdout.write(json.dumps(Project.model_json_schema(), indent=2) + "\n")


@command
def reload(cli: typer.Context, confirm: Annotated[bool, typer.Option(
        help="Deploy even when it removes configuration that holds data.")] = False,
           allow_missing_files: AllowMissing = False) -> None:
    """Check the configuration as `check` does and deploy it atomically; print what changed.
    What `check` refuses is not deployed (exit 2)."""
    project = _checked(project_dir(cli), allow_missing_files)
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
