"""An uploaded file read as a workbook of text tables, safely: its size is checked before it is
read, its parts before they are parsed, and nothing in it is ever run (SPEC §9, §13).

Accepted: an Excel workbook (.xlsx), a CSV file (one tab, named after the file) and a zip of
CSV files (one tab per file). Refused with the reason in an HR operator's words: anything larger
than the limits, macros, entity declarations, passwords, the old .xls format."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from headcount.connections.reader import SourceFile
from headcount.upload.archive import checked_members, megabytes, member_bytes
from headcount.upload.csvtext import read_csv_text
from headcount.upload.limits import UploadLimits, upload_limits
from headcount.upload.refusal import UploadRefused
from headcount.upload.sheet import Sheet, cell_name
from headcount.upload.xlsx import read_xlsx

__all__ = ["Sheet", "UploadLimits", "UploadRefused", "Workbook", "check_size", "read_workbook",
           "upload_limits"]

CONNECTION = "upload"
_ZIP = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
# Both the old binary workbooks and encrypted .xlsx files are OLE compound files.
_COMPOUND = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")
_MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam")
_OLD_EXTENSIONS = (".xls", ".xlsb", ".xlt")
# How many formula cells a refusal names before "and N more".
_SHOWN_FORMULAS = 20
_DEFAULTS = UploadLimits()


@dataclass(frozen=True)
class Workbook:
    file: SourceFile
    sheets: tuple[Sheet, ...]
    hidden: frozenset[str] = frozenset()


def read_workbook(path: Path, limits: UploadLimits = _DEFAULTS) -> Workbook:
    """The tabs of the uploaded file at `path`, in order; UploadRefused when it is not safe or
    not a workbook, CSV file or zip of CSV files."""
    name = path.name
    size = path.stat().st_size
    check_size(name, size, limits.max_bytes)
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_COMPOUND):
        raise UploadRefused(name, _compound_reason(path))
    if suffix in _MACRO_EXTENSIONS:
        raise UploadRefused(name, "macro-enabled workbooks are never accepted: save it as an "
                            "Excel workbook (.xlsx) and upload that file")
    if suffix in _OLD_EXTENSIONS:
        raise UploadRefused(name, "this Excel format cannot be read safely: save the file as "
                            "an Excel workbook (.xlsx) and upload that file")
    encoding = "xlsx"
    hidden: frozenset[str] = frozenset()
    if suffix in (".xlsx", ".xltx"):
        if not head.startswith((_ZIP, _EMPTY_ZIP)):
            raise UploadRefused(name, "the file is not an Excel workbook (.xlsx): it is not a "
                                "zip file, so it was probably renamed or is damaged")
        read, hidden = read_xlsx(path, limits)
        sheets = tuple(read)
    elif suffix == ".csv":
        if head.startswith((_ZIP, _EMPTY_ZIP)):
            raise UploadRefused(name, "the file is not CSV text but a zip or an Excel workbook: "
                                "give it its real extension (.xlsx or .zip)")
        try:
            sheet, encoding = read_csv_text(path.stem, path.read_bytes(), limits)
        except UploadRefused as refused:
            raise UploadRefused(name, refused.reason) from None
        sheets = (sheet,)
    elif suffix == ".zip":
        sheets, encoding = _read_csv_zip(path, limits)
    else:
        raise UploadRefused(name, "only Excel workbooks (.xlsx), CSV files (.csv) and zip files "
                            "of CSV files (.zip) are accepted")
    if suffix in (".csv", ".zip"):
        # A CSV cell has no cached value: its formula is all there is, so it is never read.
        _refuse_csv_formulas(name, sheets)
    rows = sum(sheet.frame.height for sheet in sheets)
    source = SourceFile(CONNECTION, path, size, _checksum(path), rows, encoding)
    return Workbook(source, sheets, hidden)


def check_size(name: str, size: int, max_bytes: int) -> None:
    """Refused when the file is larger than an upload may be: checked from its size, before a
    byte of it is read."""
    if size > max_bytes:
        raise UploadRefused(name, f"the file is {megabytes(size)}, larger than the "
                            f"{megabytes(max_bytes)} an upload may be")


def _compound_reason(path: Path) -> str:
    # Only the directory names the streams; it sits in the first sectors of small files, so a
    # search of the whole file (at most max_bytes) finds it.
    if _ENCRYPTED in path.read_bytes():
        return ("the workbook is protected by a password (encrypted): remove the password in "
                "Excel (File → Info → Protect Workbook) and upload it again")
    return ("the file is in the old Excel 97-2003 format (.xls), which cannot be read safely: "
            "save it as an Excel workbook (.xlsx) and upload that file")


def _read_csv_zip(path: Path, limits: UploadLimits) -> tuple[tuple[Sheet, ...], str]:
    name = path.name
    members = [m for m in checked_members(path, limits.max_uncompressed_bytes, limits.max_ratio)
               if not m.is_dir() and not _is_clutter(m.filename)]
    if not members:
        raise UploadRefused(name, "the zip file holds no CSV file")
    if len(members) > limits.max_tabs:
        raise UploadRefused(name, f"the zip file holds {len(members):,} files, more than the "
                            f"{limits.max_tabs:,} tabs an upload may have: split it")
    _refuse_same_tabs(name, members)
    sheets: list[Sheet] = []
    encodings: set[str] = set()
    with zipfile.ZipFile(path) as archive:
        for member in members:
            member_path = PurePosixPath(member.filename)
            if member_path.suffix.lower() != ".csv":
                raise UploadRefused(name, f"`{member.filename}` is not a CSV file: a zip may "
                                    "hold only CSV files, one per tab")
            left = replace(limits, max_rows=limits.max_rows - sum(s.frame.height for s in sheets),
                           max_cells=limits.max_cells - sum(_cells(s) for s in sheets))
            data = member_bytes(archive, member)
            try:
                sheet, encoding = read_csv_text(member_path.stem, data, left)
            except UploadRefused as refused:
                raise UploadRefused(name, f"`{member.filename}`: {refused.reason}") from None
            sheets.append(sheet)
            encodings.add(encoding)
    return tuple(sheets), ", ".join(sorted(encodings))


def _is_clutter(member: str) -> bool:
    # What the archivers of macOS and Windows add beside the files someone zipped.
    parts = PurePosixPath(member).parts
    return "__MACOSX" in parts or parts[-1] in (".DS_Store", "Thumbs.db", "desktop.ini")


def _refuse_same_tabs(name: str, members: list[zipfile.ZipInfo]) -> None:
    # Each file is a tab named after it, and Excel compares tab names ignoring case.
    seen: dict[str, str] = {}
    for member in members:
        tab = PurePosixPath(member.filename).stem.casefold()
        if tab in seen:
            raise UploadRefused(name, f"`{seen[tab]}` and `{member.filename}` would be the same "
                                "tab: rename one of them (each file of the zip is the tab named "
                                "after it)")
        seen[tab] = member.filename


def _cells(sheet: Sheet) -> int:
    return sheet.frame.height * (sheet.frame.width - 1)


def _refuse_csv_formulas(name: str, sheets: tuple[Sheet, ...]) -> None:
    cells = [cell_name(sheet, row, column) for sheet in sheets
             for row, column in sorted(sheet.formulas)]
    if not cells:
        return
    shown = "; ".join(cells[:_SHOWN_FORMULAS])
    more = f" and {len(cells) - _SHOWN_FORMULAS:,} more" if len(cells) > _SHOWN_FORMULAS else ""
    counted = "1 cell would run as a formula" if len(cells) == 1 \
        else f"{len(cells):,} cells would run as formulas"
    raise UploadRefused(name, f"{counted} in a spreadsheet (starting with = + - or @): "
                        f"{shown}{more}. "
                        "Write the value itself, or start it with an apostrophe (') to keep it "
                        "as text, and upload the file again")


def _checksum(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()

