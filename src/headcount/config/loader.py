"""Load a project's configuration: every `config/*.yaml` file, merged, validated, located.

Every problem is reported at once, sorted by file and line: a broken file does not hide the
mistakes of the others, nor a setting the schema refuses the cross-references of what is valid."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from headcount.config.calendar import CalendarSpec
from headcount.config.internal_workflow import InternalWorkflowConnection
from headcount.config.jobs import Job, Retry
from headcount.config.managed_system import ManagedSystem
from headcount.config.model import PACKAGES, Connector, LookupTable, Project
from headcount.config.notifications import Notifications
from headcount.config.resource_type import ResourceType
from headcount.config.scim import ScimSettings
from headcount.config.sso import SingleSignOn
from headcount.config.upload import UploadSettings
from headcount.config.validation import (
    Problem,
    check_calendars,
    check_connectors,
    check_project,
    check_resource_types,
    suggest,
)
from headcount.config.workflow import Workflow
from headcount.config.workflow_checks import check_workflows
from headcount.config.yamlsource import PathKey, dotted, read_yaml
from headcount.errors import ConfigError, ConfigProblem, Location

CONFIG_DIR = "config"
SECTIONS = ("connectors", "resource_types", "tables", "calendars", "workflows",
            "workflow_connections", "managed_systems", "jobs")
_ITEMS: dict[str, type[BaseModel]] = {
    "connectors": Connector, "resource_types": ResourceType, "tables": LookupTable,
    "calendars": CalendarSpec, "workflows": Workflow,
    "workflow_connections": InternalWorkflowConnection, "managed_systems": ManagedSystem,
    "jobs": Job}
# Sections of settings (a mapping, not a list): given in one file of the project.
SETTINGS: dict[str, type[BaseModel]] = {"notifications": Notifications, "upload": UploadSettings,
                                         "sso": SingleSignOn, "scim": ScimSettings}

# A check beyond the configuration itself (the headers of the files it maps, its expressions):
# given the valid part of the project, the problems it sees, keyed by configuration path.
ProjectCheck = Callable[[Project], Iterable[Problem]]


def config_files(project_dir: Path) -> list[Path]:
    folder = project_dir / CONFIG_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in [*folder.glob("*.yaml"), *folder.glob("*.yml")] if p.is_file())


def load_project_config(project_dir: Path, checks: Sequence[ProjectCheck] = ()) -> Project:
    """Read, merge and validate the configuration, then run `checks` on it; raise ConfigError
    listing every problem, sorted by file and line."""
    files = config_files(project_dir)
    if not files:
        raise ConfigError(
            [ConfigProblem(Location(project_dir / CONFIG_DIR), "",
                           "no configuration files (*.yaml)")]
        )
    merged: dict[str, list[Any]] = {section: [] for section in SECTIONS}
    settings: dict[str, Any] = {}
    locations: dict[PathKey, Location] = {}
    # A merged item's index within its own file: paths in messages are read beside that file.
    local: dict[tuple[str, int], int] = {}
    problems: list[ConfigProblem] = []
    whole = True  # every file was read: checks across connectors can be trusted
    for path in files:
        try:
            doc = read_yaml(path)
        except ConfigError as exc:
            problems += exc.problems
            whole = False
            continue
        if not isinstance(doc.data, dict):
            problems.append(ConfigProblem(Location(path, 1), "", "expected a mapping at top level"))
            whole = False
            continue
        for key in doc.data:
            if key not in SECTIONS and key not in SETTINGS:
                hint = suggest(str(key), [*SECTIONS, *SETTINGS])
                problems.append(
                    ConfigProblem(doc.locations.get((str(key),), Location(path)), str(key),
                                  f"unknown section{hint}")
                )
        for section in SECTIONS:
            items = doc.data.get(section) or []
            if not isinstance(items, list):
                problems.append(ConfigProblem(doc.locations[(section,)], section,
                                              f"expected a list of {section.replace('_', ' ')}"))
                whole = whole and section != "connectors"
                continue
            # Files are merged section by section: paths are renumbered, locations kept.
            offset = len(merged[section])
            merged[section].extend(items)
            local.update({(section, offset + i): i for i in range(len(items))})
            for key, loc in doc.locations.items():
                if len(key) >= 2 and key[0] == section and isinstance(key[1], int):
                    locations[(section, key[1] + offset, *key[2:])] = loc
                elif key and key[0] == section:
                    locations.setdefault(key, loc)
        problems += _merge_settings(doc.data, doc.locations, settings, locations)
    project, more = _validate({**merged, **settings}, locations, files[0], whole, checks,
                              local)
    problems += more
    if problems:
        raise ConfigError(sorted(problems, key=_order))
    assert project is not None
    return project


def _merge_settings(data: dict[Any, Any], found: dict[PathKey, Location],
                    settings: dict[str, Any], locations: dict[PathKey, Location]
                    ) -> list[ConfigProblem]:
    """Take the sections of settings of one file into `settings`; a section another file gave
    already is a problem (merging two halves of it would hide which file wins)."""
    problems: list[ConfigProblem] = []
    for section in SETTINGS:
        if data.get(section) is None:
            continue
        if section in settings:
            problems.append(ConfigProblem(
                found[(section,)], section,
                f"given twice: also at {locations[(section,)]}; give it in one file"))
            continue
        settings[section] = data[section]
        locations.update({k: loc for k, loc in found.items() if k and k[0] == section})
    return problems


def _validate(data: dict[str, Any], locations: dict[PathKey, Location],
              default_file: Path | None, whole: bool, checks: Sequence[ProjectCheck],
              local: dict[tuple[str, int], int] | None = None
              ) -> tuple[Project | None, list[ConfigProblem]]:
    """The project (None when something is invalid) and every problem: the schema's, then the
    cross-references and `checks` of the items the schema accepted. `local` gives a merged
    item's index within its file, for the paths shown."""
    def show(key: PathKey) -> str:
        if local and len(key) >= 2 and isinstance(key[0], str) and isinstance(key[1], int):
            key = (key[0], local.get((key[0], key[1]), key[1]), *key[2:])
        return dotted(key)

    def locate(key: PathKey) -> Location:
        for n in range(len(key), -1, -1):
            if key[:n] in locations:
                return locations[key[:n]]
        return Location(default_file)

    problems: list[ConfigProblem] = []
    kept: dict[str, Any] = {}
    # Position of each kept item in the merged configuration, to locate its problems.
    original: dict[str, list[int]] = {}
    # Items the schema refused, by section and identifier: what names them is not wrong.
    refused: set[tuple[str, str]] = set()
    for section, cls in _ITEMS.items():
        items = data.get(section) or []
        kept[section], original[section] = [], []
        for index, item in enumerate(items):
            try:
                cls.model_validate(item)
            except ValidationError as exc:
                problems += [_problem(err, locate, (section, index), show)
                             for err in exc.errors()]
                whole = whole and section != "connectors"
                if isinstance(item, dict) and item.get("identifier"):
                    refused.add((section, str(item["identifier"]).lower()))
                continue
            kept[section].append(item)
            original[section].append(index)
    for section, model in SETTINGS.items():
        if section not in data:
            continue
        try:
            model.model_validate(data[section])
        except ValidationError as exc:
            problems += [_problem(err, locate, (section,), show) for err in exc.errors()]
            continue
        kept[section] = data[section]
    project = Project.model_validate(kept)

    def renumbered(key: PathKey) -> PathKey:
        if len(key) >= 2 and isinstance(key[0], str) and isinstance(key[1], int) \
                and key[0] in original:
            return (key[0], original[key[0]][key[1]], *key[2:])
        return key

    # A connector the schema refused (or a file that is not YAML) is missing: checks across
    # connectors would report its absence. What does not reach it is still checked.
    found = list(check_project(project)) if whole else [
        *check_connectors(project), *check_calendars(project), *check_workflows(project),
        *(p for p in check_resource_types(project) if _reaches_known_types(project, p[0]))]
    for check in checks:
        found += check(project)
    found = [(key, message) for key, message in found
             if not ((m := _NAMED_JOB.match(message)) and ("jobs", m[1].lower()) in refused)]
    problems += [ConfigProblem(locate(renumbered(key)), show(renumbered(key)), message)
                 for key, message in found]
    return (None if problems else project), problems


_NAMED_JOB = re.compile(r"^no job `([^`]+)`")


def _reaches_known_types(project: Project, key: PathKey) -> bool:
    rt = project.resource_types[int(key[1])]
    return project.entity_type(rt.source) is not None \
        and project.entity_type(rt.target) is not None


def _order(problem: ConfigProblem) -> tuple[str, int, int, str]:
    loc = problem.location
    column = loc.column if isinstance(loc.column, int) else 0
    return (str(loc.file or ""), loc.line or 0, column, problem.message)


def _problem(err: Any, locate: Any, prefix: PathKey, show: Any = dotted) -> ConfigProblem:
    loc: PathKey = prefix + tuple(p for p in err["loc"] if isinstance(p, (str, int)))
    # Pydantic adds the tag of a discriminated union to the path, after the item's index:
    # drop it from what we show (`filter` is also a setting of an LDAP connection).
    shown = tuple(p for i, p in enumerate(loc)
                  if not (p in _TAGS and i and isinstance(loc[i - 1], int)))
    message = err["msg"]
    if err["type"] == "extra_forbidden" and shown:
        parent = _model_at(loc[:-1])
        names = [field.alias or name for name, field in parent.model_fields.items()] \
            if parent else []
        hint = suggest(str(shown[-1]), names)
        message = f"unknown setting `{shown[-1]}`{hint}"
    elif err["type"] == "missing":
        message = f"`{shown[-1]}` is required" if shown else message
    elif err["type"] == "value_error":
        message = str(err.get("ctx", {}).get("error", message))  # without "Value error, "
    return ConfigProblem(locate(shown), show(shown), message)


_TAGS = frozenset({"date_shift", "filter", "concatenate", *PACKAGES})


def _model_at(key: PathKey) -> type[BaseModel] | None:
    """The model class found at a path of the configuration, to suggest its field names."""
    from headcount.config import directory as d
    from headcount.config import model as m
    from headcount.config import notifications as n
    from headcount.config import resource_type as rt
    from headcount.config.homonym import Homonyms
    from headcount.config.workflow import Activity

    current: type[BaseModel] = m.Project
    children: dict[str, type[BaseModel]] = {
        "connectors": m.Connector, "connections": m.Connection, "entity_types": m.EntityType,
        "properties": m.Property, "mappings": m.EntityTypeMapping,
        "associations": m.AssociationMapping, "thresholds": m.Thresholds,
        "resource_types": rt.ResourceType, "type_rules": rt.TypeRule,
        "correlation": rt.CorrelationRule, "scalars": rt.ScalarRule, "queries": rt.QueryRule,
        "validity": rt.Validity, "tables": m.LookupTable, "calendars": CalendarSpec,
        "workflows": Workflow, "activities": Activity, "homonyms": Homonyms,
        "notifications": n.Notifications, "smtp": n.SmtpSettings, "webhooks": n.Webhook,
        "upload": UploadSettings, "jobs": Job, "retry": Retry,
        # The tag of a connection's package follows its index.
        "csv": m.Connection, "ldap": d.LdapConnection, "ldif": d.LdifConnection,
        "adcsv": d.AdCsvConnection,
    }
    for part in key:
        if isinstance(part, int):
            continue
        nxt = children.get(part)
        if nxt is None:
            return None
        current = nxt
    return current
