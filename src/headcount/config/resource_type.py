"""Resource types (SPEC §6.1): the rules that link a source entity type (HR_Person) to a target
entity type of the identity repository (Directory_User, Directory_UserRecord) — which sources get
a target, how an existing target is found, and how each target value is computed."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from headcount.config.base import ConfigModel, Identifier, Name

Binding = str  # a property of the source, or a dotted path through its navigations
Normalisation = Literal["case", "diacritics", "whitespace"]


def _all_normalisations() -> list[Normalisation]:
    return ["case", "diacritics", "whitespace"]


class TypeRule(ConfigModel):
    """Sources whose values match every filter get a target. Several rules: any one suffices;
    none: every source."""

    filter: dict[str, str | list[str]] = Field(
        description="Source binding → the value, or the list of values, it must have.")


class CorrelationRule(ConfigModel):
    """How an existing target is recognised: these source bindings equal these target bindings,
    once normalised. Confidence 100 correlates at once; below, a person decides (a correlation
    case); rules are tried from the highest confidence down."""

    source: list[Binding] = Field(min_length=1)
    target: list[Binding] = Field(min_length=1)
    confidence: int = Field(100, ge=1, le=100)
    normalise: list[Normalisation] = Field(default_factory=_all_normalisations)

    @model_validator(mode="after")
    def _same_width(self) -> CorrelationRule:
        if len(self.source) != len(self.target):
            raise ValueError("`source` and `target` name as many bindings each")
        return self


class ScalarRule(ConfigModel):
    """A target property, from a source binding or an expression (docs/expressions.md)."""

    target: Name
    source: Binding | None = None
    expression: str | None = None
    when: Literal["always", "on_create"] = Field(
        "always", description="on_create: computed when the target is created, or while it "
                              "has no value (a login), never changed after.")
    compare: Literal["exact", "ignore_case", "ignore_diacritics"] = Field(
        "exact", description="How a computed value is compared with the current one.")
    unique: bool = Field(
        False, description="No two targets hold the same value (ignoring case), and no value "
                           "is issued twice: a homonym tries the alternatives, then gets a "
                           "number (jean.martin2).")
    alternatives: list[str] = Field(
        default_factory=list, description="Unique rules: expressions tried in order when the "
                                          "value is taken (more letters), before a number.")
    prefix: str | None = Field(
        None, description="Unique rules: an expression put before the value (per user type); "
                          "uniqueness ignores it.")
    suffix: str | None = Field(
        None, description="Unique rules: an expression put after the value (an e-mail "
                          "domain per subsidiary); uniqueness ignores it.")
    reserved: list[str] = Field(
        default_factory=list, description="Unique rules: values never issued (admin, root).")

    @model_validator(mode="after")
    def _one_origin(self) -> ScalarRule:
        if (self.source is None) == (self.expression is None):
            raise ValueError("give either `source` or `expression`")
        return self


class QueryRule(ConfigModel):
    """A target navigation: the resource of the navigation's entity type whose `match` binding
    equals the source's `source` binding (the record's Organization ← the Directory_Organization
    whose Identifier = HR Organization.Code)."""

    target: Name
    source: Binding
    match: Binding


class Validity(ConfigModel):
    """When a target is valid (SPEC §5, §8), from dates of its source read in the source's time
    zone: before `start`, pre-hire; after the end of `end` (inclusive), left. With `effective`,
    targets are dated records: a change that applies from a future date opens a new record from
    that date and ends the current one the day before; a source back after its record ended (a
    rehire) gets a new record too. The other targets of the source are kept as history."""

    start: Binding | None = Field(None, description="Source binding: the first valid day.")
    end: Binding | None = Field(None, description="Source binding: the last valid day.")
    timezone: Binding | None = Field(
        None, description="Source binding giving an IANA time zone (Site.TimeZone).")
    default_timezone: str = Field("UTC", description="When the source gives no time zone.")
    state: Name | None = Field(
        None, description="Target property receiving pre-hire, active or left.")
    start_property: Name | None = Field(None, description="Target property for the first day.")
    end_property: Name | None = Field(None, description="Target property for the last day.")
    effective: Binding | None = Field(
        None, description="Source binding: the day the source's current values apply from. "
                          "Turns the targets into dated records.")


class ResourceType(ConfigModel):
    identifier: Identifier
    source: Name = Field(description="The source entity type, e.g. HR_Person.")
    target: Name = Field(description="The target entity type, e.g. Directory_UserRecord.")
    owner: bool = Field(
        False, description="The source is an account entity type of a managed system and the "
                           "target Directory_User: the correlation rules only name each "
                           "account's owner (confidence 100; below, a correlation case); no "
                           "target is ever created, changed or deleted.")
    type_rules: list[TypeRule] = Field(default_factory=list)
    correlation: list[CorrelationRule] = Field(default_factory=list)
    scalars: list[ScalarRule] = Field(default_factory=list)
    queries: list[QueryRule] = Field(default_factory=list)
    allow_add: bool = Field(True, description="Targets may be created.")
    allow_remove: bool = Field(True, description="Targets whose source is gone are deleted.")
    remove_orphans: bool = Field(
        False, description="Targets that no source ever owned are deleted too.")
    discard_manual_changes: bool = Field(
        False, description="HR always wins: manual values are overwritten without review.")
    max_changes_pct: float = Field(
        30, ge=0, le=100, description="Provisioning threshold: orders beyond this share of the "
                                      "targets wait for approval.")
    threshold_min_orders: int = Field(
        10, ge=0, description="Below this many orders in a run, the provisioning threshold is "
                              "not checked.")
    approvals_required: bool = Field(False, description="Every order waits for an approval.")
    validity: Validity | None = None
    retention_days: int = Field(
        0, ge=0, description="A target whose source left a complete file is kept this many "
                             "days (marked left), then deleted; 0 deletes it at once.")
