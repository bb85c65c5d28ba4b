"""Decisions on a managed system's accounts (SPEC §10), on one account or many: authorise
(name the owner — or accept the suggested one —, or declare a service account with a
responsible person and an expiry date), confirm for disabling or deletion (a deprovisioning
order), postpone until a date, undo an order within its grace period. Each is audited and kept
with the account (who, when, comment)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import Literal

import sqlalchemy as sa

from headcount.accounts import deprovision, owners
from headcount.accounts.marks import set_marks
from headcount.config.model import Project
from headcount.errors import HeadcountError
from headcount.repository.bulk import insert_rows
from headcount.repository.runs import audit, now

Decision = Literal["owner", "accept", "service", "disable", "delete", "postpone", "undo"]
DECISIONS: tuple[Decision, ...] = ("owner", "accept", "service", "disable", "delete",
                                   "postpone", "undo")


class InvalidDecision(HeadcountError):
    """A decision without what it needs (an owner, a responsible person, a date), or with a
    date in the past."""

    exit_code = 4


@dataclass(frozen=True)
class Outcome:
    decision: str
    accounts: int
    orders: dict[str, int]
    message: str


def decide(conn: sa.Connection, project: Project, system_name: str, keys: Sequence[str],
           decision: str, actor: str, comment: str | None = None, owner: str | None = None,
           responsible: str | None = None, until: date | None = None) -> Outcome:
    """One decision on the accounts `keys`, in the caller's write transaction."""
    system = owners.system_of(project, system_name)
    keys = sorted(set(keys))
    if decision not in DECISIONS:
        raise InvalidDecision(f"unknown decision `{decision}`: one of {', '.join(DECISIONS)}")
    if not keys:
        raise InvalidDecision("choose at least one account")
    today = now().astimezone(UTC).date()
    if decision == "owner":
        if not owner:
            raise InvalidDecision("authorising with an owner names the owner (an identity)")
        n = owners.assign(conn, project, system, dict.fromkeys(keys, owner), actor, comment)
        return Outcome(decision, n, {}, f"{n:,} account(s) now owned by {owner}")
    if decision == "accept":
        found = owners.suggestions(conn, system, keys)
        n = owners.assign(conn, project, system, found, actor, comment)
        skipped = len(keys) - n
        return Outcome(decision, n, {}, f"{n:,} suggested owner(s) accepted" + (
            f"; {skipped:,} account(s) had no suggestion" if skipped else ""))
    if decision in ("disable", "delete"):
        orders = deprovision.request_many(
            conn, project, system.identifier, keys, "delete" if decision == "delete"
            else "disable", actor, comment or f"confirmed for {decision} in the review",
            {"review": system.identifier}, comment)
        return Outcome(decision, len(orders), orders,
                       f"{len(orders):,} account(s) confirmed for {decision}"
                       + (f" (disabled now, deleted after {system.grace_days} days)"
                          if decision == "delete" else ""))
    if decision == "undo":
        ids = deprovision.undo(conn, system, keys, actor, comment, today)
        return Outcome(decision, len(ids), {}, f"{len(ids):,} order(s) undone")
    if until is None or until < today:
        raise InvalidDecision(f"`{decision}` needs a date from today on (until)")
    if decision == "service":
        if not responsible:
            raise InvalidDecision("a service account needs a responsible person")
        marks: Mapping[str, Mapping[str, object]] = {
            k: {"service_responsible": responsible, "service_until": until.isoformat()}
            for k in keys}
    else:
        marks = {k: {"postponed_until": until.isoformat()} for k in keys}
    owners.check_accounts(conn, system, keys)
    set_marks(conn, system.identifier, marks)
    stamp = now()
    insert_rows(conn, "account_decisions", (
        "system", "account_key", "decision", "responsible", "until", "comment", "actor",
        "decided_at"), [(system.identifier, k, decision, responsible if decision == "service"
                         else None, until.isoformat(), comment or None, actor, stamp)
                        for k in keys])
    what = "authorised as service accounts" if decision == "service" else "postponed"
    audit(conn, actor, f"accounts {what}", f"{system.identifier}: {len(keys):,} account(s) "
          f"until {until.isoformat()}", comment or None)
    return Outcome(decision, len(keys), {}, f"{len(keys):,} account(s) {what} until {until}")

