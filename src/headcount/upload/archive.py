"""The members of an uploaded zip (a workbook is one), checked from the zip's directory before
anything is inflated: too many members, a member that inflates far beyond its compressed size
(a zip bomb), more data than an upload may hold once inflated, a password."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Generator
from pathlib import Path

from headcount.upload.refusal import UploadRefused

# A workbook has a few parts per tab; a zip of CSV files one per tab. Thousands of members are
# an attack on the reader, not a file someone filled in.
MAX_MEMBERS = 1_000
# Tiny members may compress very well and inflating them costs nothing: the ratio is checked on
# members larger than this (low, so that hundreds of members just under it cannot add up).
RATIO_FLOOR = 64 * 1024
_CHUNK = 1 << 20


def checked_members(path: Path, max_uncompressed: int, max_ratio: float) -> list[zipfile.ZipInfo]:
    """The members of the zip at `path`, refused on the directory's own figures."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile):
        raise UploadRefused(name, "the file is damaged or is not a zip file, so it cannot be "
                            "read as an Excel workbook (.xlsx) or a zip of CSV files") from None
    if len(members) > MAX_MEMBERS:
        raise UploadRefused(name, f"the file holds {len(members):,} parts, more than the "
                            f"{MAX_MEMBERS:,} an upload may have")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise UploadRefused(name, f"`{member.filename}` is protected by a password: "
                                "upload a copy without a password")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR and ratio > max_ratio:
            raise UploadRefused(name, f"`{member.filename}` would grow {ratio:,.0f} times when "
                                f"unpacked (at most {max_ratio:,.0f} is accepted): the file looks "
                                "built to exhaust the server (a zip bomb)")
        total += member.file_size
    if total > max_uncompressed:
        raise UploadRefused(name, f"once unpacked the file would hold {megabytes(total)}, more "
                            f"than the {megabytes(max_uncompressed)} an upload may hold")
    return members


def member_chunks(archive: zipfile.ZipFile, member: zipfile.ZipInfo
                  ) -> Generator[bytes, None, None]:
    """The inflated bytes of a member, chunk by chunk; a member whose data does not match the
    directory (a size that lies, a bad checksum) is refused."""
    try:
        with archive.open(member) as handle:
            # zipfile stops at the size the directory gives and checks the CRC at the end: a
            # member that lies about its size fails here instead of inflating further.
            yield from iter(lambda: handle.read(_CHUNK), b"")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise UploadRefused(Path(str(archive.filename)).name,
                            f"`{member.filename}` is damaged ({exc})") from None


def member_bytes(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    return b"".join(member_chunks(archive, member))


def megabytes(size: int) -> str:
    """A size as people read it: 61 MB."""
    return f"{size / (1024 * 1024):,.0f} MB"
