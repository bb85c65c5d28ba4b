"""The CSV connection (SPEC §3.1): explicit encoding (a BOM always wins), dialect, lines to skip,
values to trim, quoted separators and newlines, ragged rows reported with their line numbers.

The stdlib csv module parses: it is exact about quoting and tells the line each record ends on,
which gives the line numbers people need to fix a file. Rows are gathered in chunks into polars
so that a million rows stay compact in memory."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import polars as pl

from headcount import collector, frames
from headcount.config.model import Connection
from headcount.connections.reader import (
    LINE,
    RejectedRow,
    SourceFile,
    SourceTable,
    SpanningRecord,
)
from headcount.errors import Location, SourceError

CHUNK_ROWS = 100_000
# The line breaks the csv module counts in `line_num` (the stream is opened with newline="").
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A field may hold long text, but a stray quote must not swallow the whole file unnoticed.
csv.field_size_limit(16 * 1024 * 1024)
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def resolve_path(project_dir: Path, pattern: str, is_regex: bool,
                 date_format: str | None = None, date_group: str = "date") -> Path:
    """The file to read. With a pattern, the most recently created match (ctime on POSIX); with
    a `date_format`, the match whose name holds the latest date (group `date_group` of the
    pattern; the most recently created among those of that date), so that an old file
    delivered again does not win."""
    path = Path(pattern)
    if not path.is_absolute():
        path = project_dir / path
    if not is_regex:
        if not path.is_file():
            raise SourceError("file not found", Location(path))
        return path
    folder, regex = path.parent, re.compile(path.name)
    found = [(p, regex.fullmatch(p.name)) for p in folder.iterdir() if p.is_file()] \
        if folder.is_dir() else []
    matches = [(p, m) for p, m in found if m is not None]
    if not matches:
        raise SourceError(f"no file matches the pattern `{path.name}`", Location(folder))
    if date_format is None:
        return max((p for p, _ in matches), key=lambda p: (p.stat().st_ctime, p.name))
    dated: list[tuple[datetime, Path]] = []
    for p, m in matches:
        text = m.groupdict().get(date_group)
        try:
            if text is None:
                raise ValueError
            dated.append((datetime.strptime(text, date_format), p))
        except ValueError:
            # A file the pattern takes but whose date cannot be read is never skipped silently:
            # it might be the newest one.
            raise SourceError(f"`{p.name}` matches the pattern but its group `{date_group}` "
                              f"({text!r}) is not a date in the format `{date_format}`",
                              Location(p)) from None
    # Two files of the same date: the most recently created one, as without a date format.
    return max(dated, key=lambda wp: (wp[0], wp[1].stat().st_ctime, wp[1].name))[1]


def effective_encoding(path: Path, declared: str) -> str:
    """The declared encoding, unless the file starts with a byte order mark."""
    with path.open("rb") as handle:
        head = handle.read(4)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return declared


def _checksum(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _header(raw: list[str], trim: list[str]) -> list[str]:
    # Without values_to_trim, header names still lose their spaces: a column is found by name.
    return [_trim(h, trim) if trim else h.strip() for h in raw]


def _trim(value: str, chars: list[str]) -> str:
    # "One after the other": each character is stripped from both ends in turn.
    for ch in chars:
        value = value.strip(ch)
    return value


def read_csv(path: Path, connection: Connection) -> SourceTable:
    encoding = effective_encoding(path, connection.encoding)
    try:
        fast = _read_unquoted(path, connection, encoding)
        if fast is not None:
            return fast
        # Millions of freshly parsed lists hold only strings (6.3 s → 2.0 s for a million rows).
        with collector.paused():
            return _read(path, connection, encoding)
    except UnicodeDecodeError as exc:
        line, column = _locate_undecodable(path, encoding)
        raise SourceError(
            f"cannot be decoded as {encoding}: byte {exc.object[exc.start:exc.start + 1]!r} "
            f"— is the file in another encoding (set `encoding:` on connection "
            f"`{connection.identifier}`)?", Location(path, line, column)) from None


def _locate_undecodable(path: Path, encoding: str) -> tuple[int | None, int | None]:
    # The stream decoder reports an offset inside its current buffer: find the first undecodable
    # byte of the whole file to name its line and column.
    data = path.read_bytes()
    try:
        data.decode(encoding)
        return None, None
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        return line, exc.start - (before.rfind(b"\n") + 1) + 1


def _records(stream: io.TextIOBase, connection: Connection, first_line: int, path: Path
             ) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of each record; blank lines skipped."""
    reader = csv.reader(
        stream, delimiter=connection.separator, quotechar=connection.quote,
        escapechar=connection.escape, doublequote=True, strict=False,
    )
    previous_end = first_line - 1
    while True:
        start = previous_end + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            limit = csv.field_size_limit()
            detail = (f"a field is longer than {limit // (1024 * 1024)} MiB, the longest a field "
                      "may be — a quote left open?") if "field limit" in str(exc) else str(exc)
            raise SourceError(f"the record that starts on line {start} cannot be read as CSV: "
                              f"{detail}", Location(path, start)) from None
        previous_end = reader.line_num + first_line - 1
        if record:
            yield start, previous_end, record


def _named(header: list[str], record: list[str], trim: list[str]) -> dict[str, str]:
    """The fields of a rejected row under their column names (unnamed columns skipped; extra
    fields as #n)."""
    out: dict[str, str] = {}
    for i, value in enumerate(record):
        name = header[i] if i < len(header) else f"#{i + 1}"
        if name:
            out[name] = _trim(value, trim) if trim else value
    return out


def _read(path: Path, connection: Connection, encoding: str) -> SourceTable:
    size = path.stat().st_size
    with path.open("rb") as handle:
        has_nul = any(b"\x00" in block for block in iter(lambda: handle.read(1 << 20), b""))
    with path.open("rb") as raw:
        stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
        for _ in range(connection.lines_to_skip):
            stream.readline()
        records = _records(stream, connection, connection.lines_to_skip + 1, path)
        first = next(records, None)
        if first is None:
            frame = pl.DataFrame(schema={LINE: pl.Int64})
            return SourceTable(
                SourceFile(connection.identifier, path, size, _checksum(path), 0, encoding),
                [], frame, warnings=["the file is empty"])
        header_line, _, raw_header = first
        trim = connection.values_to_trim
        header = _header(raw_header, trim)
        _check_header(header, path, header_line)
        kept = [i for i, name in enumerate(header) if name]
        names = [header[i] for i in kept]
        width = len(header)
        rejected: list[RejectedRow] = []
        spanning: list[SpanningRecord] = []
        chunks: list[pl.DataFrame] = []
        batch: list[list[str]] = []
        lines: list[int] = []
        for line, last, record in records:
            if len(record) != width:
                rejected.append(_ragged(header, record, line, last, trim))
                continue
            if has_nul and any("\x00" in field for field in record):
                # PostgreSQL cannot store it, and no HR value holds one: set the row aside.
                rejected.append(RejectedRow(line, "a field holds a NUL character",
                                            _named(header, record, trim), line))
                continue
            if last > line:
                spanning.append(_spanning(record, line, last, connection.separator, width))
            batch.append(record)
            lines.append(line)
            if len(batch) >= CHUNK_ROWS:
                chunks.append(_frame(names, kept, batch, lines, trim))
                batch, lines = [], []
        chunks.append(_frame(names, kept, batch, lines, trim))
    frame = pl.concat(chunks) if len(chunks) > 1 else chunks[0]
    source = SourceFile(connection.identifier, path, size, _checksum(path), frame.height, encoding)
    warnings = [] if frame.height or rejected else ["the file has a header but no rows"]
    return SourceTable(source, names, frame, rejected, warnings, header_line, spanning)


def _ragged(header: list[str], record: list[str], line: int, last: int, trim: list[str]
            ) -> RejectedRow:
    width = len(header)
    reason = f"{len(record)} fields where the header has {width}"
    if last > line:
        reason += (f" — a quote opened on line {line} is not closed where its row "
                   f"ends: lines {line}–{last} ({last - line + 1} lines) were read as "
                   "one record")
    # Fewer fields: the last one was not ended by a separator, so it may be cut short.
    cut = (header[len(record) - 1] or None) if len(record) < width else None
    return RejectedRow(line, reason, _named(header, record, trim), last, cut)


def _spanning(record: list[str], line: int, last: int, separator: str, width: int
              ) -> SpanningRecord:
    broken = [field for field in record if "\n" in field or "\r" in field]
    row_like: int | None = None
    current = line
    for field in record:
        segments = _LINE_BREAK.split(field)
        for offset, segment in enumerate(segments[1:], start=1):
            # A line inside a quoted field with a row's worth of separators is a row swallowed
            # by a quote left open, not an address on two lines (files of 3 columns and more).
            if row_like is None and width >= 3 and segment.count(separator) >= width - 1:
                row_like = current + offset
        current += len(segments) - 1
    return SpanningRecord(line, last, "\n".join(broken), row_like)


def _frame(names: list[str], kept: list[int], batch: list[list[str]], lines: list[int],
           trim: list[str]) -> pl.DataFrame:
    # Transposing in C (zip) and cleaning in polars keeps Python out of the per-value work.
    transposed = list(zip(*batch, strict=True)) if batch else [() for _ in range(max(kept) + 1)]
    data: dict[str, pl.Series] = {}
    for name, index in zip(names, kept, strict=True):
        series = pl.Series(name, transposed[index], dtype=pl.String)
        for ch in trim:
            series = series.str.strip_chars(ch)
        data[name] = pl.select(pl.when(series != "").then(series)).to_series().alias(name)
    data[LINE] = pl.Series(LINE, lines, dtype=pl.Int64)
    return pl.DataFrame(data)


def _read_unquoted(path: Path, connection: Connection, encoding: str) -> SourceTable | None:
    """The fast path, for files where no quote character appears: then every line is a record
    and polars can split them exactly as the csv module would. None when it does not apply."""
    if connection.escape:
        return None
    data = path.read_bytes()
    # The checksum is computed (hashlib releases the GIL) while polars splits the lines.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return _split_unquoted(data, pool.submit(_sha256, data), path, connection, encoding)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _split_unquoted(data: bytes, checksum: Future[str], path: Path, connection: Connection,
                    encoding: str) -> SourceTable | None:
    if encoding.replace("-", "").lower() in ("utf8", "utf8sig"):
        utf8 = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    else:
        utf8 = data.decode(encoding).encode("utf-8")
    if connection.quote.encode("utf-8") in utf8 or b"\x00" in utf8 or utf8.endswith(b"\r"):
        return None
    try:
        # Read lines only (NUL never occurs): a blank line comes back as null, keeping line
        # numbers. polars checks the UTF-8 as it reads.
        frame = pl.read_csv(utf8, has_header=False, separator="\x00", quote_char=None,
                            new_columns=["raw"], infer_schema=False, raise_if_empty=False)
    except pl.exceptions.ComputeError:
        return None  # not valid UTF-8: the exact reader names the line and column
    del utf8
    # A carriage return that ends no line (polars drops the one before each newline, and one
    # at the very end, tested above) ends a record for the csv module: the exact reader then.
    # Looked for in the lines, not by counting the bytes twice (0.15 s per 100 MB).
    if "raw" in frame.columns and frame["raw"].str.contains("\r", literal=True).any():
        return None
    if "raw" not in frame.columns:  # a file of 0 bytes has no line at all
        frame = pl.DataFrame(schema={"raw": pl.String})
    frame = frame.with_row_index(LINE, offset=1).slice(connection.lines_to_skip)
    frame = frame.filter(pl.col("raw").is_not_null() & (pl.col("raw") != ""))
    size = len(data)
    del data
    if frame.height == 0:
        return SourceTable(SourceFile(connection.identifier, path, size, checksum.result(), 0,
                                      encoding),
                           [], pl.DataFrame(schema={LINE: pl.Int64}),
                           warnings=["the file is empty"])
    sep, trim = connection.separator, connection.values_to_trim
    header_line = int(frame[LINE][0])
    raw_header = str(frame["raw"][0]).split(sep)
    header = _header(raw_header, trim)
    _check_header(header, path, header_line)
    width = len(header)
    body = frame.slice(1).lazy().with_columns(
        pl.col(LINE).cast(pl.Int64), (pl.col("raw").str.count_matches(sep, literal=True) + 1)
        .alias("__fields")).collect(engine=frames.ENGINE)
    rejected = [
        _ragged(header, raw.split(sep), line, line, trim)
        for line, raw in body.filter(pl.col("__fields") != width).select(LINE, "raw").iter_rows()
    ]
    split = body.lazy().filter(pl.col("__fields") == width).select(
        pl.col("raw").str.split_exact(sep, width - 1).alias("f"), pl.col(LINE)).unnest("f")
    kept = [i for i, name in enumerate(header) if name]
    columns = []
    for index in kept:
        col = pl.col(f"field_{index}")
        for ch in trim:
            col = col.str.strip_chars(ch)
        columns.append(pl.when(col != "").then(col).alias(header[index]))
    table = split.select(*columns, pl.col(LINE)).collect(engine=frames.ENGINE)
    names = [header[i] for i in kept]
    source = SourceFile(connection.identifier, path, size, checksum.result(), table.height,
                        encoding)
    warnings = [] if table.height or rejected else ["the file has a header but no rows"]
    return SourceTable(source, names, table, rejected, warnings, header_line)


def _check_header(header: list[str], path: Path, line: int) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            continue
        if name in seen:
            raise SourceError(f"column `{name}` appears twice in the header "
                              f"(columns {seen[name]} and {position})",
                              Location(path, line, position))
        seen[name] = position


def header_only(path: Path, connection: Connection) -> list[str]:
    """The header of a file, for `headcount check` to compare with the mappings."""
    encoding = effective_encoding(path, connection.encoding)
    with path.open("rb") as raw:
        stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
        for _ in range(connection.lines_to_skip):
            stream.readline()
        first = next(_records(stream, connection, connection.lines_to_skip + 1, path), None)
    if first is None:
        return []
    trim = connection.values_to_trim
    return [n for n in _header(first[2], trim) if n]

