"""Commands about manual uploads (SPEC §9): the templates HR staff fill, verify with every problem
at once, preview, load and roll back, the list of uploads, and the data model scan. Commands
that upload or change act `--as NAME` (recorded with the upload and in the audit log)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from headcount.cli import exitcodes
from headcount.cli.render import job_result
from headcount.cli.root import Command, Group, app, console, err, handled, open_project
from headcount.project import ProjectContext
from headcount.repository.runs import RunRecord
from headcount.upload import uploads
from headcount.upload.annotate import annotated_workbook
from headcount.upload.scan import scan
from headcount.upload.templates import write_template
from headcount.upload.uploads import Upload
from headcount.upload.verified import Problem, Verification
from headcount.upload.verify import verify
from headcount.upload.workbook import UploadRefused, check_size, read_workbook, upload_limits

upload_app = typer.Typer(cls=Group, no_args_is_help=True,
                         help="Manual upload of the workforce: templates to fill, verify, "
                              "preview, load, roll back, the data model scan.")
app.add_typer(upload_app, name="upload")
AS = typer.Option("--as", help="Who uploads (recorded with the upload and in the audit log).")
FileArg = Annotated[Path, typer.Argument(help="An .xlsx, .csv or .zip of CSV files.",
                                         exists=True, dir_okay=False, readable=True)]
# C0 and C1 control characters: a cell holding ESC [ … would drive the terminal.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """Text from a file as printed: rich markup escaped, control characters as visible escapes
    (ESC → \\x1b)."""
    return escape(_CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


def template(cli: typer.Context,
             output: Annotated[Path, typer.Option(
                 "--output", "-o", help="The file to write (.xlsx, or .zip with --csv).")],
             full: Annotated[bool, typer.Option(
                 "--full", help="With the current data, one row per resource.")] = False,
             as_csv: Annotated[bool, typer.Option(
                 "--csv", help="A zip of one CSV file per tab instead of a workbook.")] = False,
             command_column: Annotated[bool, typer.Option(
                 "--command", help="A first column Command (Add, Modify, Delete, Merge) for a "
                                   "mass update.")] = False) -> None:
    """Write the upload template of the Directory connector: a tab per entity type."""
    ctx = open_project(cli)
    out = io.BytesIO()
    try:
        project = ctx.deployed()[1]
        with ctx.engine.connect() as conn:
            write_template(conn, project, out, "full" if full else "empty",
                           "csv-zip" if as_csv else "xlsx", command_column)
    finally:
        ctx.close()
    # Written once complete: a failed read leaves no half workbook behind.
    output.write_bytes(out.getvalue())
    console.print(f"{'full' if full else 'empty'} template written to {output}")


def _refused(refused: UploadRefused) -> typer.Exit:
    # Its message names parts and tabs of the file: printed as any text from a file.
    err.print(f"[red]error:[/] {shown(str(refused))}", soft_wrap=True)
    return typer.Exit(refused.exit_code)


def problem_line(p: Problem) -> str:
    """`tab Identity record, row 12, column Manager (F): `E999`: no Identity has …`."""
    value = f": `{p.value}`" if p.value is not None else ""
    return f"{p.where}{value}: {p.message}"


def _problems(verification: Verification) -> None:
    for p in verification.errors:
        console.print(shown(problem_line(p)), soft_wrap=True)
    for p in verification.warnings:
        console.print(f"[yellow]warning:[/] {shown(problem_line(p))}", soft_wrap=True)
    for tab, why in verification.ignored:
        console.print(f"tab {shown(tab)} left alone: {shown(why)}", soft_wrap=True)
    errors, warnings = len(verification.errors), len(verification.warnings)
    rows = sum(t.rows for t in verification.tabs)
    console.print(f"{len(verification.tabs)} tab{'' if len(verification.tabs) == 1 else 's'}, "
                  f"{rows:,} rows, mode {verification.mode}: {errors:,} "
                  f"error{'' if errors == 1 else 's'}, {warnings:,} "
                  f"warning{'' if warnings == 1 else 's'}")


def verify_file(cli: typer.Context, file: FileArg,
                out: Annotated[Path | None, typer.Option(
                    "--out", help="Write the file with its problems (.xlsx): a first column "
                                  "Problems, the cells in error highlighted.")] = None) -> None:
    """Verify a file against the repository: every problem at once, nothing kept.

    Exit 1 when it has errors, 4 when it is refused."""
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        try:
            workbook = read_workbook(file, upload_limits(project.upload))
        except UploadRefused as refused:
            raise _refused(refused) from None
        with ctx.engine.connect() as conn:
            verification = verify(conn, project, workbook)
    finally:
        ctx.close()
    _problems(verification)
    if out is not None:
        out.write_bytes(annotated_workbook(verification))
        console.print(f"the file with its problems written to {out}")
    raise typer.Exit(exitcodes.OK if verification.ok else exitcodes.FAILED)


def _received(ctx: ProjectContext, file: Path, actor: str) -> Upload:
    """The file kept as an upload and verified; the command ends here when it cannot load."""
    # Its size first: a file larger than an upload may be is never read into memory.
    try:
        check_size(file.name, file.stat().st_size, ctx.deployed()[1].upload.max_bytes)
    except UploadRefused as refused:
        raise _refused(refused) from None
    upload, verification = uploads.receive(ctx, file.read_bytes(), file.name, actor)
    if verification is None:
        err.print(f"[red]upload {upload.id} refused:[/] {shown(upload.message or '')}")
        raise typer.Exit(exitcodes.REFUSED)
    _problems(verification)
    if not verification.ok:
        err.print(f"[red]upload {upload.id} has errors:[/] nothing can be loaded until they "
                  "are fixed (`headcount upload verify FILE --out FIXME.xlsx` writes them "
                  "beside the rows)")
        raise typer.Exit(exitcodes.FAILED)
    console.print(f"upload {upload.id}: {shown(upload.file_name)} verified")
    return upload


def _preview(ctx: ProjectContext, upload_id: int, actor: str) -> None:
    done = uploads.preview(ctx, upload_id, actor)
    for sentence in done.sentences:
        console.print(f"  {shown(sentence)}", soft_wrap=True)
    table = Table("tab", "added", "changed", "deleted", box=None, pad_edge=False)
    for tab, n in done.counts.items():
        table.add_row(shown(tab), *(f"{n.get(k, 0):,}" for k in
                                     ("inserted", "updated", "deleted")))
    console.print(table)
    console.print(f"every change, with the orders and workflows it would start: headcount job "
                  f"{done.run.id} --changes --workflows")


def preview(cli: typer.Context, file: FileArg, actor: Annotated[str, AS] = "cli") -> None:
    """Upload and verify a file, then preview its load: what it would change, nothing applied."""
    ctx = open_project(cli)
    try:
        _preview(ctx, _received(ctx, file, actor).id, actor)
    finally:
        ctx.close()


def _ended(run: RunRecord) -> None:
    job_result(console, run)
    if run.state == "blocked":
        console.print(f"staged changes: headcount job {run.id} --changes · apply them: "
                      f"headcount resume {run.id} --reason … · or load again with --force "
                      "--reason …")
    raise typer.Exit(exitcodes.STATE_CODES.get(run.state, exitcodes.FAILED))


def load(cli: typer.Context, file: FileArg,
         yes: Annotated[bool, typer.Option(
             "--yes", "-y", help="Load without showing the preview and asking first.")] = False,
         force: Annotated[bool, typer.Option(
             help="Override the thresholds for this load (needs --reason).")] = False,
         reason: Annotated[str | None, typer.Option(help="Why --force is used (recorded).")]
         = None,
         actor: Annotated[str, AS] = "cli") -> None:
    """Upload, verify and load a file through the synchronization engine: its job result."""
    if force and not (reason or "").strip():
        raise typer.BadParameter("why force it? --reason TEXT", param_hint="--reason")
    ctx = open_project(cli)
    try:
        upload = _received(ctx, file, actor)
        if not yes:
            _preview(ctx, upload.id, actor)
            if not typer.confirm(f"Load upload {upload.id}?", default=False):
                err.print(f"upload {upload.id} not loaded (it stays in `headcount upload "
                          "list`); --yes loads without asking")
                raise typer.Exit(exitcodes.NEEDS_CONFIRMATION)
        run = uploads.load(ctx, upload.id, actor, force, reason)
    finally:
        ctx.close()
    _ended(run)


def list_all(cli: typer.Context,
             limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
             offset: Annotated[int, typer.Option(help="How many to skip.")] = 0) -> None:
    """The uploads, newest first: who, when, file, checksum, mode, state, problems, runs."""
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            found = uploads.list_uploads(conn, limit, offset)
    finally:
        ctx.close()
    table = Table("id", "file", "by", "at", "bytes", "sha256", "mode", "state", "errors",
                  "warnings", "runs", box=None, pad_edge=False)
    for u in found:
        table.add_row(str(u.id), shown(u.file_name), shown(u.uploaded_by),
                      f"{u.uploaded_at:%Y-%m-%d %H:%M}", f"{u.size:,}", u.sha256[:12],
                      u.mode or "—", u.state, f"{u.errors:,}", f"{u.warnings:,}", _runs(u))
    console.print(table if found else "no upload yet")


def _runs(u: Upload) -> str:
    return " ".join(f"{what} {run}" for what, run in (
        ("preview", u.preview_run_id), ("load", u.run_id), ("roll-back", u.rollback_run_id))
        if run is not None) or "—"


def show(cli: typer.Context, upload_id: Annotated[int, typer.Argument(help="The upload.")]
         ) -> None:
    """One upload: its file, who sent it, its state, runs and problems.

    The problems are those of its file against the repository as it is now."""
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            u = uploads.get_upload(conn, upload_id)
        verification = uploads.verification_of(ctx, upload_id)
    finally:
        ctx.close()
    console.print(f"[bold]upload {u.id}[/] · {shown(u.file_name)} · {u.size:,} bytes · "
                  f"sha256 {u.sha256} · by {shown(u.uploaded_by)} at "
                  f"{u.uploaded_at:%Y-%m-%d %H:%M} · mode {u.mode or '—'} · {u.state}",
                  soft_wrap=True)
    console.print(f"  runs: {_runs(u)}")
    if u.message:
        console.print(f"  {shown(u.message)}", soft_wrap=True)
    if verification is not None:
        _problems(verification)


def rollback(cli: typer.Context, upload_id: Annotated[int, typer.Argument(help="The upload.")],
             reason: Annotated[str, typer.Option(help="Why (recorded).")],
             actor: Annotated[str, AS] = "cli") -> None:
    """Undo a load by a compensating run (through thresholds and history): its job result."""
    ctx = open_project(cli)
    try:
        run = uploads.rollback(ctx, upload_id, actor, reason)
    finally:
        ctx.close()
    _ended(run)


def scan_command(cli: typer.Context) -> None:
    """The data model scan: how many resources fill each property, what to hide from forms.

    Per entity type of the upload connector; hide from forms under 1 %, rarely used under 10 %."""
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            scanned = scan(conn, ctx.deployed()[1])
    finally:
        ctx.close()
    for use in scanned:
        table = Table("property", "filled", "share", "suggestion", box=None, pad_edge=False,
                      title=f"{escape(use.label)} — {use.total:,} resources",
                      title_justify="left")
        for p in use.properties:
            table.add_row(escape(p.label), f"{p.filled:,} of {p.total:,}",
                          f"{p.percent:.1f} %", p.suggestion or "—")
        console.print(table)


for name, function in (("template", template), ("verify", verify_file),
                       ("preview", preview), ("load", load), ("list", list_all),
                       ("show", show), ("rollback", rollback), ("scan", scan_command)):
    upload_app.command(name, cls=Command)(handled(function))
