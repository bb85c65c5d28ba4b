"""Server-drawn charts: well-formed SVG named by its title, with the figures as a table for
those who do not see it, its texts escaped and numbers in the page's language."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from headcount.web.charts import Series, bar_chart, nice_ceiling
from headcount.web.i18n import use_locale

SVG = "{http://www.w3.org/2000/svg}"


def test_the_chart_is_well_formed_svg_with_a_title_and_a_table() -> None:
    figure = str(bar_chart("c1", "Joiners & leavers", ["1 Nov", "8 Nov"],
                           [Series("Joiners", [3, 1200]), Series("<Leavers>", [0, 2])],
                           "Week of"))
    root = ET.fromstring(figure)  # the whole figure is XML: the SVG and its table
    assert root.tag == "figure"
    svg = root.find(f"{SVG}svg")
    assert svg is not None
    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title")
    assert title is not None
    assert title.text == "Joiners & leavers"
    assert svg.get("aria-labelledby") == title.get("id") == "c1-title"
    bars = [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 4
    assert [ET.tostring(b, encoding="unicode", method="text") for b in bars][1] \
        == "<Leavers>, 1 Nov: 0"
    # Colours come from the page: the text's colour, or the palette's variables.
    assert svg.get("fill") == "currentColor"
    table = root.find("details/div/table")
    assert table is not None
    assert [th.text for th in table.iter("th")][:3] == ["Week of", "Joiners", "<Leavers>"]
    assert [td.text for td in table.iter("td")] == ["3", "0", "1,200", "2"]


def test_numbers_follow_the_language() -> None:
    with use_locale("fr"):
        figure = str(bar_chart("c2", "Arrivées", ["1 nov."], [Series("Arrivées", [1200])],
                               "Semaine du"))
    assert "1\u202f200" in figure


def test_the_axis_ends_on_a_round_number() -> None:
    assert nice_ceiling(0) == (4, 1)
    assert nice_ceiling(3) == (3, 1)
    assert nice_ceiling(6) == (6, 2)
    assert nice_ceiling(37) == (40, 10)
    assert nice_ceiling(1200) == (1500, 500)
