"""The owners of a managed system's accounts (SPEC §10): every account correlated set-wise to
the identity that owns it — all accounts and identities read once, each rule's identity values
indexed once, the outcome written in bulk. Confidence 100 names the owner; below, a correlation
case on the cases page (a `link` decision names the owner, `new` says the account has none),
and the best candidate is the account's suggested owner, with its score and why."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from headcount.config.managed_system import ManagedSystem
from headcount.config.model import Project
from headcount.config.resource_type import CorrelationRule, ResourceType
from headcount.errors import HeadcountError, NotFound
from headcount.policy.cases import decided_new, open_cases
from headcount.policy.correlation import Candidate, CorrelationCase, normalise
from headcount.repository.bulk import execute_many, insert_rows, raw_rows
from headcount.repository.runs import audit, now
from headcount.repository.schema import (
    account_decisions,
    account_status,
    correlation_cases,
    ownership,
    resources,
)

OWNER_TYPE = "Directory_User"
Values = Mapping[str, Any]


class UnknownKeys(HeadcountError):
    """An owner import or decision names accounts or identities that do not exist."""

    exit_code = 4


@dataclass
class Correlation:
    """What the correlation of a system's accounts gave: account → (owner, how it was named);
    the cases a person decides; account → its suggested owner."""

    owners: dict[str, tuple[str, str]] = field(default_factory=dict)
    cases: list[CorrelationCase] = field(default_factory=list)
    suggestions: dict[str, tuple[Candidate, str]] = field(default_factory=dict)


def system_of(project: Project, identifier: str) -> ManagedSystem:
    system = project.managed_system(identifier)
    if system is None:
        names = ", ".join(m.identifier for m in project.managed_systems) or "none"
        raise NotFound(f"no managed system `{identifier}` (deployed: {names})")
    return system


def owner_type(project: Project, system: ManagedSystem) -> ResourceType:
    return next(rt for rt in project.resource_types
                if rt.identifier.lower() == system.owner.lower())


def read_values(conn: sa.Connection, entity_type: str) -> dict[str, dict[str, Any]]:
    """Every resource of an entity type: key → values, in one query."""
    rows = raw_rows(conn, sa.select(resources.c.key, resources.c.data)
                    .where(resources.c.entity_type == entity_type))
    return {key: json.loads(data) for key, data in rows}


def correlate(accounts: Mapping[str, Values], identities: Mapping[str, Values],
              rt: ResourceType, pinned: Mapping[str, tuple[str, str]],
              without_owner: set[str]) -> Correlation:
    """The owner of each account: a pinned one (decided by a person) first; else the rules
    from the highest confidence down — one identity at 100 is the owner; several, or any
    below 100, a case (none below 100 for an account decided to have no owner)."""
    rules = sorted(rt.correlation, key=lambda r: -r.confidence)
    indexes = [(rule, _index(identities, rule)) for rule in rules]
    out = Correlation()
    for key, values in accounts.items():
        if key in pinned:
            out.owners[key] = pinned[key]
            continue
        for rule, index in indexes:
            if rule.confidence < 100 and key in without_owner:
                continue
            probe = _probe(values, rule.source, rule)
            found = sorted(index.get(probe, ())) if probe is not None else []
            if not found:
                continue
            if rule.confidence >= 100 and len(found) == 1:
                out.owners[key] = (found[0], "rule")
                break
            if key in without_owner:
                break
            scored = sorted((_scored(values, k, identities[k], rules) for k in found),
                            key=lambda c: (-c[0].score, c[0].key))
            out.cases.append(CorrelationCase(rt.identifier, key, tuple(c for c, _ in scored),
                                             rule.confidence))
            out.suggestions[key] = scored[0]
            break
    return out


def _index(identities: Mapping[str, Values], rule: CorrelationRule
           ) -> dict[tuple[str, ...], list[str]]:
    index: dict[tuple[str, ...], list[str]] = {}
    for key, values in identities.items():
        probe = _probe(values, rule.target, rule)
        if probe is not None:
            index.setdefault(probe, []).append(key)
    return index


def _probe(values: Values, bindings: Sequence[str], rule: CorrelationRule
           ) -> tuple[str, ...] | None:
    steps = rule.normalise
    out = tuple(normalise(v, steps) if (v := values.get(b)) else "" for b in bindings)
    return out if all(out) else None


def _scored(account: Values, key: str, identity: Values, rules: Sequence[CorrelationRule]
            ) -> tuple[Candidate, str]:
    """A candidate with the highest confidence of the rules it matches whole, the identity
    properties that matched, and in words which rule matched on which values."""
    score, matched, why = 0, [], ""
    for rule in rules:
        equal = [(s, t) for s, t in zip(rule.source, rule.target, strict=True)
                 if (left := normalise(account.get(s), rule.normalise))
                 and left == normalise(identity.get(t), rule.normalise)]
        if len(equal) == len(rule.target) and rule.confidence > score:
            score = rule.confidence
            shown = ", ".join(f"{s} “{account.get(s)}” = {t} “{identity.get(t)}”"
                              for s, t in equal)
            why = f"confidence {rule.confidence}: {shown}"
        matched += [t for _, t in equal if t not in matched]
    return Candidate(key, score, tuple(matched)), why


def pinned_owners(conn: sa.Connection, system: ManagedSystem) -> dict[str, tuple[str, str]]:
    """Owners people named — a correlation case decided `link`, an owner assigned or imported
    — the latest decision per account winning; an account a person left without owner is
    not here (see `without_owner`)."""
    c, d = correlation_cases.c, account_decisions.c
    dated: list[tuple[datetime, str, str, str]] = []
    for at, key, owner in conn.execute(sa.select(c.decided_at, c.source_key, c.decided_target)
                                       .where(c.resource_type == system.owner,
                                              c.decision == "link")):
        dated.append((_aware(at), key, owner, "case"))
    for at, key, owner in conn.execute(sa.select(d.decided_at, d.account_key, d.owner_key)
                                       .where(d.system == system.identifier,
                                              d.decision == "owner")):
        dated.append((_aware(at), key, owner, "decision"))
    return {key: (owner, how) for _, key, owner, how in sorted(dated)}


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def without_owner(conn: sa.Connection, system: ManagedSystem) -> set[str]:
    """Accounts whose case a person decided `new`: no owner, and no case again."""
    return {key for rt, key in decided_new(conn) if rt == system.owner}


def refresh(conn: sa.Connection, project: Project, systems: Iterable[ManagedSystem],
            run_id: int = 0, now: datetime | None = None) -> dict[str, Correlation]:
    """Correlate the accounts of each system to their owners and rebuild their review status,
    in the caller's write transaction: the ownership of the owner resource type, new cases
    opened, and `account_status` written in bulk."""
    identities = None
    out: dict[str, Correlation] = {}
    for system in systems:
        if identities is None:
            identities = read_values(conn, OWNER_TYPE)
        rt = owner_type(project, system)
        accounts = read_values(conn, system.accounts)
        found = correlate(accounts, identities, rt, pinned_owners(conn, system),
                          without_owner(conn, system))
        _write_ownership(conn, rt.identifier, {k: o for k, (o, _) in found.owners.items()})
        open_cases(conn, found.cases, run_id)
        _close_moot_cases(conn, rt.identifier, set(found.owners) | (
            set(_open_case_keys(conn, rt.identifier)) - set(accounts)))
        _write_status(conn, project, system, accounts, identities, found)
        out[system.identifier] = found
    return out


def _write_ownership(conn: sa.Connection, rt: str, owners: Mapping[str, str]) -> None:
    current = dict(conn.execute(sa.select(ownership.c.source_key, ownership.c.target_key)
                                .where(ownership.c.resource_type == rt)).all())
    gone = [(rt, k) for k, v in current.items() if owners.get(k) != v]
    new = [(rt, k, v) for k, v in owners.items() if current.get(k) != v]
    if gone:
        execute_many(conn, "DELETE FROM ownership WHERE resource_type = ? AND source_key = ?",
                     gone)
    if new:
        insert_rows(conn, "ownership", ("resource_type", "source_key", "target_key"), new)


def _open_case_keys(conn: sa.Connection, rt: str) -> list[str]:
    return list(conn.execute(sa.select(correlation_cases.c.source_key).where(
        correlation_cases.c.resource_type == rt, correlation_cases.c.state == "open"))
        .scalars())


def _close_moot_cases(conn: sa.Connection, rt: str, keys: set[str]) -> None:
    """An open case whose account now has an owner (found at 100, named by a person), or is
    gone, no longer waits for anyone."""
    moot = [(rt, k) for k in _open_case_keys(conn, rt) if k in keys]
    if moot:
        execute_many(conn, "UPDATE correlation_cases SET state = 'resolved', "
                           "comment = 'moot: the account has an owner or is gone' "
                           "WHERE resource_type = ? AND source_key = ? AND state = 'open'",
                     moot)


def _write_status(conn: sa.Connection, project: Project, system: ManagedSystem,
                  accounts: Mapping[str, Values], identities: Mapping[str, Values],
                  found: Correlation) -> None:
    state = identity_state_property(project)
    found_type = project.entity_type(system.accounts)
    et = found_type[1] if found_type else None
    service = service_matcher(system)
    rows = []
    for key, values in accounts.items():
        owner, how = found.owners.get(key, (None, None))
        suggested = found.suggestions.get(key)
        rows.append((
            system.identifier, key, (et.display(values) if et else "") or key, owner, how,
            identities.get(owner, {}).get(state) if owner else None,
            suggested[0].key if suggested else None,
            suggested[0].score if suggested else None,
            suggested[1] if suggested else None,
            service(values), _true(values.get(system.disabled)) if system.disabled else False,
            values.get(system.last_logon) if system.last_logon else None,
            values.get(system.created) if system.created else None))
    conn.execute(sa.delete(account_status).where(account_status.c.system == system.identifier))
    if rows:
        insert_rows(conn, "account_status", (
            "system", "account_key", "display", "owner_key", "owner_by", "owner_state",
            "suggestion_key", "suggestion_score", "suggestion_why", "service", "disabled",
            "last_logon", "created"), rows)


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def identity_state_property(project: Project) -> str:
    """The property of Directory_User holding pre-hire / active / left (a validity's
    `state`); `State` as in the workforce template."""
    return next((rt.validity.state for rt in project.resource_types
                 if rt.target.lower() == OWNER_TYPE.lower() and rt.validity is not None
                 and rt.validity.state), "State")


def service_matcher(system: ManagedSystem) -> Any:
    """A test of an account's values: does it match every `service_accounts` filter?"""
    patterns = []
    for name, wanted in system.service_accounts.items():
        options = [wanted] if isinstance(wanted, str) else list(wanted)
        regex = "|".join(".*".join(re.escape(part) for part in o.split("*")) for o in options)
        patterns.append((name, re.compile(f"^(?:{regex})$", re.IGNORECASE | re.DOTALL)))

    def matches(values: Values) -> bool:
        return bool(patterns) and all(
            values.get(name) is not None and pattern.match(str(values[name])) is not None
            for name, pattern in patterns)
    return matches


def owners_of(conn: sa.Connection, system: str,
              account_keys: Sequence[str] | None = None) -> dict[str, str | None]:
    """Account key → its owner's Directory_User key (None: orphan)."""
    s = account_status.c
    query = sa.select(s.account_key, s.owner_key).where(s.system == system)
    if account_keys is not None:
        wanted = set(account_keys)
        return {k: o for k, o in conn.execute(query) if k in wanted}
    return dict(conn.execute(query).all())


def assign(conn: sa.Connection, project: Project, system: ManagedSystem,
           pairs: Mapping[str, str], actor: str, comment: str | None) -> int:
    """Name the owners of accounts (a decision, an accepted suggestion, an import), in bulk:
    every key checked first, one decision row per account, one audit line; the review
    status is rebuilt. Returns how many accounts got an owner."""
    if not pairs:
        return 0
    known_accounts = _keys(conn, system.accounts)
    known_owners = _keys(conn, OWNER_TYPE)
    bad = sorted(f"account {k}" for k in pairs if k not in known_accounts)
    bad += sorted(f"{OWNER_TYPE} {v}" for v in set(pairs.values()) if v not in known_owners)
    if bad:
        shown = ", ".join(bad[:10]) + (f" and {len(bad) - 10:,} more" if len(bad) > 10 else "")
        raise UnknownKeys(f"{system.identifier}: unknown {shown}; nothing was assigned")
    insert_rows(conn, "account_decisions", (
        "system", "account_key", "decision", "owner_key", "comment", "actor", "decided_at"),
        [(system.identifier, k, "owner", v, comment or None, actor, now())
         for k, v in sorted(pairs.items())])
    audit(conn, actor, "account owners assigned",
          f"{system.identifier}: {len(pairs):,} account(s)", comment or None)
    refresh(conn, project, [system])
    return len(pairs)


def suggestions(conn: sa.Connection, system: ManagedSystem,
                account_keys: Sequence[str] | None = None) -> dict[str, str]:
    """Account → its suggested owner, for the accounts without owner that have one."""
    s = account_status.c
    rows = conn.execute(sa.select(s.account_key, s.suggestion_key).where(
        s.system == system.identifier, s.owner_key.is_(None),
        s.suggestion_key.is_not(None))).all()
    wanted = set(account_keys) if account_keys is not None else None
    return {k: v for k, v in rows if wanted is None or k in wanted}


def systems_after_run(project: Project, connector: str) -> list[ManagedSystem]:
    """The systems whose review a run of `connector` may change: those reading their
    accounts from it, and all of them when it feeds Directory_User (new identities, leavers)."""
    low = connector.lower()
    found = project.connector(connector)
    types = {et.identifier.lower() for et in found.entity_types} if found else set()
    identities = any(rt.source.lower() in types and rt.target.lower() == OWNER_TYPE.lower()
                     and not rt.owner for rt in project.resource_types)
    return [m for m in project.managed_systems if identities or m.connector.lower() == low]


def _keys(conn: sa.Connection, entity_type: str) -> set[str]:
    return set(conn.execute(sa.select(resources.c.key).where(
        resources.c.entity_type == entity_type)).scalars())


def check_accounts(conn: sa.Connection, system: ManagedSystem, keys: Sequence[str]) -> None:
    """Refuse keys that are no account of the system, before anything is recorded."""
    known = _keys(conn, system.accounts)
    bad = [k for k in keys if k not in known]
    if bad:
        raise UnknownKeys(f"{system.identifier}: no account {', '.join(bad[:10])}"
                          f"{' …' if len(bad) > 10 else ''}; nothing was recorded")
