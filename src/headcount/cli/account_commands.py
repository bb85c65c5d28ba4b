"""Commands about managed systems' accounts (SPEC §10): the orphaned, unused and owner-left
accounts of a system, decisions on them, owners imported from a CSV file, and the
deprovisioning orders exported for the directory team."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from headcount.accounts import decisions, deprovision, owners, review
from headcount.cli.root import Command, Group, app, console, handled, open_project
from headcount.repository.database import begin_write

accounts_app = typer.Typer(cls=Group, help="Managed systems' accounts: orphaned, unused and "
                           "owner-left accounts, decisions, deprovisioning orders.",
                           no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
AS = typer.Option("--as", help="Who decides (recorded in the audit log).")


def _listing(cli: typer.Context, system: str, category: str, suggested: bool, pending: bool,
             search: str, limit: int, offset: int, as_csv: bool) -> None:
    ctx = open_project(cli)
    now = datetime.now(UTC)
    try:
        managed = owners.system_of(ctx.deployed()[1], system)
        with ctx.engine.connect() as conn:
            counts = review.counts(conn, managed, now)
            fresh = review.freshness(conn, managed)
            total, rows = review.page(conn, managed, now, category, search, suggested, pending,
                                      None if as_csv else limit, 0 if as_csv else offset)
    finally:
        ctx.close()
    if as_csv:
        review.write_csv(sys.stdout, rows)
        return
    read = fresh.last_read.strftime("%Y-%m-%d %H:%M UTC") if fresh.last_read else "never"
    console.print(f"[bold]{managed.label}[/]: {counts.accounts:,} accounts · "
                  f"{counts.orphan:,} orphans ({counts.orphan_suggested:,} with a suggested "
                  f"owner) · {counts.unused:,} unused · {counts.owner_left:,} owner left · "
                  f"{counts.service:,} service accounts")
    console.print(f"accounts read {read} (run {fresh.last_run or '—'}); unused: no logon for "
                  f"{fresh.unused_after_days} days, last logons may be {fresh.lag_days} days "
                  "old (replication lag)")
    console.print(f"[bold]{total:,}[/] {category} account{'' if total == 1 else 's'}"
                  + (f", showing {offset + 1:,}–{offset + len(rows):,}" if rows else ""))
    table = Table("account", "name", "owner", "suggested owner", "last logon", "decided",
                  box=None, pad_edge=False)
    for a in rows:
        suggestion = f"{a.suggestion_key} ({a.suggestion_score})" if a.suggestion_key else ""
        owner = f"{a.owner_key} ({a.owner_state})" if a.owner_key else ""
        decided = (f"order {a.order_id}: {a.order_action}" if a.order_id else
                   f"postponed until {a.postponed_until}" if a.postponed_until else
                   f"service until {a.service_until}" if a.service_until else "")
        table.add_row(escape(a.key), escape(a.display), escape(owner), escape(suggestion),
                      a.last_logon or "never", escape(decided))
    console.print(table)


Suggested = Annotated[bool, typer.Option(help="Only accounts with a suggested owner.")]
Pending = Annotated[bool, typer.Option(help="Only accounts nobody decided yet (not postponed, "
                                            "no deprovisioning order).")]
Search = Annotated[str, typer.Option(help="Accounts whose key or name contains this.")]
AsCsv = Annotated[bool, typer.Option("--csv", help="Every matching account as CSV.")]


def accounts_orphans(cli: typer.Context, system: str, suggested: Suggested = False,
                     pending: Pending = False, search: Search = "", limit: int = 50,
                     offset: int = 0, as_csv: AsCsv = False) -> None:
    """Orphaned accounts of a system: no owner, not a service account."""
    _listing(cli, system, "orphan", suggested, pending, search, limit, offset, as_csv)


def accounts_unused(cli: typer.Context, system: str, pending: Pending = False,
                    search: Search = "", limit: int = 50, offset: int = 0,
                    as_csv: AsCsv = False) -> None:
    """Unused accounts: enabled, no logon for the system's `unused_after_days`."""
    _listing(cli, system, "unused", False, pending, search, limit, offset, as_csv)


def accounts_owner_left(cli: typer.Context, system: str, pending: Pending = False,
                        search: Search = "", limit: int = 50, offset: int = 0,
                        as_csv: AsCsv = False) -> None:
    """Enabled accounts whose owner's identity has left."""
    _listing(cli, system, "owner-left", False, pending, search, limit, offset, as_csv)


def accounts_service(cli: typer.Context, system: str, search: Search = "", limit: int = 50,
                     offset: int = 0, as_csv: AsCsv = False) -> None:
    """Service accounts: recognised by `service_accounts`, or authorised as such."""
    _listing(cli, system, "service", False, False, search, limit, offset, as_csv)


def accounts_decide(cli: typer.Context, system: str,
                    decision: Annotated[str, typer.Argument(
                        help="owner | accept | service | disable | delete | postpone | undo")],
                    accounts: Annotated[list[str], typer.Argument(help="Account keys.")],
                    owner: Annotated[str | None, typer.Option(
                        help="owner: the identity (Directory_User key).")] = None,
                    responsible: Annotated[str | None, typer.Option(
                        help="service: the person responsible for it.")] = None,
                    until: Annotated[str | None, typer.Option(
                        help="service, postpone: until this day (YYYY-MM-DD).")] = None,
                    comment: Annotated[str, typer.Option(help="Why (recorded).")] = "",
                    actor: Annotated[str, AS] = "cli") -> None:
    """Decide on accounts: authorise (owner, accept the suggested owner, service), confirm for
    disabling or deletion (a deprovisioning order), postpone, or undo an order."""
    day = _day(until)
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        with begin_write(ctx.engine) as conn:
            outcome = decisions.decide(conn, project, system, accounts, decision, actor,
                                       comment or None, owner, responsible, day)
    finally:
        ctx.close()
    console.print(f"{system}: {escape(outcome.message)}")
    for key, order in sorted(outcome.orders.items()):
        console.print(f"  order {order}: {escape(key)}")


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("a day as YYYY-MM-DD", param_hint="--until") from None


def accounts_import_owners(cli: typer.Context, system: str,
                           file: Annotated[Path, typer.Argument(
                               help="CSV with a header: account key, owner key.")],
                           comment: Annotated[str, typer.Option(help="Why (recorded).")] = "",
                           actor: Annotated[str, AS] = "cli") -> None:
    """Name the owners of many accounts from a CSV file of two columns, account key and
    owner key (an identity): every key checked, all or nothing."""
    with file.open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.reader(handle) if any(c.strip() for c in r)]
    pairs = {r[0].strip(): r[1].strip() for r in rows[1:] if len(r) >= 2}
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        managed = owners.system_of(project, system)
        with begin_write(ctx.engine) as conn:
            n = owners.assign(conn, project, managed, pairs, actor, comment or None)
    finally:
        ctx.close()
    console.print(f"{system}: {n:,} account owner(s) imported from {file.name}")


def accounts_export(cli: typer.Context, system: str,
                    out: Annotated[Path | None, typer.Option(
                        help="Write to this file instead of the standard output.")] = None
                    ) -> None:
    """The open deprovisioning orders of a system as CSV, for the directory team: each
    account to disable now, or to delete once its grace period is over."""
    ctx = open_project(cli)
    try:
        managed = owners.system_of(ctx.deployed()[1], system)
        with ctx.engine.connect() as conn:
            if out is None:
                deprovision.export(conn, managed, sys.stdout)
                return
            with out.open("w", encoding="utf-8", newline="") as handle:
                n = deprovision.export(conn, managed, handle)
    finally:
        ctx.close()
    console.print(f"{n:,} deprovisioning order(s) written to {out}")


for _name, _fn in (("orphans", accounts_orphans), ("unused", accounts_unused),
                   ("owner-left", accounts_owner_left), ("service", accounts_service),
                   ("decide", accounts_decide), ("import-owners", accounts_import_owners),
                   ("export", accounts_export)):
    accounts_app.command(_name, cls=Command)(handled(_fn))
