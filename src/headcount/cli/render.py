"""Rendering job results, runs and resources for the terminal (Rich)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from headcount.display import changed_values
from headcount.repository.changelist import ChangeRow
from headcount.repository.references import PendingReference, why
from headcount.repository.runs import RunRecord
from headcount.workflows.history import Started

STATE_STYLES = {
    "succeeded": "green", "succeeded with warnings": "yellow", "blocked": "bold red",
    "failed": "bold red", "interrupted": "red", "cancelled": "dim", "running": "cyan",
}


COUNTED = ("inserted", "updated", "deleted", "links_inserted", "links_pending", "links_deleted")


def state(text: str) -> str:
    return f"[{STATE_STYLES.get(text, 'white')}]{text}[/]"


def job_result(console: Console, run: RunRecord, logs: list[tuple[Any, str, str]] | None = None,
               changes: list[ChangeRow] | None = None,
               names: Mapping[tuple[str, str], str] | None = None) -> None:
    """The job result; `names` (display names by entity type and key) puts each changed
    resource's name beside its key."""
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
        if f["encoding"] == "ldap":  # a directory server's search, not a file
            console.print(f"  search {f['name']}: {f['rows']:,} entries, "
                          f"sha256 {str(f['checksum'])[:12]}…", soft_wrap=True)
            continue
        console.print(f"  file {f['name']}: {f['rows']:,} rows, {f['size']:,} bytes, "
                      f"{f['encoding']}, sha256 {str(f['checksum'])[:12]}…", soft_wrap=True)
    c = run.counters
    if c:
        aside = c.get("set_aside", {})
        aside_text = ", ".join(f"{k} {v}" for k, v in aside.items()) or "0"
        console.print(f"  read {c.get('read', 0):,} · set aside {aside_text} · "
                      f"unresolved references {c.get('unresolved', 0):,}")
        table = Table("entity type", "inserted", "updated", "deleted", "links inserted",
                      "links pending", "links deleted", title=None, box=None, pad_edge=False)
        per_type: dict[str, dict[str, int]] = c.get("per_entity_type", {})
        for et in sorted(per_type):
            n = per_type[et]
            table.add_row(et, *(f"{n.get(k, 0):,}" for k in COUNTED))
        table.add_row("[bold]total[/]", *(f"[bold]{c.get(k, 0):,}[/]" for k in COUNTED))
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
        for ch in changes:
            name = (names or {}).get((ch.entity_type, ch.key), ch.key)
            named = escape(ch.key) + (f" ({escape(name)})" if name != ch.key else "")
            where = f"{ch.connection}:{ch.line}" if ch.line else (ch.connection or "")
            if ch.kind.startswith("link_"):
                sign = "+" if ch.kind == "link_insert" else "-"
                nav = (ch.navigation or "").partition(".")[2]
                console.print(f"  {sign} link {ch.entity_type} {named} .{nav} → "
                              f"{escape(ch.target_key or '')}  [dim]{where}[/]", highlight=False)
            elif ch.kind == "update":
                values = ", ".join(f"{p}: {text}" for p, text in changed_values(ch.kind, ch.data))
                console.print(f"  ~ {ch.entity_type} {named}: {escape(values)}  "
                              f"[dim]{where}[/]",
                              highlight=False)
            else:
                sign = "+" if ch.kind == "insert" else "-"
                console.print(f"  {sign} {ch.entity_type} {named}  [dim]{where}[/]",
                              highlight=False)
            for link in ch.links:
                console.print(f"    + link .{link.navigation.partition('.')[2]} → "
                              f"{escape(link.target_key)}", highlight=False)


def unresolved_list(console: Console, run: RunRecord, total: int,
                    refs: list[PendingReference], offset: int) -> None:
    """The references a run left pending, with why each target is missing."""
    console.print(f"[bold]unresolved references[/] of run {run.id}: {total:,}", highlight=False)
    for ref in refs:
        nav = ref.navigation.partition(".")[2]
        since = "" if ref.new else " · pending since an earlier run"
        console.print(f"  {ref.entity_type} {escape(ref.key)} .{nav} → {ref.target_type} "
                      f"{escape(ref.target_key)}: {escape(why(ref))}{since}", highlight=False,
                      soft_wrap=True)
    shown = offset + len(refs)
    if shown < total:
        console.print(f"  … {total - shown:,} more: --offset {shown}", highlight=False)


def workflow_list(console: Console, run: RunRecord, total: int, started: list[Started],
                  offset: int) -> None:
    """The workflows a run started — or would start: a dry run, a blocked run's preview."""
    planned = bool(started) and started[0].state == "planned"
    console.print(f"[bold]workflows {'it would start' if planned else 'started'}[/] by run "
                  f"{run.id}: {total:,}", highlight=False)
    for w in started:
        waiting = f" · task {w.open_task}" if w.open_task else ""
        console.print(f"  #{w.id} {w.workflow} {escape(w.subject_key or '')} ({w.state}"
                      f"{waiting}): {escape(w.message or '')}", highlight=False, soft_wrap=True)
    shown = offset + len(started)
    if shown < total:
        console.print(f"  … {total - shown:,} more: --offset {shown}", highlight=False)


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
