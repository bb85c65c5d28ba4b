"""A complete run deletes what its file no longer holds, so it must have read the whole file
(SPEC §15.10): a quote left open swallows the rows after it, and those people would look absent.

Two checks, both before anything is applied: the reader's own evidence (a ragged record that
runs over several lines, a row whose key cannot be read) and, once the diff is known, every key
the run would delete that still appears in the file, in a row set aside as ragged or inside a
quoted field read over several lines (a legal multi-line address is no alarm, unless it holds
a key the run deletes). Either one fails the run; --force does not pass it: the file must be
mended."""

from __future__ import annotations

from dataclasses import dataclass, field

from headcount.connections.reader import SourceTable
from headcount.errors import SourceError
from headcount.sync.changes import ChangeSet

WHY = ("a complete run deletes only what a file read whole no longer holds: nothing was changed "
       "— mend the file and run again")


class FileNotReadWhole(SourceError):
    """A complete run could not read every line of a file as a row with a known key."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:10]
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        super().__init__("; ".join(shown) + more + f" — {WHY}")
        self.problems = problems


@dataclass
class Evidence:
    """What the files of a run tell about their own damage, kept once their tables are gone."""

    problems: list[str] = field(default_factory=list)
    # A value seen in a row set aside as ragged, or inside a record read over several lines →
    # where, for a person: were it a key the run deletes, its row was swallowed or shifted.
    tokens: dict[str, str] = field(default_factory=dict)

    def add(self, table: SourceTable, separator: str, quote: str, trim: list[str]) -> None:
        name = table.file.name
        for row in table.rejected:
            if row.last_line > row.line:
                self.problems.append(
                    f"{name}, line {row.line}: a quote opened on line {row.line} is not closed: "
                    f"it swallows {_lines(row.last_line - row.line)} after it (up to line "
                    f"{row.last_line}), read as one record with it")
            # Every value: a separator too many or too few shifts a key into another column.
            where = f"{name}, line {row.line}: it appears in a row set aside as ragged " \
                    f"({row.reason.partition(' — ')[0]})"
            self._tokens(list(row.values.values()), separator, quote, trim, where)
        for span in table.spanning:
            inside = f"line {span.row_like_line}, a whole row" if span.row_like_line else \
                "a line"
            where = (f"{name}, line {span.line}: it appears in {inside} inside a quoted field "
                     f"that opened on line {span.line} and closed on line {span.last_line} — "
                     "a quote may be misplaced")
            self._tokens([span.text], separator, quote, trim, where)

    def unkeyed(self, file: str, lines: list[int]) -> None:
        if lines:
            shown = ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")
            self.problems.append(f"{file}: rows whose key cannot be read (lines {shown}): a "
                                 "complete run cannot tell whom they are")

    def swallowed(self, changes: ChangeSet) -> list[str]:
        """The keys the run would delete (resources, or the links of a source) that the file
        still holds in a damaged record."""
        if not self.tokens:
            return []
        out = []
        for frame, kind in ((changes.resources, "delete"), (changes.links, "link_delete")):
            gone = frame.filter(frame["kind"] == kind).select("entity_type", "key").unique()
            for entity_type, key in gone.sort("entity_type", "key").iter_rows():
                where = self.tokens.get(key)
                if where is not None:
                    what = "delete" if kind == "delete" else "delete the links of"
                    out.append(f"{where}; the run would {what} {entity_type} `{key}`")
        return out

    def _tokens(self, texts: list[str], separator: str, quote: str, trim: list[str],
                where: str) -> None:
        for text in texts:
            for piece in text.replace("\r", "\n").replace(separator, "\n").split("\n"):
                # As the reader makes a value of it: quotes around it, then values_to_trim
                # one after the other; and without the spaces a key rarely holds.
                value = piece.strip(quote) if quote else piece
                for ch in trim:
                    value = value.strip(ch)
                for token in {value, value.strip(), piece.strip().strip(quote).strip()}:
                    if token:
                        self.tokens.setdefault(token, where)


def _lines(n: int) -> str:
    return "the line" if n == 1 else f"the {n} lines"
