"""`headcount`: the command line of the HR connector (SPEC §12)."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.console import Console

from headcount import __version__
from headcount.cli import exitcodes
from headcount.cli.progress import RichProgress
from headcount.cli.render import job_result, runs_table
from headcount.config.loader import load_project_config
from headcount.config.model import Project
from headcount.errors import ConfigError, HeadcountError
from headcount.jobs.blocked import cancel as cancel_run
from headcount.jobs.blocked import resume as resume_run
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments
from headcount.repository import resources as res
from headcount.repository import runs as R
from headcount.repository.schema import changes, set_aside

app = typer.Typer(
    name="headcount", no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
    help="headcount — the HR connector of an open-source identity manager.\n\n"
         "Exit codes: 0 succeeded, 1 failed, 2 configuration invalid, 3 blocked (threshold "
         "exceeded; changes staged), 4 refused or skipped, 6 not found, 7 needs --confirm.",
)
# Job results are read in logs and CI output too, where no terminal gives a width: 120 columns
# keep their tables whole.
_WIDTH = max(120, shutil.get_terminal_size((120, 24)).columns)
console = Console(highlight=False, width=_WIDTH)
err = Console(stderr=True, highlight=False, width=_WIDTH)


class State:
    project: Path = Path(".")


ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="Project folder.",
                                          envvar="HEADCOUNT_PROJECT")]


@app.callback()
def _main(project: ProjectOpt = Path("."),
          version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False
          ) -> None:
    if version:
        console.print(__version__)
        raise typer.Exit()
    State.project = project


def _context() -> ProjectContext:
    return ProjectContext.open(State.project)


def _fail(exc: HeadcountError) -> typer.Exit:
    if isinstance(exc, ConfigError):
        err.print(f"[red]configuration invalid[/] ({len(exc.problems)} problem"
                  f"{'s' if len(exc.problems) > 1 else ''}):")
        for p in exc.problems:
            err.print(f"  {p}")
    else:
        err.print(f"[red]error:[/] {exc}")
    return typer.Exit(exc.exit_code)


@app.command()
def init(force: Annotated[bool, typer.Option(help="Write into a folder that is not empty.")]
         = False,
         people: Annotated[int, typer.Option(help="People in the sample HR files.")] = 2000
         ) -> None:
    """Write a working starting project: an HR connector on sample files, and its database."""
    from headcount.samples import hrfiles

    folder = State.project
    if folder.exists() and any(folder.iterdir()) and not force:
        err.print(f"[red]error:[/] {folder} is not empty (use --force)")
        raise typer.Exit(exitcodes.REFUSED)
    (folder / "config").mkdir(parents=True, exist_ok=True)
    template = Path(hrfiles.__file__).with_name("hr.yaml")
    shutil.copyfile(template, folder / "config" / "hr.yaml")
    hrfiles.main(["--out", str(folder / "data"), "--people", str(people)])
    ctx = _context()
    try:
        project = load_project_config(folder)
        with ctx.engine.begin() as conn:
            deployments.deploy(conn, project)
    finally:
        ctx.close()
    console.print(f"project written to {folder}: config/hr.yaml, data/ (sample HR files), "
                  f"database deployed. Next: headcount -p {folder} sync HR")


@app.command()
def check() -> None:
    """Validate the configuration files (and the headers of the files they map)."""
    try:
        project = load_project_config(State.project)
    except ConfigError as exc:
        raise _fail(exc) from None
    problems = _check_headers(project)
    for p in problems:
        err.print(f"  [red]{p}[/]")
    if problems:
        raise typer.Exit(exitcodes.CONFIG_INVALID)
    n = sum(len(c.entity_types) for c in project.connectors)
    console.print(f"[green]configuration valid[/]: {len(project.connectors)} connector(s), "
                  f"{n} entity type(s)")


def _check_headers(project: Project) -> list[str]:
    from headcount.connections.csvfile import header_only, resolve_path
    from headcount.sync.prepare import mapped_columns

    problems = []
    for connector in project.connectors:
        for mapping in connector.mappings:
            connection = connector.connection(mapping.connection)
            if not connection.path:
                continue
            try:
                path = resolve_path(State.project, connection.path, connection.path_is_regex)
            except HeadcountError:
                console.print(f"  [dim]{connection.identifier}: {connection.path} not present; "
                              "columns not checked[/]")
                continue
            header = header_only(path, connection)
            assocs = [a for a in connector.associations if a.column
                      and a.connection.lower() == connection.identifier.lower()]
            for column, use in mapped_columns(connector, mapping, assocs):
                if column not in header:
                    problems.append(f"{path}: mapped column `{column}` ({use}) is not in the "
                                    f"header ({', '.join(header)})")
    return problems


@app.command()
def schema() -> None:
    """Print the JSON Schema of the configuration (for editor completion and validation)."""
    sys.stdout.write(json.dumps(Project.model_json_schema(), indent=2) + "\n")


@app.command()
def reload(confirm: Annotated[bool, typer.Option(
        help="Deploy even when it removes configuration that holds data.")] = False) -> None:
    """Validate the configuration and deploy it atomically; print what changed."""
    try:
        project = load_project_config(State.project)
        ctx = _context()
        try:
            with ctx.engine.begin() as conn:
                new_id, diff = deployments.deploy(conn, project, confirm)
        finally:
            ctx.close()
    except HeadcountError as exc:
        raise _fail(exc) from None
    if new_id is None:
        console.print("nothing changed: the deployed configuration is up to date")
        return
    console.print(f"[green]deployed[/] configuration {new_id}:")
    for line in diff.lines():
        console.print(f"  {line}")


@app.command()
def sync(
    connector: Annotated[str, typer.Argument(help="Connector identifier, e.g. HR.")],
    mode: Annotated[str | None, typer.Option(
        help="initial | complete | incremental (default: complete; initial on an empty "
             "connector).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Compute and list the changes; apply none.")]
        = False,
    force: Annotated[bool, typer.Option(
        help="Override thresholds and file-shape guards for this run (needs --reason).")]
        = False,
    reason: Annotated[str | None, typer.Option(help="Why --force is used (recorded).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Synchronize a connector: export → prepare → synchronize, then print the job result."""
    try:
        ctx = _context()
        try:
            progress = RichProgress(err) if not quiet and err.is_terminal else None
            with progress or _Null():
                run = synchronize(ctx, SyncRequest(connector, mode, dry_run, force, reason),
                                  progress)
            with ctx.engine.connect() as conn:
                logs = [entry for entry in R.logs(conn, run.id) if entry[1] != "info"
                        or run.state != "succeeded"]
        finally:
            ctx.close()
    except HeadcountError as exc:
        raise _fail(exc) from None
    job_result(console, run, logs[:40])
    if len(logs) > 40:
        console.print(f"  … {len(logs) - 40} more log lines: headcount job {run.id}")
    if run.state == R.BLOCKED:
        console.print(f"staged changes: headcount job {run.id} --changes · apply them: "
                      f"headcount resume {run.id} --reason … · drop them: headcount cancel "
                      f"{run.id}")
    raise typer.Exit(exitcodes.STATE_CODES.get(run.state, exitcodes.FAILED))


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


@app.command()
def jobs(connector: Annotated[str | None, typer.Option(help="Only this connector.")] = None,
         limit: int = 30) -> None:
    """List the runs, newest first (the Job Execution list)."""
    ctx = _context()
    try:
        with ctx.engine.connect() as conn:
            runs_table(console, R.list_runs(conn, connector, limit))
    finally:
        ctx.close()


@app.command()
def job(run_id: int,
        show_changes: Annotated[bool, typer.Option("--changes", help="List the changes.")]
        = False,
        kind: Annotated[str | None, typer.Option(
            help="Only changes of this kind: insert, update, delete, link_insert, "
                 "link_delete.")] = None,
        limit: int = 200, offset: int = 0) -> None:
    """Show a job result: counters, timings, files, log and (with --changes) the changes."""
    ctx = _context()
    try:
        with ctx.engine.connect() as conn:
            try:
                run = R.get_run(conn, run_id)
            except HeadcountError as exc:
                raise _fail(exc) from None
            rows = None
            if show_changes or kind:
                q = sa.select(changes.c.kind, changes.c.entity_type, changes.c.resource_key,
                              changes.c.navigation, changes.c.target_key, changes.c.data,
                              changes.c.connection, changes.c.line
                              ).where(changes.c.run_id == run_id).order_by(changes.c.id)
                if kind:
                    q = q.where(changes.c.kind == kind)
                rows = [tuple(r) for r in conn.execute(q.limit(limit).offset(offset))]
            job_result(console, run, R.logs(conn, run_id), rows)
    finally:
        ctx.close()


@app.command()
def resume(run_id: int, reason: Annotated[str, typer.Option(help="Why (recorded).")]) -> None:
    """Apply exactly the staged changes of a blocked run."""
    ctx = _context()
    try:
        run = resume_run(ctx, run_id, reason)
    except HeadcountError as exc:
        raise _fail(exc) from None
    finally:
        ctx.close()
    job_result(console, run)


@app.command()
def cancel(run_id: int,
           reason: Annotated[str | None, typer.Option(help="Why (recorded).")] = None) -> None:
    """Drop the staged changes of a blocked run."""
    ctx = _context()
    try:
        run = cancel_run(ctx, run_id, reason)
    except HeadcountError as exc:
        raise _fail(exc) from None
    finally:
        ctx.close()
    job_result(console, run)


@app.command()
def rejects(run_id: int, output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file instead of the standard output.")] = None
            ) -> None:
    """The rows a run set aside, as CSV with their line numbers and reasons."""
    ctx = _context()
    try:
        with ctx.engine.connect() as conn:
            rows = conn.execute(sa.select(
                set_aside.c.connection, set_aside.c.line, set_aside.c.key, set_aside.c.category,
                set_aside.c.reason, set_aside.c.raw).where(set_aside.c.run_id == run_id)
                .order_by(set_aside.c.connection, set_aside.c.line)).all()
    finally:
        ctx.close()
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    writer = csv.writer(handle)
    writer.writerow(["connection", "line", "key", "category", "reason", "row"])
    for cid, line, key, category, reason, raw in rows:
        writer.writerow([_safe(v) for v in (cid, line, key, category, reason, raw)])
    if output:
        handle.close()


def _safe(value: object) -> str:
    # Spreadsheets execute cells starting with = + - @: neutralise them (SPEC §13).
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@app.command()
def show(entity_type: str, key: Annotated[str | None, typer.Argument()] = None,
         limit: int = 20) -> None:
    """List the resources of an entity type, or show one with its links and history."""
    ctx = _context()
    try:
        _, project = ctx.deployed()
        found = project.entity_type(entity_type)
        if found is None:
            err.print(f"[red]error:[/] no entity type `{entity_type}`")
            raise typer.Exit(exitcodes.NOT_FOUND)
        et = found[1]
        with ctx.engine.connect() as conn:
            if key is None:
                total = res.count(conn, et.identifier)
                console.print(f"[bold]{et.display_name or et.identifier}[/] "
                              f"({et.identifier}): {total:,} resources")
                for k, values in res.list_resources(conn, et.identifier, limit):
                    console.print(f"  {k}  {_display(et.resource_display_name, values)}")
                return
            view = res.get_resource(conn, et.identifier, key)
    except HeadcountError as exc:
        raise _fail(exc) from None
    finally:
        ctx.close()
    console.print(f"[bold]{et.identifier} {view.key}[/] — "
                  f"{_display(et.resource_display_name, view.values)}")
    for p in et.scalar_properties:
        console.print(f"  {p.identifier}: {view.values.get(p.identifier)}")
    for nav, targets in view.links.items():
        shown = ", ".join(f"{t} {k}" + ("" if i else " (pending)") for t, k, i in targets)
        console.print(f"  {nav} → {shown}")
    for nav, sources in view.reverse.items():
        console.print(f"  ← {nav}: " + ", ".join(f"{k}" for _, k, _ in sources[:20])
                      + (f" … ({len(sources)})" if len(sources) > 20 else ""))
    console.print("[bold]history[/]")
    for h in view.history:
        where = f"{h.file or h.connection} line {h.line}" if h.line else (h.file or "")
        what = h.data if h.data else f"{h.navigation} {h.target_key}"
        console.print(f"  run {h.run_id} {h.kind}: {what}  [dim]{where}[/]")


def _display(template: str | None, values: dict[str, object]) -> str:
    if not template:
        return ""
    try:
        return template.format_map({k: ("" if v is None else v) for k, v in values.items()})
    except (KeyError, ValueError):
        return ""


def main() -> None:
    app()
