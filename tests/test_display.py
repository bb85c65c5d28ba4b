"""How values read in the terminal and the pages: an empty value is `—`, never `None`."""

from __future__ import annotations

import json

import pytest

from headcount.display import EMPTY, changed_values, shown


@pytest.mark.parametrize(("value", "text"), [
    (None, EMPTY), ("", EMPTY), ([], EMPTY), (["E1", None], f"E1, {EMPTY}"),
    (0, "0"), (False, "False"), ("  ", "  "), ("Zoë", "Zoë"),
    ({"Site": "PAR", "From": None}, f"Site: PAR; From: {EMPTY}"), ({}, EMPTY),
])
def test_shown(value: object, text: str) -> None:
    assert shown(value) == text


def test_changed_values_of_an_update_and_an_insert() -> None:
    update = json.dumps({"ContractEndDate": [None, "2026-12-24"], "Title": ["A", ""]})
    assert changed_values("update", update) == [
        ("ContractEndDate", f"{EMPTY} → 2026-12-24"), ("Title", f"A → {EMPTY}")]
    insert = json.dumps({"EmployeeId": "E1", "BirthName": None})
    assert changed_values("insert", insert) == [("EmployeeId", "E1"), ("BirthName", EMPTY)]
    assert changed_values("link_insert", None) == []
