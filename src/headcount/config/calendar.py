"""Holiday calendars (issue 9, SPEC §7.3): the days a site works, for deadlines counted in
business days — a weekend, a country's public holidays (from the `holidays` package), the days
off and extra working days a company declares — and which sites use each calendar."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, field_validator

from headcount.config.base import ConfigModel, Identifier

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _saturday_and_sunday() -> list[Weekday]:
    return ["sat", "sun"]


class CalendarSpec(ConfigModel):
    """One calendar of the `calendars:` section."""

    identifier: Identifier
    country: str | None = Field(
        None, description="ISO 3166-1 code of the country whose public holidays are days off "
                          "(FR, JP, US…), as the `holidays` package knows them; none: only the "
                          "declared holidays.")
    subdivision: str | None = Field(
        None, description="A subdivision of `country` with holidays of its own: a state, a "
                          "region (US: CA; DE: BY; FR: 6AE or Alsace).")
    weekend: list[Weekday] = Field(
        default_factory=_saturday_and_sunday,
        description="Days of the week that are not worked: mon, tue, wed, thu, fri, sat, sun.")
    holidays: list[date] = Field(
        default_factory=list, description="More days off (YYYY-MM-DD): company holidays, "
                                          "bridges.")
    working_days: list[date] = Field(
        default_factory=list, description="Days worked although they fall on the weekend or a "
                                          "holiday (YYYY-MM-DD).")
    sites: dict[str, str | list[str]] = Field(
        default_factory=dict, description="The sites that use this calendar: site property → "
                                          "the value, or the list of values, it has (case is "
                                          "ignored), e.g. {Country: [France, FR]}.")
    default: bool = Field(False, description="The calendar of the sites no calendar picks.")

    @property
    def country_code(self) -> str | None:
        """`country` as the `holidays` package knows it: fr is FR."""
        return self.country.strip().upper() if self.country else None

    @field_validator("country", "subdivision", mode="before")
    @classmethod
    def _code_not_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("YAML reads NO, ON, OFF, YES as true or false: quote the code "
                             '("NO" for Norway, "ON" for Ontario)')
        return value

    @field_validator("weekend", mode="before")
    @classmethod
    def _weekdays_ignore_case(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [v.strip().lower() if isinstance(v, str) else v for v in value]
        return value
