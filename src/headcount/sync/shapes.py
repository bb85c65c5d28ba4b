"""Value shapes of a column (SPEC §4.4: "a column whose values no longer look like before"):
the share of values that look like dates, numbers, e-mail addresses or words. A swapped column
keeps its header but changes its shape."""

from __future__ import annotations

import polars as pl

SHAPES: dict[str, str] = {
    "date": r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T].*)?$",
    "number": r"^[+-]?\d+([.,]\d+)?$",
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "code": r"^[A-Za-z]{0,4}[-_]?\d+$",
    "text": r"^[^\d@]*$",
}
DOMINANT = 0.8  # a column has a shape when this share of its values has it
DROPPED = 0.5  # and loses it when fewer than this share keep it


def profile(frame: pl.DataFrame, columns: list[str], sample: int = 10_000
            ) -> dict[str, dict[str, float]]:
    """For each column, the share of non-empty values having each shape (on a sample)."""
    if frame.height > sample:
        frame = frame.gather_every(max(1, frame.height // sample))
    out: dict[str, dict[str, float]] = {}
    for column in columns:
        if column not in frame.columns:
            continue
        values = frame.get_column(column).drop_nulls().str.strip_chars()
        n = values.len()
        if n == 0:
            continue
        out[column] = {name: round(float(values.str.contains(rx).sum()) / n, 3)
                       for name, rx in SHAPES.items()}
    return out


def drifted(before: dict[str, dict[str, float]], now: dict[str, dict[str, float]]
            ) -> list[str]:
    """Columns whose dominant shape was lost, described for a person."""
    out: list[str] = []
    for column, shares in before.items():
        if column not in now:
            continue
        for shape, share in shares.items():
            current = now[column].get(shape, 0.0)
            if share >= DOMINANT and current < DROPPED:
                instead = max(now[column].items(), key=lambda kv: kv[1])
                out.append(f"column `{column}`: {share:.0%} of values looked like {shape}, now "
                           f"{current:.0%} (most look like {instead[0]})")
                break
    return out
