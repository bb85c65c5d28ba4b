"""Load a project's configuration: every `config/*.yaml` file, merged, validated, located."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from headcount.config.model import Project
from headcount.config.validation import check_project, suggest
from headcount.config.yamlsource import PathKey, dotted, read_yaml
from headcount.errors import ConfigError, ConfigProblem, Location

CONFIG_DIR = "config"
SECTIONS = ("connectors", "resource_types")


def config_files(project_dir: Path) -> list[Path]:
    folder = project_dir / CONFIG_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in [*folder.glob("*.yaml"), *folder.glob("*.yml")] if p.is_file())


def load_project_config(project_dir: Path) -> Project:
    """Read, merge and validate the configuration; raise ConfigError listing every problem."""
    files = config_files(project_dir)
    if not files:
        raise ConfigError(
            [ConfigProblem(Location(project_dir / CONFIG_DIR), "",
                           "no configuration files (*.yaml)")]
        )
    merged: dict[str, list[Any]] = {section: [] for section in SECTIONS}
    locations: dict[PathKey, Location] = {}
    problems: list[ConfigProblem] = []
    for path in files:
        doc = read_yaml(path)
        if not isinstance(doc.data, dict):
            problems.append(ConfigProblem(Location(path, 1), "", "expected a mapping at top level"))
            continue
        for key in doc.data:
            if key not in SECTIONS:
                hint = suggest(str(key), list(SECTIONS))
                problems.append(
                    ConfigProblem(doc.locations.get((str(key),), Location(path)), str(key),
                                  f"unknown section{hint}")
                )
        for section in SECTIONS:
            items = doc.data.get(section) or []
            if not isinstance(items, list):
                problems.append(ConfigProblem(doc.locations[(section,)], section,
                                              f"expected a list of {section.replace('_', ' ')}"))
                continue
            # Files are merged section by section: paths are renumbered, locations kept.
            offset = len(merged[section])
            merged[section].extend(items)
            for key, loc in doc.locations.items():
                if len(key) >= 2 and key[0] == section and isinstance(key[1], int):
                    locations[(section, key[1] + offset, *key[2:])] = loc
                elif key and key[0] == section:
                    locations.setdefault(key, loc)
    if problems:
        raise ConfigError(problems)
    return validate(merged, locations, default_file=files[0])


def validate(data: dict[str, Any], locations: dict[PathKey, Location],
             default_file: Path | None = None) -> Project:
    def locate(key: PathKey) -> Location:
        for n in range(len(key), -1, -1):
            if key[:n] in locations:
                return locations[key[:n]]
        return Location(default_file)

    try:
        project = Project.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_problem(err, locate) for err in exc.errors()]) from None
    problems = [ConfigProblem(locate(key), dotted(key), msg) for key, msg in check_project(project)]
    if problems:
        raise ConfigError(problems)
    return project


def _problem(err: Any, locate: Any) -> ConfigProblem:
    loc: PathKey = tuple(p for p in err["loc"] if isinstance(p, (str, int)))
    # Pydantic adds the tag of a discriminated union to the path: drop it from what we show.
    shown = tuple(p for p in loc if p not in ("date_shift", "filter", "concatenate"))
    message = err["msg"]
    if err["type"] == "extra_forbidden" and shown:
        parent = _model_at(shown[:-1])
        hint = suggest(str(shown[-1]), list(parent.model_fields)) if parent else ""
        message = f"unknown setting `{shown[-1]}`{hint}"
    elif err["type"] == "missing":
        message = f"`{shown[-1]}` is required" if shown else message
    return ConfigProblem(locate(shown), dotted(shown), message)


def _model_at(key: PathKey) -> type[BaseModel] | None:
    """The model class found at a path of the configuration, to suggest its field names."""
    from headcount.config import model as m
    from headcount.config import resource_type as rt

    current: type[BaseModel] = m.Project
    children: dict[str, type[BaseModel]] = {
        "connectors": m.Connector, "connections": m.Connection, "entity_types": m.EntityType,
        "properties": m.Property, "mappings": m.EntityTypeMapping,
        "associations": m.AssociationMapping, "thresholds": m.Thresholds,
        "resource_types": rt.ResourceType, "type_rules": rt.TypeRule,
        "correlation": rt.CorrelationRule, "scalars": rt.ScalarRule, "queries": rt.QueryRule,
    }
    for part in key:
        if isinstance(part, int):
            continue
        nxt = children.get(part)
        if nxt is None:
            return None
        current = nxt
    return current
