"""Cross-references of the `workflows:` section: the subject's entity type, the properties of
the change set, the roles that may act — each problem located, with a "did you mean"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from headcount.config.yamlsource import PathKey
from headcount.roles import ROLES

if TYPE_CHECKING:
    from headcount.config.model import Project

Problem = tuple[PathKey, str]


def check_workflows(project: Project) -> Iterator[Problem]:
    from headcount.config.validation import suggest

    types = [et.identifier for c in project.connectors for et in c.entity_types]
    seen: set[str] = set()
    for i, wf in enumerate(project.workflows):
        base: PathKey = ("workflows", i)
        if wf.identifier.lower() in seen:
            yield ((*base, "identifier"),
                   f"workflow `{wf.identifier}` is declared twice (identifiers ignore case)")
        seen.add(wf.identifier.lower())
        found = project.entity_type(wf.entity_type)
        if found is None:
            yield (*base, "entity_type"), f"unknown entity type `{wf.entity_type}`" \
                f"{suggest(wf.entity_type, types)}"
            continue
        names = [p.identifier for p in found[1].properties]
        for pi, prop in enumerate(wf.properties):
            if found[1].find_property(prop) is None:
                yield ((*base, "properties", pi),
                       f"unknown property `{prop}` of `{wf.entity_type}`{suggest(prop, names)}")
        listed = {p.lower() for p in wf.properties}
        for pi, prop in enumerate(wf.required):
            if found[1].find_property(prop) is None:
                yield ((*base, "required", pi),
                       f"unknown property `{prop}` of `{wf.entity_type}`{suggest(prop, names)}")
            elif listed and prop.lower() not in listed:
                yield ((*base, "required", pi),
                       f"`{prop}` is required but not among the workflow's `properties`")
        if wf.homonyms is not None:
            for field, prop in wf.homonyms.model_dump().items():
                if prop is not None and found[1].find_property(prop) is None:
                    yield ((*base, "homonyms", field),
                           f"unknown property `{prop}` of `{wf.entity_type}`"
                           f"{suggest(prop, names)}")
        navigations = [p.identifier for p in found[1].properties if p.is_navigation]
        for ai, activity in enumerate(wf.activities):
            for ri, relation in enumerate(activity.relations):
                nav = found[1].find_property(relation)
                if nav is None or not nav.is_navigation:
                    yield ((*base, "activities", ai, "relations", ri),
                           f"`{relation}` is no navigation of `{wf.entity_type}`"
                           f"{suggest(relation, navigations)}")
            named: list[tuple[tuple[str | int, ...], str]] = [
                (("roles", ri), role) for ri, role in enumerate(activity.roles)]
            named += [(("escalations", ei, "roles", ri), role)
                      for ei, level in enumerate(activity.escalations)
                      for ri, role in enumerate(level.roles)]
            named += [(("fallback_roles", ri), role)
                      for ri, role in enumerate(activity.fallback_roles)]
            for where, role in named:
                if role not in ROLES:
                    yield ((*base, "activities", ai, *where),
                           f"unknown role `{role}`{suggest(role, list(ROLES))}")


def check_workflow_connections(project: Project) -> Iterator[Problem]:
    """Internal-workflow connections (SPEC §7.2): resource types that exist, workflows on the
    entity type the resource types write to (or one of its connector's), transitions of their
    first activity, properties of the resource types' targets (their `when` expressions:
    policy.expression_check)."""
    from headcount.config.validation import suggest
    from headcount.config.workflow import PENDING, TRANSITIONS

    rts = {rt.identifier.lower(): rt for rt in project.resource_types}
    workflows = [w.identifier for w in project.workflows]
    claimed: dict[str, str] = {}
    seen: set[str] = set()
    for wi, wc in enumerate(project.workflow_connections):
        base: PathKey = ("workflow_connections", wi)
        if wc.identifier.lower() in seen:
            yield ((*base, "identifier"), f"connection `{wc.identifier}` is declared twice")
        seen.add(wc.identifier.lower())
        targets = []
        own: set[str] = set()
        for ri, name in enumerate(wc.resource_types):
            rt = rts.get(name.lower())
            where = (*base, "resource_types", ri)
            if rt is None:
                yield where, f"unknown resource type `{name}`" \
                    f"{suggest(name, [r.identifier for r in project.resource_types])}"
                continue
            if name.lower() in claimed:
                yield where, f"`{name}` is fulfilled by `{claimed[name.lower()]}` already"
            claimed[name.lower()] = wc.identifier
            found = project.entity_type(rt.target)
            if found is not None:
                targets.append(found[1])
                own |= {et.identifier.lower() for et in found[0].entity_types}
        subjects: set[str] = set()
        for kind in ("added", "modified", "deleted"):
            change = getattr(wc.change_types, kind)
            if change is None:
                continue
            at: PathKey = (*base, "change_types", kind)
            chosen = [((*at, "workflow"), change.workflow, (*at, "transition"),
                       change.transition)] + [
                ((*at, "choose", i, "workflow"), c.workflow, (*at, "choose", i, "transition"),
                 c.transition) for i, c in enumerate(change.choose)]
            for where, name, transition_at, transition in chosen:
                wf = project.workflow(name)
                if wf is None:
                    yield where, f"unknown workflow `{name}`{suggest(name, workflows)}"
                    continue
                subjects.add(wf.entity_type.lower())
                if own and wf.entity_type.lower() not in own:
                    yield where, f"workflow `{name}` is on `{wf.entity_type}`, not on the " \
                        "connector its resource types write to"
                elif len(subjects) > 1:
                    yield where, f"workflow `{name}` is on `{wf.entity_type}`: the workflows " \
                        "of one connection share their subject's entity type"
                if transition is not None:
                    first = wf.activities[0]
                    allowed = [first.transition_id(t) for t in
                               TRANSITIONS.get(first.template, {})] \
                        if first.template in PENDING else []
                    if transition.lower() not in (a.lower() for a in allowed):
                        yield transition_at, \
                            f"`{transition}` is no transition of `{name}`'s first " \
                            f"activity: {', '.join(allowed) or 'it runs by itself'}"
            for field in ("scalar_properties", "navigation_properties", "date_properties"):
                for pi, prop in enumerate(getattr(change, field)):
                    entity, _, name = prop.rpartition(".")
                    pool = [t for t in targets
                            if not entity or t.identifier.lower() == entity.lower()]
                    found_prop = [t.find_property(name) for t in pool]
                    navigation = field == "navigation_properties"
                    if not any(p is not None and p.is_navigation == navigation
                               for p in found_prop):
                        names = [p.identifier for t in targets for p in t.properties]
                        what = "navigation" if navigation else "value"
                        yield ((*at, field, pi),
                               f"`{prop}` is no {what} of "
                               f"{', '.join(t.identifier for t in pool) or entity}"
                               f"{suggest(name, names)}")
