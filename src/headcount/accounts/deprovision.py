"""Deprovisioning orders (SPEC §10): an account confirmed for disabling or deletion, recorded
for its system and exported as CSV for the directory team — headcount does not write to the
directory. A deletion is staged: the account is disabled at once and deleted after the system's
grace period, and until then the order can be undone."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import IO, Literal

import sqlalchemy as sa

from headcount.accounts.marks import set_marks
from headcount.accounts.owners import check_accounts, system_of
from headcount.cells import formula_safe
from headcount.config.managed_system import ManagedSystem
from headcount.config.model import Project
from headcount.errors import HeadcountError
from headcount.repository.bulk import insert_rows, reserve_ids
from headcount.repository.runs import audit, now
from headcount.repository.schema import account_decisions, deprovisioning_orders, resources

Action = Literal["disable", "delete"]
ACTIONS: tuple[Action, ...] = ("disable", "delete")
o = deprovisioning_orders.c


class CannotUndo(HeadcountError):
    """The order is past its grace period, cancelled already, or unknown."""

    exit_code = 4


def request(conn: sa.Connection, project: Project, system: str, account_key: str,
            action: Literal["disable", "delete"], actor: str, reason: str,
            origin: Mapping[str, object]) -> int:
    """Record a deprovisioning order for that account (staged: disable now, delete after
    the system's grace period); returns the order id. `origin` says where it came from,
    e.g. {"campaign": 3, "item": 41}."""
    return request_many(conn, project, system, [account_key], action, actor, reason,
                        origin)[account_key]


def request_many(conn: sa.Connection, project: Project, system: str,
                 account_keys: Sequence[str], action: Action, actor: str, reason: str,
                 origin: Mapping[str, object], comment: str | None = None) -> dict[str, int]:
    """Orders for several accounts at once, written in bulk: account → order id. An account
    that has an open order for the same action keeps it; one for the other action is
    replaced (a disabling confirmed for deletion)."""
    managed = system_of(project, system)
    if action not in ACTIONS:
        raise CannotUndo(f"a deprovisioning order disables or deletes, not `{action}`")
    keys = sorted(set(account_keys))
    check_accounts(conn, managed, keys)
    stamp = now()
    today = stamp.astimezone(UTC).date()
    grace = (today + timedelta(days=managed.grace_days)).isoformat()
    current = _open(conn, managed.identifier, keys)
    out = {k: oid for k, (oid, act) in current.items() if act == action}
    replaced = [oid for k, (oid, act) in current.items() if act != action]
    if replaced:
        conn.execute(sa.update(deprovisioning_orders).where(o.id.in_(replaced)).values(
            state="cancelled", cancelled_at=stamp, cancelled_by=actor))
    new = [k for k in keys if k not in out]
    ids = reserve_ids(conn, deprovisioning_orders, len(new))
    insert_rows(conn, "deprovisioning_orders", (
        "id", "system", "account_key", "action", "state", "requested_at", "delete_on",
        "undo_until", "actor", "reason", "origin"),
        [(i, managed.identifier, k, action, "open", stamp,
          grace if action == "delete" else None, grace, actor, reason,
          json.dumps(dict(origin), ensure_ascii=False, default=str)) for i, k in zip(ids, new,
                                                                                     strict=True)])
    out.update(zip(new, ids, strict=True))
    insert_rows(conn, "account_decisions", (
        "system", "account_key", "decision", "order_id", "comment", "actor", "decided_at"),
        [(managed.identifier, k, action, out[k], comment or reason, actor, stamp) for k in new])
    set_marks(conn, managed.identifier, {k: {"order_id": out[k]} for k in keys})
    if new:
        what = "deletion" if action == "delete" else "disabling"
        audit(conn, actor, f"accounts confirmed for {what}",
              f"{managed.identifier}: {len(new):,} account(s), orders "
              f"{_ranges([out[k] for k in new])}", reason)
    return out


def _open(conn: sa.Connection, system: str, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
    wanted = set(keys)
    return {k: (int(i), a) for i, k, a in conn.execute(
        sa.select(o.id, o.account_key, o.action).where(o.system == system, o.state == "open"))
        if k in wanted}


def _ranges(ids: Sequence[int]) -> str:
    ids = sorted(ids)
    return str(ids[0]) if len(ids) == 1 else f"{ids[0]}–{ids[-1]}"


def undo(conn: sa.Connection, system: ManagedSystem, account_keys: Sequence[str], actor: str,
         comment: str | None, today: date | None = None) -> list[int]:
    """Cancel the open orders of these accounts, within their grace period; returns their
    ids. Past it (or without an open order) nothing is cancelled and the refusal says why."""
    stamp = now()
    today = today or stamp.astimezone(UTC).date()
    current = _open(conn, system.identifier, account_keys)
    missing = sorted(set(account_keys) - set(current))
    if missing:
        raise CannotUndo(f"{system.identifier}: no open deprovisioning order for "
                         f"{', '.join(missing[:10])}")
    late = [(k, u) for k, u in conn.execute(sa.select(o.account_key, o.undo_until).where(
        o.id.in_([i for i, _ in current.values()]))) if u < today.isoformat()]
    if late:
        raise CannotUndo(f"{system.identifier}: the grace period of "
                         f"{', '.join(f'{k} (until {u})' for k, u in late[:10])} is over: "
                         "the order stands")
    ids = sorted(i for i, _ in current.values())
    conn.execute(sa.update(deprovisioning_orders).where(o.id.in_(ids)).values(
        state="cancelled", cancelled_at=stamp, cancelled_by=actor))
    insert_rows(conn, "account_decisions", (
        "system", "account_key", "decision", "order_id", "comment", "actor", "decided_at"),
        [(system.identifier, k, "undo", i, comment or None, actor, stamp)
         for k, (i, _) in sorted(current.items())])
    set_marks(conn, system.identifier, {k: {"order_id": None} for k in current})
    audit(conn, actor, "deprovisioning undone",
          f"{system.identifier}: orders {', '.join(map(str, ids))}", comment or None)
    return ids


EXPORT_HEADER = ("order", "system", "account", "dn", "step", "due", "delete on",
                 "requested at", "requested by", "reason", "origin")


def export(conn: sa.Connection, system: ManagedSystem, handle: IO[str],
           today: date | None = None) -> int:
    """The open orders of a system for the directory team: what to do to each account now —
    disable, or delete once the grace period is over. Returns how many lines."""
    today = today or datetime.now(UTC).date()
    r = resources.c
    rows = conn.execute(
        sa.select(o.id, o.account_key, r.data, o.action, o.delete_on, o.requested_at, o.actor,
                  o.reason, o.origin)
        .outerjoin(resources, sa.and_(r.entity_type == system.accounts,
                                      r.key == o.account_key))
        .where(o.system == system.identifier, o.state == "open").order_by(o.id)).all()
    writer = csv.writer(handle)
    writer.writerow(EXPORT_HEADER)
    for oid, key, data, action, delete_on, requested, actor, reason, origin in rows:
        values = json.loads(data) if data else {}
        dn = next((v for k, v in values.items() if k.lower() in ("dn", "distinguishedname")), "")
        deleting = action == "delete" and delete_on is not None and delete_on <= today.isoformat()
        step = "delete" if deleting else "disable"
        requested = requested.replace(tzinfo=UTC) if requested.tzinfo is None else requested
        due = delete_on if deleting else requested.astimezone(UTC).date().isoformat()
        writer.writerow([formula_safe(v) for v in (
            oid, system.identifier, key, dn, step, due, delete_on or "",
            requested.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), actor, reason, origin)])
    return len(rows)


def history(conn: sa.Connection, system: str, account_key: str
            ) -> list[dict[str, object]]:
    """Every decision on an account, newest first: who, when, what, comment."""
    d = account_decisions.c
    return [dict(row._mapping) for row in conn.execute(
        sa.select(d.decision, d.owner_key, d.responsible, d.until, d.order_id, d.comment,
                  d.actor, d.decided_at).where(d.system == system, d.account_key == account_key)
        .order_by(d.id.desc()))]
