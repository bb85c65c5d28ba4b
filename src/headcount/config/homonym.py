"""Which properties of a creation workflow's subject name a person, for homonym detection
(SPEC §7.3): the same names, the names inverted, or the same birth date with a similar name."""

from __future__ import annotations

from pydantic import Field

from headcount.config.base import ConfigModel, Name


class Homonyms(ConfigModel):
    last_name: Name = Field(description="The property holding the last name.")
    first_name: Name = Field(description="The property holding the first name.")
    birth_date: Name | None = Field(
        None, description="The property holding the birth date: the same date with one name "
                          "in common is a homonym too.")
