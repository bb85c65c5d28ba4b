"""Commands about manual uploads (SPEC §9): the templates HR staff fill."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer

from headcount.cli.root import Command, Group, app, console, handled, open_project
from headcount.upload.templates import write_template

upload_app = typer.Typer(cls=Group, help="Manual upload of the workforce: templates to fill.",
                         no_args_is_help=True)
app.add_typer(upload_app, name="upload")


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


upload_app.command("template", cls=Command)(handled(template))
