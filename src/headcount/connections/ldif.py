"""The LDIF connection: entries of an LDIF file (RFC 2849) as a table, one row per entry, its
`__line` the line of the entry's `dn:`. Folded lines, base64 values (`::`), comments and the
version line are read; values by URL (`:<`) and change records are refused: a file of changes is
no snapshot of a directory. Also writes LDIF, for tests, benchmarks and examples."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from headcount.config.directory import LdifConnection
from headcount.connections.directory import Entries
from headcount.connections.reader import SourceFile, SourceTable
from headcount.errors import Location, SourceError

_ATTRIBUTE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.;-]*")
# A value written as it is: no NUL, CR, LF; not starting with space, ':' or '<'; ASCII.
_SAFE = re.compile(r"[\x01-\x09\x0b\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f]"
                   r"[\x01-\x09\x0b\x0c\x0e-\x7f]*")
FOLD = 76


def read_ldif(path: Path, connection: LdifConnection) -> SourceTable:
    data = path.read_bytes()
    entries = Entries(connection.attributes, connection.multivalue_separator)
    for line, dn, values in ldif_entries(data, path):
        entries.add_raw(line, dn, values, f"{path.name} line {line}")
    file = SourceFile(connection.identifier, path, len(data), hashlib.sha256(data).hexdigest(),
                      len(entries.lines), "utf-8")
    warnings = [] if entries.lines else ["the file holds no entry"]
    return SourceTable(file, entries.header, entries.frame(), warnings=warnings)


def ldif_entries(data: bytes, path: Path | str = "<ldif>"
                 ) -> Iterator[tuple[int, str, dict[str, list[bytes]]]]:
    """(line of `dn:`, dn, values by attribute) of each entry of an LDIF file."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError("LDIF is UTF-8, but this byte is not: "
                          f"{data[exc.start:exc.start + 1]!r}", Location(path, line)) from None
    record: list[tuple[int, str]] = []
    first = True
    for number, logical in _logical_lines(text, path):
        if logical is None:
            if record:
                yield _entry(record, path)
                record = []
            continue
        if first and not record and logical.lower().startswith("version:"):
            if logical.partition(":")[2].strip() != "1":
                raise SourceError(f"unknown LDIF version `{logical}` (only version 1)",
                                  Location(path, number))
            first = False
            continue
        first = False
        record.append((number, logical))
    if record:
        yield _entry(record, path)


def _logical_lines(text: str, path: Path | str) -> Iterator[tuple[int, str | None]]:
    """(first line, text) of each unfolded line, comments dropped; None for a blank line."""
    current: list[str] = []
    start = 0
    comment = False
    # Only LF and CR LF end a line: a value may hold other characters str.splitlines takes.
    for number, raw in enumerate(
            (r[:-1] if r.endswith("\r") else r for r in text.split("\n")), start=1):
        if raw.startswith(" "):
            if not current and not comment:
                raise SourceError("a continuation line (starting with a space) follows no "
                                  "line", Location(path, number))
            if not comment:
                current.append(raw[1:])
            continue
        if current:
            yield start, "".join(current)
            current = []
        comment = raw.startswith("#")
        if comment:
            continue
        if raw.strip() == "":
            yield number, None
            continue
        start, current = number, [raw]
    if current:
        yield start, "".join(current)


def _entry(record: list[tuple[int, str]], path: Path | str
           ) -> tuple[int, str, dict[str, list[bytes]]]:
    line, first = record[0]
    name, value = _attribute_value(first, line, path)
    if name.lower() != "dn":
        raise SourceError(f"an entry starts with `dn:`, not `{name}:`", Location(path, line))
    try:
        dn = value.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError("the dn is not UTF-8 text", Location(path, line)) from None
    values: dict[str, list[bytes]] = {}
    names: dict[str, str] = {}
    for number, logical in record[1:]:
        name, value = _attribute_value(logical, number, path)
        low = name.lower()
        if low in ("changetype", "control"):
            raise SourceError(
                f"a change record (`{logical}`) for {dn}: this connection reads the entries of "
                "a directory (content records), not changes to apply — export the entries "
                "(ldapsearch -LLL, ldifde -f)", Location(path, number))
        values.setdefault(names.setdefault(low, name), []).append(value)
    return line, dn, values


def _attribute_value(logical: str, line: int, path: Path | str) -> tuple[str, bytes]:
    name, colon, rest = logical.partition(":")
    if not colon or not _ATTRIBUTE.fullmatch(name):
        raise SourceError(f"`{logical[:60]}` is not `attribute: value`", Location(path, line))
    if rest.startswith(":"):
        encoded = rest[1:].strip()
        try:
            return name, base64.b64decode(encoded, validate=True)
        except ValueError:
            raise SourceError(f"the base64 value of `{name}` cannot be decoded",
                              Location(path, line)) from None
    if rest.startswith("<"):
        raise SourceError(f"`{name}` takes its value from a URL (`:<`): values by URL are "
                          "not read — export the value itself", Location(path, line))
    return name, rest.lstrip(" ").encode("utf-8")


def ldif_text(entries: Iterable[tuple[str, Mapping[str, Sequence[str | bytes]]]],
              fold: int = FOLD) -> str:
    """LDIF (version 1) of entries (dn, values by attribute): values that are not safe text
    in base64, lines folded at `fold` characters."""
    out = [*_folded("version: 1", fold), ""]
    for dn, values in entries:
        out += _folded(_spec("dn", dn), fold)
        for attribute, listed in values.items():
            for value in listed:
                out += _folded(_spec(attribute, value), fold)
        out.append("")
    return "\n".join(out) + "\n"


def _spec(attribute: str, value: str | bytes) -> str:
    if isinstance(value, str) and (value == "" or _SAFE.fullmatch(value)) \
            and not value.endswith(" "):
        return f"{attribute}: {value}"
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return f"{attribute}:: {base64.b64encode(raw).decode('ascii')}"


def _folded(line: str, width: int) -> list[str]:
    if width <= 1 or len(line) <= width:
        return [line]
    parts = [line[:width]]
    parts += [" " + line[i:i + width - 1] for i in range(width, len(line), width - 1)]
    return parts
