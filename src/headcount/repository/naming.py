"""The rows of the names table (schema/search.py): each resource's display name and search terms,
computed set-wise in polars from its values and its entity type's display template, whenever
resources are written (repository/apply.py) or a deployment changes a template (rebuild)."""

from __future__ import annotations

import io
import json
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa

from headcount.config.model import EntityType, Project, PropertyType
from headcount.repository.bulk import insert_frame
from headcount.repository.schema import resource_names

# Columns of the frame `Naming.rows` returns, in the table's order.
COLUMNS = ["resource_id", "entity_type", "display", "terms"]
# Between the display name, the other terms and the words cut at punctuation: a word never
# starts with it, since normalised text has none (it becomes a space); below every printable
# character, so that terms sort as their display names, shorter names first.
SEPARATOR = "\x1f"
# Searched besides the list's columns: values that look like e-mail addresses by their name.
_MAIL = re.compile("mail", re.IGNORECASE)
_LIST_COLUMNS = 6
_SLICE = 50_000


def normalised(text: str) -> str:
    """Lower case, accents removed, punctuation a space, one space between words: how terms are
    stored and queries compared (the polars expression `_normalise` does the same to a column)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    bare = "".join(c if c.isalnum() else " " for c in decomposed
                   if not unicodedata.category(c).startswith("M"))
    return " ".join(bare.split())


def _without_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if not unicodedata.category(c).startswith("M"))


# The Latin letters with a mark, each to what `normalised` makes of it: one replacement pass,
# after which most rows are ASCII and skip the decomposition, the costliest step of the terms.
_UNMARKED = {c: _without_marks(c) for c in map(chr, [*range(0x80, 0x250), *range(0x1E00, 0x1F00)])
             if _without_marks(c) != c}


def _normalise(text: pl.Series) -> pl.Series:
    """`normalised` on a column, but for the spaces (collapsed by the caller, once) and the
    separator, which stays."""
    lowered = text.str.to_lowercase().str.replace_many(_UNMARKED)
    # Only the rows still holding non-ASCII text: NFD of an unmarked letter is itself, and NFD
    # then unmarking leaves what the table already unmarked as it is.
    rest = lowered.str.contains(r"[^\x00-\x7f]").arg_true()
    if rest.len():
        lowered = lowered.scatter(rest, lowered.gather(rest).str.normalize("NFD")
                                  .str.replace_all(r"\p{M}+", ""))
    return lowered.str.replace_all(r"[^\p{L}\p{N}\x1f]+", " ")


@dataclass(frozen=True)
class Template:
    """How one entity type names and finds its resources."""

    entity_type: str
    # The display template's parts: literal text, then the property it shows (or None).
    parts: tuple[tuple[str, str | None], ...]
    searched: tuple[str, ...]
    booleans: frozenset[str]
    # Every field a bare property name: computed in polars; else by the template itself in
    # Python, row by row (a format spec or conversion, never seen in practice).
    plain: bool
    source: EntityType | None

    @classmethod
    def of(cls, et: EntityType) -> Template:
        parts: list[tuple[str, str | None]] = []
        plain = True
        for literal, field, spec, conversion in string.Formatter().parse(
                et.resource_display_name or ""):
            if field is not None and (spec or conversion or not field or field.isdigit()
                                      or "." in field or "[" in field):
                plain = False
            parts.append((literal, field))
        configured = [p.identifier for name in et.list_columns
                      if (p := et.find_property(name)) is not None]
        columns = configured or [p.identifier for p in et.scalar_properties][:_LIST_COLUMNS]
        mails = [p.identifier for p in et.scalar_properties if _MAIL.search(p.identifier)]
        return cls(et.identifier, tuple(parts), tuple(dict.fromkeys(columns + mails)),
                   frozenset(p.identifier for p in et.scalar_properties
                             if p.type is PropertyType.BOOL), plain, et)

    @classmethod
    def unnamed(cls, entity_type: str) -> Template:
        """A type no deployed configuration knows: its resources are named by their keys."""
        return cls(entity_type, (), (), frozenset(), True, None)

    def signature(self) -> tuple[Any, ...]:
        """What the rows depend on: a deployment that changes it rebuilds the type's rows."""
        return (self.parts, self.searched, self.booleans)

    def display(self, values: Mapping[str, Any], key: str) -> str:
        """The display name of one resource (a resource without a row in the table): the same
        as the rows', a missing value shown empty."""
        if self.source is None or not self.parts:
            return key
        if not self.plain:
            return self.source.display(values).strip() or key
        shown = "".join(literal + ("" if field is None else self._text(field, values.get(field)))
                        for literal, field in self.parts)
        return shown.strip() or key

    def _text(self, field: str, value: Any) -> str:
        if value is None:
            return ""
        if field in self.booleans and isinstance(value, bool):
            return str(value)
        return value if isinstance(value, str) else json.dumps(value)

    def frame(self, rows: pl.DataFrame) -> pl.DataFrame:
        """`rows` (id, key, data) of this type → the names table's rows."""
        # By slices: the values of a million resources read at once would need a second copy of
        # them all (measured: 1.2 → 2.2 GB at the peak of an initial load).
        return pl.concat([self._frame(rows.slice(start, _SLICE))
                          for start in range(0, max(rows.height, 1), _SLICE)])

    def _frame(self, rows: pl.DataFrame) -> pl.DataFrame:
        # The separator inside a value becomes a space: in the values read (`_values`), or in
        # the whole record (JSON writes it escaped) for a template that reads it all.
        rows = rows.with_columns(
            pl.col("key").str.replace_all(SEPARATOR, " ", literal=True).alias("__key"))
        if not self.plain:
            rows = rows.with_columns(pl.col("data").str.replace_all("\\u001f", " ",
                                                                    literal=True))
        values = self._values(rows)
        if not self.parts:
            display = pl.lit("")
        elif self.plain:
            display = pl.concat_str([pl.lit(literal) if field is None else
                                     pl.concat_str(pl.lit(literal),
                                                   pl.col(f"__{field}").fill_null(""))
                                     for literal, field in self.parts])
        else:
            source = self.source
            assert source is not None
            display = pl.col("data").map_elements(lambda d: source.display(json.loads(d)),
                                                  return_dtype=pl.String)
        named = values.with_columns(display.str.strip_chars().alias("__shown")).with_columns(
            pl.when(pl.col("__shown") == "").then(pl.col("key")).otherwise(pl.col("__shown"))
            .alias("display"))
        # Normalised once, the display name and the other terms together: "d \x1f o".
        whole = _normalise(named.select(pl.concat_str(
            [pl.col("display").str.replace_all(SEPARATOR, " ", literal=True),
             pl.lit(SEPARATOR), pl.col("__key"), *(pl.col(f"__{f}") for f in self.searched)],
            separator=" ", ignore_nulls=True)).to_series())
        terms = pl.concat_str([pl.lit(" "), pl.lit(whole).str.strip_chars(" "), pl.lit(" ")])
        return named.select(pl.col("id").alias("resource_id"),
                            pl.lit(self.entity_type).alias("entity_type"), "display",
                            terms.str.replace_all(" {2,}", " ").alias("terms"))

    def _values(self, rows: pl.DataFrame) -> pl.DataFrame:
        """`rows` with a column `__F` per property F the names use, as text."""
        fields = sorted({f for _, f in self.parts if f is not None} | set(self.searched))
        if not fields:
            return rows
        try:
            if rows.height == 0:
                raise pl.exceptions.ComputeError("no rows: no document to read")
            # One parse of the rows for every field (a JSON path per field parses them again);
            # read as one NDJSON document: faster than a parse per row.
            # As bytes: through a Python str it is decoded and encoded again (0.3 s per 200,000).
            document = rows.select(pl.col("data").str.join("\n").cast(pl.Binary)).item()
            read = pl.read_ndjson(io.BytesIO(document), schema={f: pl.String for f in fields})
            values = pl.concat([rows, read.rename({f: f"__{f}" for f in fields})],
                               how="horizontal")
        except pl.exceptions.ComputeError:  # a value that is no text (a list): one at a time
            values = rows.with_columns(pl.col("data").str.json_path_match(f"$['{f}']")
                                       .alias(f"__{f}") for f in fields)
        values = values.with_columns(pl.col(f"__{f}").str.replace_all(SEPARATOR, " ", literal=True)
                                     for f in fields)
        # Shown as Python shows them, as the template would.
        return values.with_columns(pl.col(f"__{f}").replace({"true": "True", "false": "False"})
                                   for f in fields if f in self.booleans)


class Naming:
    """The templates of every entity type of a configuration, built once per run."""

    def __init__(self, project: Project | None) -> None:
        self.templates: dict[str, Template] = {}
        for connector in project.connectors if project else ():
            for et in connector.entity_types:
                self.templates[et.identifier] = Template.of(et)

    def template(self, entity_type: str) -> Template:
        return self.templates.get(entity_type) or Template.unnamed(entity_type)

    def rows(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` (id, entity_type, key, data) → rows of the names table."""
        out = [self.template(str(et)).frame(part)
               for (et,), part in frame.group_by("entity_type", maintain_order=True)]
        if not out:
            return pl.DataFrame(schema={"resource_id": pl.Int64, "entity_type": pl.String,
                                        "display": pl.String, "terms": pl.String})
        return pl.concat(out)

    def changed_types(self, before: Naming) -> list[str]:
        """Entity types whose rows differ under `before`: added, removed or re-templated."""
        types = set(self.templates) | set(before.templates)
        return sorted(t for t in types
                      if self.template(t).signature() != before.template(t).signature())


def insert_names(conn: sa.Connection, rows: pl.DataFrame) -> None:
    if rows.height:
        insert_frame(conn, resource_names.name, rows.select(COLUMNS))


def rebuild(conn: sa.Connection, naming: Naming, entity_types: Iterable[str] | None = None
            ) -> int:
    """Write again the rows of these entity types (every type when None) from their resources'
    values; returns how many. In the caller's transaction."""
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    if entity_types is None:
        conn.execute(sa.delete(resource_names))
        types = [str(t) for t in conn.exec_driver_sql(
            "SELECT DISTINCT entity_type FROM resources").scalars()]
    else:
        types = list(entity_types)
    written = 0
    for entity_type in types:
        conn.execute(sa.delete(resource_names).where(
            resource_names.c.entity_type == entity_type))
        # The driver's own cursor: a million SQLAlchemy rows cost seconds, its tuples do not.
        cursor = dbapi.cursor()
        try:
            cursor.execute(f"SELECT id, key, data FROM resources WHERE entity_type = {mark}",
                           (entity_type,))
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        frame = pl.DataFrame(fetched, schema={"id": pl.Int64, "key": pl.String,
                                              "data": pl.String}, orient="row")
        del fetched
        rows = naming.template(entity_type).frame(frame)
        insert_names(conn, rows)
        written += rows.height
    return written
