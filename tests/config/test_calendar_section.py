"""The `calendars:` section: validated with file, line and "did you mean", documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from headcount.config.calendar import CalendarSpec
from headcount.config.loader import load_project_config
from headcount.errors import ConfigError

DOC = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text("utf-8")


def _project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "calendars.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project_config(_project(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_calendars_load_with_their_dates_and_sites(tmp_path: Path) -> None:
    project = load_project_config(_project(tmp_path, """calendars:
  - identifier: FR
    country: fr
    holidays: [2026-12-24]
    working_days: ["2026-05-25"]
    sites: {Country: [France, FR]}
    default: true
  - identifier: IL
    country: IL
    weekend: [Fri, SAT]
  - {identifier: JP, country: jpn}
"""))
    fr, il, jp = project.calendars
    assert jp.country_code == "JPN"  # the `holidays` package knows alpha-3 codes too
    assert fr.country_code == "FR"
    assert [d.isoformat() for d in fr.holidays] == ["2026-12-24"]
    assert [d.isoformat() for d in fr.working_days] == ["2026-05-25"]
    assert fr.sites == {"Country": ["France", "FR"]}
    assert fr.default
    assert not il.default
    assert fr.weekend == ["sat", "sun"]
    assert il.weekend == ["fri", "sat"]


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    section = DOC[DOC.index("## Calendars (`calendars:`)"):]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    project = load_project_config(_project(tmp_path, example.group(1)))
    assert [c.identifier for c in project.calendars] == ["FR-Alsace", "FR", "JP", "IL"]


@pytest.mark.parametrize(("written", "meant"), [("France", "FR"), ("Japan", "JP"),
                                                ("Germny", "DE"), ("United States", "US")])
def test_an_unknown_country_names_its_line_and_the_code_meant(
        tmp_path: Path, written: str, meant: str) -> None:
    errors = _errors(tmp_path, f"calendars:\n  - identifier: C\n    country: {written}\n")
    assert errors == [f"{tmp_path}/config/calendars.yaml, line 3, column 5: calendars[0].country: "
                      f"unknown country code `{written}` (ISO 3166-1 alpha-2 or alpha-3, as the "
                      f"`holidays` package knows them) — did you mean `{meant}`?"]


def test_an_unknown_subdivision_suggests_the_closest_or_lists_the_codes(tmp_path: Path) -> None:
    errors = _errors(tmp_path, """calendars:
  - {identifier: A, country: FR, subdivision: Alsac}
  - {identifier: B, country: DE, subdivision: BYY}
  - {identifier: C, country: JP, subdivision: Tokyo}
  - {identifier: D, country: DE, subdivision: QQQQQQ}
  - {identifier: E, subdivision: CA}
""")
    assert [e.split(": ", 2)[1:] for e in errors] == [
        ["calendars[0].subdivision", "unknown subdivision `Alsac` of `FR` — did you mean "
                                     "`Alsace`?"],
        ["calendars[1].subdivision", "unknown subdivision `BYY` of `DE` — did you mean `BY`?"],
        ["calendars[2].subdivision", "`JP` has no subdivisions with holidays of their own"],
        ["calendars[3].subdivision", "unknown subdivision `QQQQQQ` of `DE` (the codes are: "
                                     "Augsburg, BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, RP, SH, "
                                     "SL, SN, ST, TH)"],
        ["calendars[4].subdivision", "a subdivision needs its `country`"],
    ]
    assert all(", line " in e for e in errors)


def test_impossible_calendars_are_refused_where_they_are_written(tmp_path: Path) -> None:
    errors = _errors(tmp_path, """calendars:
  - identifier: FR
    country: FR
    weekend: [mon, tue, wed, thu, fri, sat, sun]
    holidays: [2026-12-24, 2026-12-31]
    working_days: [2026-12-31]
    sites: {Country: []}
    default: true
  - identifier: fr
    default: true
  - identifier: Norway
    country: NO
    weekend: [saturday]
""")
    where = [e.split(": ", 1)[0].rsplit("/", 1)[1] for e in errors]
    what = [e.split(": ", 1)[1] for e in errors]
    assert what == [
        "calendars[0].weekend: every day of the week is a weekend day: keep one to work",
        "calendars[0].working_days[0]: 2026-12-31 is declared both a holiday and a working day",
        "calendars[0].sites.Country: no value of `Country` picks this calendar",
        "calendars[1].identifier: calendar `fr` is declared twice (identifiers ignore case)",
        "calendars[1].default: calendar `FR` is already the default (a project has one default "
        "calendar)",
        'calendars[2].country: YAML reads NO, ON, OFF, YES as true or false: quote the code '
        '("NO" for Norway, "ON" for Ontario)',
        "calendars[2].weekend[0]: Input should be 'mon', 'tue', 'wed', 'thu', 'fri', 'sat' or "
        "'sun'",
    ]
    assert where == ["calendars.yaml, line 4, column 5", "calendars.yaml, line 6, column 20",
                     "calendars.yaml, line 7, column 13", "calendars.yaml, line 9, column 5",
                     "calendars.yaml, line 10, column 5", "calendars.yaml, line 12, column 5",
                     "calendars.yaml, line 13, column 15"]


def test_an_unknown_calendar_setting_suggests_the_right_one(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "calendars:\n  - identifier: FR\n    holiday: [2026-12-24]\n")
    assert errors == [f"{tmp_path}/config/calendars.yaml, line 3, column 5: "
                      "calendars[0].holiday: unknown setting `holiday` — did you mean "
                      "`holidays`?"]


def test_calendars_are_checked_beside_a_broken_connector(tmp_path: Path) -> None:
    errors = _errors(tmp_path, """connectors:
  - identifier: HR
    bogus: 1
calendars:
  - {identifier: FR, country: Frence}
""")
    assert [e.split(": ", 2)[1] for e in errors] == ["connectors[0].bogus",
                                                     "calendars[0].country"]


def test_every_calendar_setting_is_documented() -> None:
    section = DOC[DOC.index("## Calendars (`calendars:`)"):]
    missing = [name for name in CalendarSpec.model_fields if f"`{name}`" not in section]
    assert not missing, f"undocumented calendar settings {missing}"
