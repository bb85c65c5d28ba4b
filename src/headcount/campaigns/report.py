"""A campaign's report, CSV or XLSX: one line per item and decision (an item decided at two
stages has two lines; one nobody decided, one line without a decision), each with what it is
about, the values and provenance of both sides, and what was applied. Cells that a spreadsheet
would run as a formula are neutralised."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
import xlsxwriter

from headcount.campaigns import store
from headcount.cells import formula_safe
from headcount.repository.schema import campaign_decisions, campaign_items

COLUMNS = ["campaign", "item", "finding", "subject_type", "subject_key", "subject", "property",
           "repository_value", "hr_value", "repository_provenance", "hr_provenance", "stage",
           "reviewer", "state", "decision", "comment", "decided_by", "decided_at",
           "forwarded_to", "seconds", "expires_on", "applied"]


def lines(conn: sa.Connection, campaign_id: int) -> Iterator[list[str]]:
    store.get(conn, campaign_id)  # NotFound for an unknown campaign
    i, d = campaign_items.c, campaign_decisions.c
    query = (sa.select(campaign_items, d.stage.label("d_stage"), d.actor, d.at, d.decision
                       .label("d_decision"), d.comment.label("d_comment"), d.forwarded_to)
             .outerjoin(campaign_decisions, d.item_id == i.id)
             .where(i.campaign_id == campaign_id).order_by(i.id, d.id))
    for row in conn.execute(query):
        details: dict[str, Any] = json.loads(row.details or "{}")
        decided = row.actor is not None
        yield [formula_safe(v) for v in (
            campaign_id, row.id, row.finding, row.subject_type, row.subject_key, row.label,
            row.property, _text(details.get("repository")), _text(details.get("hr")),
            details.get("repository_provenance"), details.get("hr_provenance"),
            (row.d_stage if decided else row.stage) + 1, row.reviewer, row.state,
            row.d_decision if decided else row.decision,
            row.d_comment if decided else row.comment,
            row.actor if decided else row.decided_by,
            (row.at if decided else row.decided_at) or "", row.forwarded_to,
            row.seconds if decided and row.d_decision == row.decision else "",
            row.expires_on, row.applied)]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def as_csv(conn: sa.Connection, campaign_id: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(lines(conn, campaign_id))
    return out.getvalue()


def as_xlsx(conn: sa.Connection, campaign_id: int) -> bytes:
    out = io.BytesIO()
    # Strings stay strings: no formula, number or URL is guessed from a cell's text.
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet(f"campaign {campaign_id}")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, COLUMNS, bold)
    for number, line in enumerate(lines(conn, campaign_id), 1):
        sheet.write_row(number, 0, line)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
