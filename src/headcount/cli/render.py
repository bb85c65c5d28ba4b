"""Rendering job results, runs and resources for the terminal (Rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from headcount.display import changed_values
from headcount.repository.runs import RunRecord

STATE_STYLES = {
    "succeeded": "green", "succeeded with warnings": "yellow", "blocked": "bold red",
    "failed": "bold red", "interrupted": "red", "cancelled": "dim", "running": "cyan",
}


def state(text: str) -> str:
    return f"[{STATE_STYLES.get(text, 'white')}]{text}[/]"


def job_result(console: Console, run: RunRecord, logs: list[tuple[Any, str, str]] | None = None,
               changes: list[tuple[Any, ...]] | None = None) -> None:
    mode = run.mode + (" (dry run)" if run.dry_run else "") + (" (forced)" if run.forced else "")
    console.print(f"[bold]Job result — run {run.id}[/] · connector [bold]{run.connector}[/] · "
                  f"{mode} · {state(run.state)}")
    if run.message:
        console.print(f"  {run.message}")
    if run.duration is not None:
        steps = ", ".join(f"{k} {v:.2f}s" for k, v in run.steps.items())
        waited = f" · waited blocked {run.waited:,.0f}s" if run.waited else ""
        console.print(f"  took {run.duration:.2f}s ({steps}){waited}")
    for f in run.files:
        console.print(f"  file {f['name']}: {f['rows']:,} rows, {f['size']:,} bytes, "
                      f"{f['encoding']}, sha256 {str(f['checksum'])[:12]}…", soft_wrap=True)
    c = run.counters
    if c:
        aside = c.get("set_aside", {})
        aside_text = ", ".join(f"{k} {v}" for k, v in aside.items()) or "0"
        console.print(f"  read {c.get('read', 0):,} · set aside {aside_text} · "
                      f"unresolved references {c.get('unresolved', 0):,}")
        table = Table("entity type", "inserted", "updated", "deleted", "links inserted",
                      "links deleted", title=None, box=None, pad_edge=False)
        per_type: dict[str, dict[str, int]] = c.get("per_entity_type", {})
        for et in sorted(per_type):
            n = per_type[et]
            table.add_row(et, *(f"{n.get(k, 0):,}" for k in (
                "inserted", "updated", "deleted", "links_inserted", "links_deleted")))
        table.add_row("[bold]total[/]", *(f"[bold]{c.get(k, 0):,}[/]" for k in (
            "inserted", "updated", "deleted", "links_inserted", "links_deleted")))
        console.print(table)
        what = "provisioning orders (preview: resuming gives)" if run.state == "blocked" \
            else "provisioning orders"
        for rt, kinds in (c.get("orders") or {}).items():
            shown = ", ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items()))
            console.print(f"  {what} {rt}: {shown}", highlight=False)
    if logs:
        console.print("[bold]log[/]")
        for _at, level, message in logs:
            style = {"error": "red", "warning": "yellow"}.get(level, "dim")
            console.print(f"  [{style}]{level:7}[/] {message}", highlight=False)
    if changes:
        console.print("[bold]changes[/]")
        for kind, et, key, nav, tkey, data, cid, line in changes:
            where = f"{cid}:{line}" if line else (cid or "")
            if kind.startswith("link_"):
                sign = "+" if kind == "link_insert" else "-"
                console.print(f"  {sign} link {et} {key} .{nav.partition('.')[2]} → {tkey}"
                              f"  [dim]{where}[/]", highlight=False)
            elif kind == "update":
                values = ", ".join(f"{p}: {text}" for p, text in changed_values(kind, data))
                console.print(f"  ~ {et} {escape(key)}: {escape(values)}  [dim]{where}[/]",
                              highlight=False)
            else:
                sign = "+" if kind == "insert" else "-"
                console.print(f"  {sign} {et} {key}  [dim]{where}[/]", highlight=False)


def runs_table(console: Console, runs: list[RunRecord]) -> None:
    table = Table("run", "connector", "mode", "state", "started", "duration", "ins", "upd",
                  "del")
    # The message is what a person reads to decide (why a run was blocked or failed): it wraps
    # within its column, never cut.
    table.add_column("message", overflow="fold")
    for r in runs:
        c = r.counters
        table.add_row(str(r.id), r.connector, r.mode + (" dry" if r.dry_run else ""),
                      state(r.state), r.started_at.strftime("%Y-%m-%d %H:%M:%S")
                      if r.started_at else "", f"{r.duration:.1f}s" if r.duration else "",
                      str(c.get("inserted", "")), str(c.get("updated", "")),
                      str(c.get("deleted", "")), r.message or "")
    console.print(table)
