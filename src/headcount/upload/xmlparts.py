"""The XML parts of a workbook, checked before any XML parser sees them: a document type
declaration is refused wherever it appears, so that no entity is ever defined, let alone resolved
(external entities read files of the server, nested ones exhaust its memory). Excel never writes
one."""

from __future__ import annotations

import codecs
from collections.abc import Iterable

_DECLARATIONS = (b"<!doctype", b"<!entity")
_OVERLAP = 16


def declares_entities(chunks: Iterable[bytes]) -> bool:
    """Whether the part (its bytes chunk by chunk) holds a DOCTYPE or ENTITY declaration, in
    UTF-8 or, for a part that starts like UTF-16, in UTF-16."""
    tail = b""
    decoder: codecs.IncrementalDecoder | None = None
    first = True
    for chunk in chunks:
        if first:
            first = False
            if chunk[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\x00", b"\x00<"):
                encoding = "utf-16-be" if chunk[:2] in (codecs.BOM_UTF16_BE, b"\x00<") \
                    else "utf-16-le"
                decoder = codecs.getincrementaldecoder(encoding)("replace")
        text = decoder.decode(chunk).encode("utf-8") if decoder else chunk
        window = (tail + text).lower()
        if any(declaration in window for declaration in _DECLARATIONS):
            return True
        tail = window[-_OVERLAP:]
    return False


def wide_encoded(start: bytes) -> bool:
    """Whether a part's first bytes hold a NUL: UTF-16 or UTF-32, with or without a byte order
    mark. Excel writes UTF-8; the declaration scan reads UTF-16 only when it starts with `<` or a
    mark, so any other wide part is refused."""
    return b"\x00" in start[:4]
