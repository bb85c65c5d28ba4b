"""An uploaded tab's rows as the resources they would leave (SPEC §9): each cell parsed, each
row's command read, and what the row does not say taken from the repository — a Modify or Merge
row's empty cells and every column absent from the tab keep the stored values; NULL_NULL
empties. The problems of single rows (values, commands, keys) are found here."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from headcount.config.model import EntityType, Property
from headcount.connections.reader import LINE
from headcount.upload.columns import COMMANDS, label
from headcount.upload.headers import Header, Layout
from headcount.upload.stored import KEY
from headcount.upload.values import cell_text, expected, parse_cells
from headcount.upload.verified import COMMAND_OF, Problem, Severity

COMMAND = "__command"
EXISTS = "__exists"  # the row's key is a stored resource
# A row whose command cannot be done (unknown, Add of a stored key, Modify or Delete of an
# unknown one): reported once, left out of the checks that would only repeat it.
UNDOABLE = "__undoable"
_TEXT = "\x00text"
_OLD = "\x00old"
_NIL = "\x00nil"  # the cell says NULL_NULL
BAD = "\x00bad"  # the cell holds a value of the wrong type
_KEEPING = ("update", "merge")


@dataclass(frozen=True)
class Resolved:
    layout: Layout
    key: str  # the key property
    # LINE, COMMAND, EXISTS, every property (the resource after the load), and for each
    # column of the tab BAD and the cell as written (`_TEXT`): every data row, with errors.
    frame: pl.DataFrame
    problems: tuple[Problem, ...]
    read: int  # data rows in the tab, rows without a command included

    @property
    def entity_type(self) -> EntityType:
        return self.layout.tab.entity_type

    @property
    def name(self) -> str:
        return self.layout.sheet.name

    def written(self, prop: str) -> str:
        return prop + _TEXT

    def where(self, prop: Property) -> tuple[str, str | None]:
        """The column's header and letter; its name and no letter when the tab lacks it."""
        header = self.layout.columns.get(prop.identifier)
        return (header.text, header.letter) if header else (label(prop), None)

    def live(self) -> pl.DataFrame:
        """The rows that leave a resource: every row but Delete rows and undoable ones."""
        return self.frame.filter((pl.col(COMMAND).fill_null("") != "delete")
                                 & ~pl.col(UNDOABLE))

    def cells(self, prop: str) -> pl.Series:
        """The column's cells as written, in the rows that leave a resource."""
        return self.live()[prop + _TEXT]


def key_of(et: EntityType) -> str:
    return (et.keys or [p.identifier for p in et.scalar_properties[:1]])[0]


def resolve(layout: Layout, stored: pl.DataFrame) -> Resolved:
    et = layout.tab.entity_type
    key = key_of(et)
    columns = layout.columns
    texts = layout.data.select(
        LINE, *(cell_text(h.letter).alias(p + _TEXT) for p, h in columns.items()),
        *([cell_text(layout.command.letter).alias(COMMAND + _TEXT)] if layout.command else []))
    read = texts.height
    # A mass update's row without a command is left alone, unchecked: a full template keeps
    # every resource, and only the rows someone gave a command say something.
    alone = _without_command(layout, texts)
    if alone is not None:
        texts = texts.filter(pl.col(COMMAND + _TEXT).is_not_null())
    parsed = {p: parse_cells(p + _TEXT, _prop(et, p)) for p in columns}
    frame = texts.with_columns(
        *(v.value.alias(p) for p, v in parsed.items()),
        *(v.invalid.alias(p + BAD) for p, v in parsed.items()),
        *(v.emptied.alias(p + _NIL) for p, v in parsed.items()),
        (pl.col(COMMAND + _TEXT).str.to_lowercase().replace_strict(
            COMMAND_OF, default=None, return_dtype=pl.String) if layout.command
         else pl.lit(None, pl.String)).alias(COMMAND))
    old = stored.rename({c: c + _OLD for c in stored.columns if c != KEY}).with_columns(
        pl.lit(True).alias(EXISTS))
    frame = frame.join(old, left_on=key, right_on=KEY, how="left", coalesce=False) \
        .with_columns(pl.col(EXISTS).fill_null(False))
    keeping = pl.col(COMMAND).is_in(_KEEPING).fill_null(False)
    deleting = pl.col(COMMAND).fill_null("") == "delete"
    resolved = []
    for prop in et.properties:
        name = prop.identifier
        if name == key:
            continue
        stored_value = pl.col(name + _OLD)
        if name in columns:
            value = pl.when(pl.col(name + _NIL)).then(None) \
                .when(pl.col(name).is_null() & keeping).then(stored_value) \
                .otherwise(pl.col(name))
        else:
            value = stored_value
        resolved.append(pl.when(deleting).then(None).otherwise(value).alias(name))
    command = pl.col(COMMAND)
    undoable = (command.is_null() | ((command == "insert") & pl.col(EXISTS))
                | (command.is_in(["update", "delete"]) & ~pl.col(EXISTS))) \
        if layout.command else pl.lit(False)
    frame = frame.with_columns(*resolved, undoable.alias(UNDOABLE)).select(
        LINE, COMMAND, EXISTS, UNDOABLE, *(p.identifier for p in et.properties),
        *(c for p in columns for c in (p + BAD, p + _TEXT)),
        *([COMMAND + _TEXT] if layout.command else []))
    problems = [*_value_problems(layout, frame), *_command_problems(layout, frame, key),
                *_key_problems(layout, frame, key), *([alone] if alone else [])]
    return Resolved(layout, key, frame, tuple(problems), read)


def _without_command(layout: Layout, texts: pl.DataFrame) -> Problem | None:
    """One warning for the tab's rows that have no command, if any."""
    if layout.command is None:
        return None
    count = texts.get_column(COMMAND + _TEXT).null_count()
    if not count:
        return None
    what = "1 row without a command is" if count == 1 else \
        f"{count:,} rows without a command are"
    return Problem(layout.sheet.name, None, layout.command.text, layout.command.letter, None,
                   f"{what} left alone", "warning")


def _prop(et: EntityType, name: str) -> Property:
    prop = et.find_property(name)
    assert prop is not None, name
    return prop


def _value_problems(layout: Layout, frame: pl.DataFrame) -> list[Problem]:
    et = layout.tab.entity_type
    problems = []
    for name, header in layout.columns.items():
        prop = et.find_property(name)
        if prop is None:
            continue
        for line, text in frame.filter(pl.col(name + BAD)).select(LINE, name + _TEXT).rows():
            problems.append(Problem(layout.sheet.name, line, header.text, header.letter, text,
                                    expected(prop, text)))
    return problems


def _command_problems(layout: Layout, frame: pl.DataFrame, key: str) -> list[Problem]:
    command = layout.command
    if command is None:
        return []
    choices = ", ".join(COMMANDS[:-1]) + " or " + COMMANDS[-1]
    problems = []
    for line, text in frame.filter(pl.col(COMMAND).is_null()).select(
            LINE, COMMAND + _TEXT).rows():
        problems.append(_at(layout, command, line, text,
                            f"`{text}` is not a command: write {choices}"))
    keyed = frame.filter(pl.col(key).is_not_null())
    for line, value in keyed.filter((pl.col(COMMAND) == "insert") & pl.col(EXISTS)).select(
            LINE, key).rows():
        problems.append(_at(layout, command, line, "Add",
                            f"`{value}` already exists: write Modify to change it, or give "
                            f"the new one a key of its own"))
    for line, value in keyed.filter((pl.col(COMMAND) == "update") & ~pl.col(EXISTS)).select(
            LINE, key).rows():
        problems.append(_at(layout, command, line, "Modify",
                            f"`{value}` is not in the repository: nothing to change (write Add "
                            f"to create it)"))
    # Deleting what is gone already is done: the same file loaded twice changes nothing.
    for line, value in keyed.filter((pl.col(COMMAND) == "delete") & ~pl.col(EXISTS)).select(
            LINE, key).rows():
        problems.append(_at(layout, command, line, "Delete",
                            f"`{value}` is not in the repository (deleted already?): nothing "
                            f"to delete", "warning"))
    return problems


def _key_problems(layout: Layout, frame: pl.DataFrame, key: str) -> list[Problem]:
    header = layout.columns.get(key)
    if header is None:
        return []
    problems = []
    for (line,) in frame.filter(pl.col(key).is_null() & ~pl.col(key + BAD)).select(LINE).rows():
        problems.append(_at(layout, header, line, None,
                            f"the key {label(_prop(layout.tab.entity_type, key))} is empty: "
                            f"every row needs one"))
    folded = frame.filter(pl.col(key).is_not_null()).select(
        LINE, key, pl.col(key).str.to_lowercase().alias("folded"))
    repeated = folded.filter(pl.col("folded").is_duplicated())
    lines: dict[str, list[int]] = {}
    for line, _value, fold in repeated.sort(LINE).rows():
        lines.setdefault(fold, []).append(line)
    for line, value, fold in repeated.sort(LINE).rows():
        others = ", ".join(str(n) for n in lines[fold] if n != line)
        problems.append(_at(layout, header, line, value,
                            f"the key `{value}` is also in row {others}: each row needs a key "
                            f"of its own"))
    return problems


def _at(layout: Layout, header: Header, line: int, value: str | None, message: str,
        severity: Severity = "error") -> Problem:
    return Problem(layout.sheet.name, line, header.text, header.letter, value, message,
                   severity)
