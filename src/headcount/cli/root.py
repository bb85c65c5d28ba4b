"""The root of the command line: the Typer app, the project option, and the one place where
errors become messages and exit codes. Commands live in modules by noun."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup, TyperOption

from headcount import __version__
from headcount.errors import ConfigError, HeadcountError, user_error
from headcount.project import ProjectContext


class Command(TyperCommand):
    """A command whose flags show no `<bool>` placeholder in --help: a flag takes no value."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _bare_flags(super().get_params(ctx))


class Group(TyperGroup):
    """A group of commands (see `Command`)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _bare_flags(super().get_params(ctx))


def _bare_flags(params: list[Any]) -> list[Any]:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""  # an empty metavar, not None: Typer then shows no type
    return params


app = typer.Typer(
    name="headcount", cls=Group, no_args_is_help=True, add_completion=False,
    rich_markup_mode="rich",
    help="headcount — the HR connector of an open-source identity manager.\n\n"
         "Exit codes: 0 succeeded, 1 failed, 2 configuration invalid, 3 blocked (threshold "
         "exceeded; changes staged), 4 refused or skipped, 6 not found, 7 needs --confirm.",
)
# Job results are read in logs and CI output too, where no terminal gives a width: 120 columns
# keep their tables whole. Errors are never wrapped: a message naming a file, line and column
# stays on one line whatever the length of the path (for grep, and for the reader).
_WIDTH = max(120, shutil.get_terminal_size((120, 24)).columns)
console = Console(highlight=False, width=_WIDTH)
err = Console(stderr=True, highlight=False, width=_WIDTH, soft_wrap=True)

ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="Project folder.",
                                          envvar="HEADCOUNT_PROJECT")]
F = TypeVar("F", bound=Callable[..., Any])


@app.callback()
def _root(ctx: typer.Context, project: ProjectOpt = Path("."),
          version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False
          ) -> None:
    if version:
        console.print(__version__)
        raise typer.Exit()
    ctx.obj = project


def project_dir(ctx: typer.Context) -> Path:
    """The project folder given to the root command."""
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, Path) else Path(".")


def open_project(ctx: typer.Context) -> ProjectContext:
    return ProjectContext.open(project_dir(ctx))


def command(fn: F) -> F:
    """Register a command of the root app (see `handled`)."""
    app.command(cls=Command)(handled(fn))
    return fn


def handled(fn: F) -> F:
    """A command whose errors from the outside world (configuration, files, the database) are
    printed as messages with their exit code, never as a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            error = user_error(exc)
            if error is None:
                raise
            raise fail(error) from None

    return wrapper  # type: ignore[return-value]


def fail(exc: HeadcountError) -> typer.Exit:
    if isinstance(exc, ConfigError):
        err.print(f"[red]configuration invalid[/] ({len(exc.problems)} problem"
                  f"{'s' if len(exc.problems) > 1 else ''}):")
        for p in exc.problems:
            err.print(f"  {p}")
    else:
        err.print(f"[red]error:[/] {exc}")
    return typer.Exit(exc.exit_code)
