"""What an agent sends: each connection's `SourceTable` as exported next to the files — its frame
in Arrow IPC (typed, self-describing, read by polars without parsing) and the rest (file info,
header, rejected and spanning rows, warnings) in a JSON manifest — all in one zip archive."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import polars as pl

from headcount.connections.reader import RejectedRow, SourceFile, SourceTable, SpanningRecord
from headcount.errors import HeadcountError

MANIFEST = "manifest.json"
FORMAT = "headcount-delivery/1"


class BundleError(HeadcountError):
    """A delivery that cannot be read back: not ours, or damaged."""


def pack(tables: dict[str, SourceTable], connector: str, mode: str | None) -> bytes:
    """The archive of `tables` (connection identifier → table)."""
    manifest: dict[str, Any] = {"format": FORMAT, "connector": connector, "mode": mode,
                                "tables": {}}
    out = io.BytesIO()
    # Stored, not deflated: the frames are compressed by Arrow IPC already (lz4).
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for n, (cid, table) in enumerate(tables.items()):
            member = f"table-{n}.arrow"
            frame = io.BytesIO()
            table.frame.write_ipc(frame, compression="lz4")
            archive.writestr(member, frame.getvalue())
            manifest["tables"][cid] = {
                "member": member,
                "file": {"connection": table.file.connection, "path": str(table.file.path),
                         "is_path": isinstance(table.file.path, Path),
                         "size": table.file.size, "checksum": table.file.checksum,
                         "rows": table.file.rows, "encoding": table.file.encoding},
                "header": table.header, "header_line": table.header_line,
                "warnings": table.warnings,
                "rejected": [asdict(r) for r in table.rejected],
                "spanning": [asdict(s) for s in table.spanning],
            }
        archive.writestr(MANIFEST, json.dumps(manifest))
    return out.getvalue()


def unpack(data: bytes) -> tuple[dict[str, Any], dict[str, SourceTable]]:
    """The manifest and the tables of an archive made by `pack`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            if manifest.get("format") != FORMAT:
                raise BundleError(f"a delivery in format {manifest.get('format')!r}; this "
                                  f"server reads {FORMAT}")
            tables = {cid: _table(archive, entry)
                      for cid, entry in manifest["tables"].items()}
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BundleError(f"the delivery cannot be read: {exc}") from exc
    return manifest, tables


def _table(archive: zipfile.ZipFile, entry: dict[str, Any]) -> SourceTable:
    f = entry["file"]
    source = SourceFile(connection=f["connection"],
                        path=Path(f["path"]) if f["is_path"] else f["path"], size=f["size"],
                        checksum=f["checksum"], rows=f["rows"], encoding=f["encoding"])
    frame = pl.read_ipc(io.BytesIO(archive.read(entry["member"])))
    return SourceTable(file=source, header=list(entry["header"]), frame=frame,
                       rejected=[RejectedRow(**r) for r in entry["rejected"]],
                       warnings=list(entry["warnings"]), header_line=entry["header_line"],
                       spanning=[SpanningRecord(**s) for s in entry["spanning"]])
