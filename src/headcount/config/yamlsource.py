"""YAML reading that remembers where every value came from (file, line, column), so that a
validation error can point at the line a person must fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from headcount.errors import ConfigError, ConfigProblem, Location

PathKey = tuple[str | int, ...]


class LocatedDocument:
    """A parsed YAML document plus the location of each of its nodes, keyed by path."""

    def __init__(self, data: Any, locations: dict[PathKey, Location]) -> None:
        self.data = data
        self.locations = locations


def read_yaml(path: Path) -> LocatedDocument:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        before = path.read_bytes()[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise ConfigError([ConfigProblem(Location(path, line, column), "",
                                         "not UTF-8: configuration files are UTF-8")]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(Location(path), "", exc.strerror or str(exc))]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        loc = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        raise ConfigError([ConfigProblem(loc, "", f"not valid YAML: {exc}")]) from exc
    locations: dict[PathKey, Location] = {}
    data = _convert(node, (), path, locations) if node is not None else {}
    return LocatedDocument(data, locations)


def _convert(node: yaml.Node, key: PathKey, path: Path, out: dict[PathKey, Location]) -> Any:
    out[key] = Location(path, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for k_node, v_node in node.value:
            k = _scalar(k_node)
            if k in result:
                loc = Location(path, k_node.start_mark.line + 1, k_node.start_mark.column + 1)
                raise ConfigError([ConfigProblem(loc, dotted((*key, k)), "key given twice")])
            result[k] = _convert(v_node, (*key, str(k)), path, out)
            # The key's own line is the better place to point at for a wrong value.
            out[(*key, str(k))] = Location(
                path, k_node.start_mark.line + 1, k_node.start_mark.column + 1
            )
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v, (*key, i), path, out) for i, v in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # Resolve the scalar with YAML's own rules (ints, bools, nulls…) through a throw-away loader.
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def dotted(key: PathKey) -> str:
    """Render a path key as `connectors[0].entity_types[1].identifier`."""
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
