"""What a load would do, in plain words (SPEC §9): "add 25 identity records", "end 412 of 3,000
contracts", "change 8 managers", "start 4 workflows" — from a run's staged changes, by entity
type and property, with display names."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping

import polars as pl

from headcount.config.model import EntityType, Project
from headcount.repository.runs import RunRecord
from headcount.sync.changes import ChangeSet
from headcount.upload.columns import label


def plural(noun: str, n: int) -> str:
    """`identity record` → `identity records`, `identity` → `identities`; as is for one."""
    if n == 1:
        return noun
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", noun):
        return noun + "es"
    return noun + "s"


def words(text: str) -> str:
    """A display name inside a sentence: lower case, except acronyms (`Employee ID`)."""
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in text.split())


def entity_noun(et: EntityType) -> str:
    return words(et.display_name or et.identifier)


def end_properties(project: Project, et: EntityType) -> set[str]:
    """The properties holding the last day of validity (a record's ContractEndDate): the
    targets of the rules copying a resource type's `validity.end`."""
    found: set[str] = set()
    for rt in project.resource_types:
        if rt.target != et.identifier or rt.owner or rt.validity is None:
            continue
        found |= {rule.target for rule in rt.scalars
                  if rule.source is not None and rule.source == rt.validity.end}
    return found


def _ended_noun(et: EntityType, prop: str) -> str:
    """`ContractEndDate` ends a contract; a bare `EndDate` ends the resource itself."""
    found = et.find_property(prop)
    text = label(found) if found else prop
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    noun = re.sub(r"\s*end\s*date$", "", spaced, flags=re.IGNORECASE).strip()
    return words(noun) if noun else entity_noun(et)


def sentences(project: Project, changes: ChangeSet, run: RunRecord,
              stored: Mapping[str, int]) -> list[str]:
    """The sentences of a run's changes: adds, ends, changes, deletes per entity type, then the
    workflows it starts and the orders it gives. `stored`: resources per entity type now."""
    types = {et.identifier: et for c in project.connectors for et in c.entity_types}
    res = changes.resources
    added: Counter[str] = Counter()
    deleted: Counter[str] = Counter()
    ended: Counter[tuple[str, str]] = Counter()
    changed: Counter[tuple[str, str]] = Counter()
    inserted_keys: set[tuple[str, str]] = set()
    ends = {name: end_properties(project, et) for name, et in types.items()}
    for kind, et_name, key, data in res.select("kind", "entity_type", "key", "data").iter_rows():
        if kind == "insert":
            added[et_name] += 1
            inserted_keys.add((et_name, key))
        elif kind == "delete":
            deleted[et_name] += 1
        elif kind == "update":
            for prop, (old, new) in json.loads(data or "{}").items():
                if prop in ends.get(et_name, set()) and old is None and new is not None:
                    ended[(et_name, prop)] += 1
                else:
                    changed[(et_name, prop)] += 1
    # A link of a resource kept (not added, not deleted) that changes: its navigation changes.
    deleted_keys = set(res.filter(pl.col("kind") == "delete")
                       .select("entity_type", "key").iter_rows())
    moved: dict[tuple[str, str], set[str]] = {}
    for et_name, key, nav in changes.links.select("entity_type", "key", "navigation").iter_rows():
        if (et_name, key) in inserted_keys or (et_name, key) in deleted_keys:
            continue
        moved.setdefault((et_name, nav.partition(".")[2]), set()).add(key)
    for where, keys in moved.items():
        changed[where] += len(keys)

    out: list[str] = []
    for name, n in sorted(added.items()):
        out.append(f"add {n:,} {plural(entity_noun(types[name]), n)}" if name in types
                   else f"add {n:,} {name}")
    for (name, prop), n in sorted(ended.items()):
        of = stored.get(name, 0)
        noun = _ended_noun(types[name], prop)
        out.append(f"end {n:,} of {of:,} {plural(noun, of)}")
    for (name, prop), n in sorted(changed.items()):
        et = types.get(name)
        found = et.find_property(prop) if et else None
        out.append(f"change {n:,} {plural(words(label(found)) if found else prop, n)}")
    for name, n in sorted(deleted.items()):
        out.append(f"delete {n:,} {plural(entity_noun(types[name]), n)}" if name in types
                   else f"delete {n:,} {name}")
    workflows = sum(int(v) for v in (run.counters.get("workflows") or {}).values())
    if workflows:
        out.append(f"start {workflows:,} {plural('workflow', workflows)}")
    orders = sum(int(n) for kinds in (run.counters.get("orders") or {}).values()
                 for n in kinds.values())
    if orders:
        out.append(f"give {orders:,} provisioning {plural('order', orders)}")
    return out


def per_tab(changes: ChangeSet, tabs: Mapping[str, str]) -> dict[str, dict[str, int]]:
    """Inserted, updated and deleted resources per tab (`tabs`: entity type → tab name); a
    resource whose links alone change counts as updated."""
    out = {tab: {"inserted": 0, "updated": 0, "deleted": 0} for tab in tabs.values()}
    kinds = {"insert": "inserted", "update": "updated", "delete": "deleted"}
    touched: dict[tuple[str, str], str] = {}
    for kind, et_name, key in changes.resources.select("kind", "entity_type", "key").iter_rows():
        if kind in kinds:
            touched[(et_name, key)] = kinds[kind]
    for et_name, key in changes.links.select("entity_type", "key").iter_rows():
        touched.setdefault((et_name, key), "updated")
    for (et_name, _), counted in touched.items():
        if et_name in tabs:
            out[tabs[et_name]][counted] += 1
    return out
