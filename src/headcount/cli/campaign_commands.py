"""Commands about review campaigns (SPEC §10): campaign create, list, show, decide, sign-off,
close, report, remind. Reviewers act `--as NAME`; the notices `remind` writes are delivered."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from headcount.campaigns import decisions, lifecycle, report, store
from headcount.campaigns.spec import CampaignSpec
from headcount.cli.root import Command, Group, app, console, handled, open_project
from headcount.cli.task_commands import _instant, _user, send_notices

campaign_app = typer.Typer(cls=Group, no_args_is_help=True,
                           help="Review campaigns: HR consistency and access certification.")
app.add_typer(campaign_app, name="campaign")
AS = typer.Option("--as", help="The reviewer acting (a name from `headcount user list`).")


def _pairs(values: list[str], hint: str) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"`{value}`: write PROPERTY=VALUE", param_hint=hint)
        out[name.strip()] = text.strip()
    return out


def campaign_create(
        cli: typer.Context,
        name: Annotated[str, typer.Argument(help="The campaign's name.")],
        owner: Annotated[str, typer.Option(help="Who owns it: sees every item, the signals, "
                                                "the report.")],
        until: Annotated[str, typer.Option("--until", help="The end date (YYYY-MM-DD).")],
        kind: Annotated[str, typer.Option(help="certification | hr-consistency")]
        = "certification",
        start: Annotated[str | None, typer.Option(
            "--from", help="The start date (YYYY-MM-DD); default: today.")] = None,
        entity_type: Annotated[str, typer.Option(help="Certification: the subjects' entity "
                                                      "type.")] = "Directory_User",
        filters: Annotated[list[str] | None, typer.Option(
            "--filter", help="PROPERTY=PATTERN (`*`: any text), repeatable.")] = None,
        changed_since: Annotated[str | None, typer.Option(
            help="Only subjects whose data changed since this day (the history).")] = None,
        system: Annotated[str | None, typer.Option(
            help="Certify the accounts of this managed system instead.")] = None,
        reviewers: Annotated[list[str] | None, typer.Option(
            "--reviewer", help="A stage's reviewers, repeatable, stages in order: manager, "
                               "organization-manager, role:NAME or user:NAME.")] = None,
        fallback: Annotated[str | None, typer.Option(
            help="role:NAME or user:NAME when nobody is found (else the owner).")] = None,
        default_outcome: Annotated[str, typer.Option(
            help="Items nobody decided at the end date: none | approve | decline.")] = "none",
        apply_declines: Annotated[str, typer.Option(help="at-close | at-once")] = "at-close",
        decline_workflow: Annotated[str | None, typer.Option(
            help="The workflow an identity declined goes through.")] = None,
        decline_set: Annotated[list[str] | None, typer.Option(
            help="PROPERTY=VALUE given to that workflow, repeatable.")] = None) -> None:
    """Create a campaign and all its items at once; prints its id and item count."""
    values: dict[str, Any] = {
        "kind": kind, "name": name, "owner": owner, "ends_on": until,
        "starts_on": start or datetime.now(UTC).date().isoformat(),
        "scope": {"entity_type": entity_type, "filters": _pairs(filters or [], "--filter"),
                  "changed_since": changed_since, "system": system},
        "options": {"default_outcome": default_outcome, "apply_declines": apply_declines,
                    "decline_workflow": decline_workflow,
                    "decline_values": _pairs(decline_set or [], "--decline-set")}}
    if reviewers:
        values["stages"] = [{"name": f"Stage {n}", "reviewer": r, "fallback": fallback}
                            for n, r in enumerate(reviewers, 1)]
    try:
        spec = CampaignSpec.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise typer.BadParameter(f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
                                 ) from None
    ctx = open_project(cli)
    try:
        campaign_id, count = lifecycle.create(ctx.engine, ctx.deployed()[1], spec, "cli")
    finally:
        ctx.close()
    console.print(f"campaign {campaign_id} created: {count:,} item{'' if count == 1 else 's'}")


def campaign_list(cli: typer.Context) -> None:
    """The campaigns, newest first, with their progress."""
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            found = [(c, store.progress(conn, c.id)[0]) for c in store.listed(conn)]
    finally:
        ctx.close()
    table = Table("campaign", "kind", "name", "owner", "state", "dates", "progress", box=None,
                  pad_edge=False)
    for c, p in found:
        table.add_row(str(c.id), c.kind, escape(c.name), escape(c.owner), c.state,
                      f"{c.starts_on} – {c.ends_on}", f"{p.percent} % ({p.done:,}/{p.total:,})")
    console.print(table)


def campaign_show(cli: typer.Context, campaign_id: int,
                  name: Annotated[str | None, AS] = None, limit: int = 50,
                  offset: int = 0) -> None:
    """A campaign and its progress; with --as NAME, that reviewer's items."""
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            c = store.get(conn, campaign_id)
            overall, stages, reviewers = store.progress(conn, campaign_id)
            signed = store.signed_off(conn, campaign_id)
            items = None if name is None else store.items_of(
                conn, campaign_id, store.mine(_user(conn, name)), None, limit, offset)
    finally:
        ctx.close()
    console.print(f"[bold]campaign {c.id}[/] {escape(c.name)} ({c.kind}), {c.state}, owner "
                  f"{escape(c.owner)}, {c.starts_on} – {c.ends_on}")
    console.print(f"progress: {overall.percent} % ({overall.done:,} of {overall.total:,})")
    for stage, p in stages.items():
        label = c.stages[stage].name if stage < len(c.stages) else str(stage + 1)
        console.print(f"  stage {stage + 1} {escape(label)}: {p.percent} % ({p.done:,} of "
                      f"{p.total:,})")
    for reviewer, p in reviewers.items():
        done = f", signed off {signed[reviewer]:%Y-%m-%d %H:%M}" if reviewer in signed else ""
        console.print(f"  {escape(reviewer)}: {p.percent} % ({p.done:,} of {p.total:,}){done}")
    if items is None:
        return
    total, page = items
    console.print(f"[bold]{total:,}[/] item{'' if total == 1 else 's'} for {escape(name or '')}")
    table = Table("item", "subject", "finding", "stage", "state", "decision", box=None,
                  pad_edge=False)
    for i in page:
        table.add_row(str(i.id), escape(f"{i.label or ''} ({i.subject_type} {i.subject_key})"),
                      escape(i.finding + (f": {i.property}" if i.property else "")),
                      str(i.stage + 1), i.state, escape(i.decision or "—"))
    console.print(table)


def campaign_decide(cli: typer.Context, campaign_id: int,
                    items: Annotated[list[int], typer.Argument(help="Item ids.")],
                    decision: Annotated[str, typer.Option(
                        help="approve | decline | forward; take-hr | keep | fix-in-hr | "
                             "exception | forward")],
                    name: Annotated[str, AS],
                    comment: Annotated[str | None, typer.Option(help="Why.")] = None,
                    to: Annotated[str | None, typer.Option(
                        help="forward: a user's name, or role:NAME.")] = None,
                    expires: Annotated[str | None, typer.Option(
                        "--until", help="exception: its expiry (YYYY-MM-DD).")] = None
                    ) -> None:
    """One decision on items of that reviewer's, all or none."""
    try:
        until = date.fromisoformat(expires) if expires else None
    except ValueError:
        raise typer.BadParameter("a date is written YYYY-MM-DD", param_hint="--until") from None
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            user = _user(conn, name)
        done = decisions.decide(ctx.engine, ctx.deployed()[1], campaign_id, items, decision,
                                user, comment, to, until)
    finally:
        ctx.close()
    console.print(f"{decision}: {len(done.decided)} item{'' if len(done.decided) == 1 else 's'}")
    for item_id, text in done.applied.items():
        console.print(f"  item {item_id}: {escape(text)}")


def campaign_sign_off(cli: typer.Context, campaign_id: int, name: Annotated[str, AS]) -> None:
    """That reviewer is done: their decisions become final."""
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            user = _user(conn, name)
        final = decisions.sign_off(ctx.engine, ctx.deployed()[1], campaign_id, user)
    finally:
        ctx.close()
    console.print(f"signed off: {final:,} decision{'' if final == 1 else 's'} final")


def campaign_close(cli: typer.Context, campaign_id: int) -> None:
    """Close the campaign: undecided items take its default outcome, declines kept for the
    close are applied."""
    ctx = open_project(cli)
    try:
        undecided = lifecycle.close(ctx.engine, ctx.deployed()[1], campaign_id, "cli")
    finally:
        ctx.close()
    console.print(f"campaign {campaign_id} closed: {undecided:,} item"
                  f"{'' if undecided == 1 else 's'} nobody decided")


def campaign_report(cli: typer.Context, campaign_id: int,
                    output: Annotated[Path | None, typer.Option(
                        "-o", "--output", help="Write to this file (default: standard "
                                               "output, CSV only).")] = None,
                    format: Annotated[str, typer.Option(help="csv | xlsx")] = "csv") -> None:
    """The report: one line per item and decision."""
    if format not in ("csv", "xlsx"):
        raise typer.BadParameter("csv or xlsx", param_hint="--format")
    if format == "xlsx" and output is None:
        raise typer.BadParameter("an XLSX report goes to a file: -o FILE", param_hint="-o")
    ctx = open_project(cli)
    try:
        with ctx.engine.connect() as conn:
            if format == "xlsx":
                assert output is not None
                output.write_bytes(report.as_xlsx(conn, campaign_id))
                return
            text = report.as_csv(conn, campaign_id)
    finally:
        ctx.close()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def campaign_remind(cli: typer.Context,
                    now: Annotated[str | None, typer.Option(
                        help="The instant to act at (ISO 8601, with its offset).")] = None
                    ) -> None:
    """What the clock does (run it daily): drafts start, reminders and escalations go out,
    campaigns past their end date close; then the pending notices are delivered."""
    at = _instant(now)
    ctx = open_project(cli)
    try:
        project = ctx.deployed()[1]
        done = lifecycle.tick(ctx.engine, project, at)
        console.print(", ".join(f"{n} {what}" for what, n in done.items()))
        send_notices(ctx, project, at)
    finally:
        ctx.close()


for _name, _fn in (("create", campaign_create), ("list", campaign_list),
                   ("show", campaign_show), ("decide", campaign_decide),
                   ("sign-off", campaign_sign_off), ("close", campaign_close),
                   ("report", campaign_report), ("remind", campaign_remind)):
    campaign_app.command(_name, cls=Command)(handled(_fn))
