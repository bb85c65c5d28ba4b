"""The tabs of an upload workbook: names Excel accepts, and the connector an upload fills."""

from __future__ import annotations

import pytest

from headcount.config.model import Project
from headcount.errors import NotFound
from headcount.upload.columns import tab_names, upload_connector


def test_tab_names_excel_accepts() -> None:
    names = tab_names(["Identity", "A/B: [contracts]?", "x" * 40, "x" * 40, "lists", "IDENTITY",
                       "'quoted'", "***"])
    assert names == ["Identity", "A-B- -contracts--", "x" * 31, "x" * 27 + " (2)",
                     "lists (2)", "IDENTITY (2)", "quoted", "---"]
    assert all(len(name) <= 31 for name in names)


def test_a_project_without_identities_has_nothing_to_upload_into() -> None:
    with pytest.raises(NotFound, match="no resource type targets"):
        upload_connector(Project())
