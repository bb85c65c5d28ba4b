"""A complete run deletes what its file no longer holds, so it must have read the whole file
(SPEC §15.10): a quote left open swallows the rows after it, and those people would look absent.

Two checks, both before anything is applied: the reader's own evidence (a ragged record that
runs over several lines, a line inside a quoted field with a row's worth of separators, a row
whose key cannot be read) and, once the diff is known, every key the run would delete that
still appears in the file inside a record read over several lines or past the end of a ragged
row. Either one fails the run; --force does not pass it: the file must be mended."""

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
    # A value seen inside a record read over several lines, or past the end of a ragged row →
    # (file, line of that record): were it a key the run deletes, its row was swallowed.
    tokens: dict[str, tuple[str, int]] = field(default_factory=dict)

    def add(self, table: SourceTable, separator: str, strip: str) -> None:
        name = table.file.path.name
        for row in table.rejected:
            if row.last_line > row.line:
                self.problems.append(
                    f"{name}, line {row.line}: a quote opened on line {row.line} is not closed: "
                    f"it swallows {_lines(row.last_line - row.line)} after it (up to line "
                    f"{row.last_line}), read as one record with it")
            beyond = [v for k, v in row.values.items() if k.startswith("#")]
            self._tokens(beyond, separator, strip, name, row.line)
        for span in table.spanning:
            if span.row_like_line is not None:
                self.problems.append(
                    f"{name}, line {span.row_like_line}: a whole row inside a quoted field that "
                    f"opened on line {span.line} (lines {span.line}–{span.last_line} were read "
                    "as one record) — a quote is misplaced")
            self._tokens([span.text], separator, strip, name, span.line)

    def unkeyed(self, file: str, lines: list[int]) -> None:
        if lines:
            shown = ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")
            self.problems.append(f"{file}: rows whose key cannot be read (lines {shown}): a "
                                 "complete run cannot tell whom they are")

    def swallowed(self, changes: ChangeSet) -> list[str]:
        """The keys the run would delete (resources, or the links of a source) that the file
        still holds inside a damaged record."""
        if not self.tokens:
            return []
        out = []
        for frame, kind in ((changes.resources, "delete"), (changes.links, "link_delete")):
            gone = frame.filter(frame["kind"] == kind).select("entity_type", "key").unique()
            for entity_type, key in gone.sort("entity_type", "key").iter_rows():
                seen = self.tokens.get(key)
                if seen is not None:
                    what = "delete" if kind == "delete" else "delete links of"
                    out.append(f"{seen[0]}, line {seen[1]}: the run would {what} {entity_type} "
                               f"`{key}`, whose key appears inside the record that starts on "
                               f"line {seen[1]}")
        return out

    def _tokens(self, texts: list[str], separator: str, strip: str, name: str,
                line: int) -> None:
        for text in texts:
            for piece in text.replace("\r", "\n").replace(separator, "\n").split("\n"):
                token = piece.strip().strip(strip).strip()
                if token:
                    self.tokens.setdefault(token, (name, line))


def _lines(n: int) -> str:
    return "the line" if n == 1 else f"the {n} lines"
