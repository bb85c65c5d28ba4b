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
            for ri, role in enumerate(activity.roles):
                if role not in ROLES:
                    yield ((*base, "activities", ai, "roles", ri),
                           f"unknown role `{role}`{suggest(role, list(ROLES))}")
