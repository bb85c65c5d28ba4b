"""JSON lines for scripts (`application/x-ndjson`): one flat object per line whose keys are the
connection's column names — the same checks and storage as a bulk request, errors naming the
line."""

from __future__ import annotations

import json

from headcount.pushed.errors import PushRefused
from headcount.pushed.scim import AttributeProblem, text_of
from headcount.pushed.target import PushTarget
from headcount.pushed.validation import invalid_values
from headcount.repository.pushed import Operation


def read_lines(target: PushTarget, body: bytes) -> list[Operation]:
    """One operation per non-blank line, numbered by its line."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PushRefused(f"the body is not UTF-8 text: {exc}") from None
    lines = [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]
    if not lines:
        raise PushRefused("the body holds no record", 400, "invalidValue")
    limit = target.connection.max_operations
    if len(lines) > limit:
        raise PushRefused(f"{len(lines):,} records: at most {limit:,} per request", 413,
                          "tooMany")
    columns = list(target.connection.attributes)
    by_lower = {c.lower(): c for c in columns}
    rows: list[dict[str, str | None]] = []
    read: list[tuple[int, str | None]] = []
    for number, line in lines:
        row: dict[str, str | None] = dict.fromkeys(columns)
        reason = None
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            record, reason = None, f"line {number}: not JSON ({exc.msg})"
        if record is not None and not isinstance(record, dict):
            reason = f"line {number}: a record is a JSON object"
        elif isinstance(record, dict):
            unknown = [k for k in record if k.lower() not in by_lower]
            if unknown and target.connection.unknown_attributes == "reject":
                reason = f"line {number}: unknown column " + ", ".join(unknown)
            try:
                for k, v in record.items():
                    if k.lower() in by_lower:
                        row[by_lower[k.lower()]] = text_of(v, k)
            except AttributeProblem as problem:
                reason = f"line {number}: {problem}"
        rows.append(row)
        read.append((number, reason))
    checked = [i for i, (_, reason) in enumerate(read) if reason is None]
    problems = invalid_values(target, [rows[i] for i in checked], lambda c: f"column {c}")
    for position, i in enumerate(checked):
        if position in problems:
            read[i] = (read[i][0], f"line {read[i][0]}: {problems[position]}")
    return [Operation(number, None, row.get(target.key_column) if reason is None else None,
                      row if reason is None else None, reason)
            for (number, reason), row in zip(read, rows, strict=True)]
