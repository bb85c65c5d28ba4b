"""What the inbound SCIM service of one pushed connector declares (RFC 7643 §5, §6): the Users
resource type with the attributes the connection reads — of the core User (with userName,
which SCIM requires), of the enterprise extension, and of one extension per other schema URN
its attribute paths name. Each is typed as its property reads it: an integer or a boolean as
such, an enum with its values as canonical values, a date with an example; the mapping key is
required. PATCH, bulk (the connection's `max_operations` and `max_payload_bytes`), filter, sort
and ETags are supported; there are no Groups (HR sends people)."""

from __future__ import annotations

import re
from typing import Any, Union, cast

from scim2_models import (
    Attribute,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Extension,
    Filter,
    Pagination,
    Patch,
    Required,
    Resource,
    ResourceType,
    Schema,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

from headcount.config.model import Property, PropertyType
from headcount.config.pushed import CORE_USER, ENTERPRISE_USER, AttributePath
from headcount.pushed import PushTarget
from headcount.scim.service import DEFAULT_PAGE, MAX_RESULTS

DOCUMENTATION = "https://github.com/headcount-iam/headcount/blob/main/docs/scim.md"
# Sub-attributes that pick or describe an element (RFC 7643 §2.4): a push reads none of them as
# a value of its own, so they are kept beside the sub-attributes read.
_SELECTORS = frozenset({"type", "primary", "display", "$ref", "displayname"})
# An example of the text each typed property reads, for clients (and scim2-tester) to follow.
_EXAMPLES = {PropertyType.DATE: ["2024-05-01"], PropertyType.DATETIME: ["2024-05-01T09:00:00Z"],
             PropertyType.DECIMAL: ["1.5"]}


def inbound_provider(target: PushTarget) -> tuple[ScimProvider, type[Resource[Any]]]:
    """The provider of `target`'s service, and its User model (extensions bound)."""
    described = _Described(target)
    core = Resource.from_schema(described.restricted(User.to_schema(), None))
    extensions: list[type[Extension]] = [Extension.from_schema(described.restricted(
        EnterpriseUser.to_schema(), ENTERPRISE_USER))]
    extensions += [Extension.from_schema(schema) for schema in described.custom()]
    # The extensions are known at run time only: a Union built from their tuple.
    model = cast(type[Resource[Any]], core[Union[tuple(extensions)]])  # type: ignore[index]  # noqa: UP007
    resource_type = ResourceType.from_resource(model)
    resource_type.description = (f"The people of connector {target.connector.identifier}, "
                                 f"as connection {target.connection.identifier} reads them")
    key = described.key
    for extension in resource_type.schema_extensions or []:
        # The extension holding the mapping key is needed in every User.
        extension.required = key.schema is not None and \
            str(extension.schema_).lower() == key.schema.lower()
    connection = target.connection
    config = ServiceProviderConfig(
        documentation_uri=DOCUMENTATION,
        patch=Patch(supported=True),
        bulk=Bulk(supported=True, max_operations=connection.max_operations,
                  max_payload_size=connection.max_payload_bytes),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        pagination=Pagination(cursor=False, index=True, default_page_size=DEFAULT_PAGE,
                              max_page_size=MAX_RESULTS),
        authentication_schemes=[AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken, name="Service token",
            description=f"A headcount service token with the scope scim on connector "
                        f"{target.connector.identifier} (`headcount token create`), as "
                        "`Authorization: Bearer hcs_…`",
            primary=True)],
    )
    return ScimProvider(models=[core, *extensions], resource_types=[resource_type],
                        config=config), model


class _Described:
    """The attributes `target`'s connection reads, by their coarse path, with the property
    each feeds."""

    def __init__(self, target: PushTarget) -> None:
        self.target = target
        self.paths = target.connection.paths()
        self.read = {p.coarse for p in self.paths.values()}
        self.types: dict[str, Property] = {self.paths[c].coarse: prop
                                           for c, prop in target.typed.items()
                                           if c in self.paths}
        self.key: AttributePath = self.paths[target.key_column]

    def restricted(self, schema: Schema, urn: str | None) -> Schema:
        """`schema` with the attributes the connection reads (the core's userName always)."""
        prefix = f"{urn.lower()}:" if urn else ""
        kept = []
        for attribute in schema.attributes or []:
            whole = prefix + _name(attribute)
            if attribute.sub_attributes:
                subs = [s for s in attribute.sub_attributes
                        if f"{whole}.{_name(s)}" in self.read]
                if not subs:
                    continue
                subs += [s for s in attribute.sub_attributes
                         if _name(s) in _SELECTORS and s not in subs]
                attribute = attribute.model_copy(update={"sub_attributes": [
                    self._typed(s, f"{whole}.{_name(s)}") for s in subs]})
            elif whole not in self.read and not (urn is None and whole == "username"):
                continue
            kept.append(self._typed(attribute, whole))
        return schema.model_copy(update={"attributes": kept})

    def custom(self) -> list[Schema]:
        """A schema per URN the paths name, other than the core User and the enterprise
        extension."""
        by_urn: dict[str, list[AttributePath]] = {}
        for path in self.paths.values():
            if path.schema is not None and path.schema.lower() not in (
                    ENTERPRISE_USER.lower(), CORE_USER.lower()):
                by_urn.setdefault(path.schema, []).append(path)
        name = re.sub(r"\W", "", self.target.connection.identifier)
        out = []
        for number, (urn, paths) in enumerate(sorted(by_urn.items()), start=1):
            out.append(Schema(
                id=urn, name=f"{name}Extension" + (str(number) if len(by_urn) > 1 else ""),
                description=f"What connection {self.target.connection.identifier} reads "
                            f"from {urn}",
                attributes=self._attributes(urn, paths)))
        return out

    def _attributes(self, urn: str, paths: list[AttributePath]) -> list[Attribute]:
        grouped: dict[str, list[AttributePath]] = {}
        for path in paths:
            grouped.setdefault(path.name, []).append(path)
        out = []
        for name, same in grouped.items():
            whole = f"{urn.lower()}:{name.lower()}"
            subs = sorted({p.sub for p in same if p.sub is not None}
                          | {p.filter_field for p in same if p.filter_field is not None})
            if not subs:
                out.append(self._typed(Attribute(
                    name=name, type=Attribute.Type.string, multi_valued=False), whole))
                continue
            out.append(self._typed(Attribute(
                name=name, type=Attribute.Type.complex,
                multi_valued=any(p.filter_field is not None for p in same),
                sub_attributes=[self._typed(Attribute(
                    name=sub, type=Attribute.Type.string, multi_valued=False),
                    f"{whole}.{sub.lower()}") for sub in subs]), whole))
        return out

    def _typed(self, attribute: Attribute, whole: str) -> Attribute:
        """`attribute` as the property it feeds reads it; required when it is the key."""
        changes: dict[str, Any] = {}
        prop = self.types.get(whole)
        if prop is not None and attribute.type is Attribute.Type.string:
            if prop.type is PropertyType.INT:
                changes["type"] = Attribute.Type.integer
            elif prop.type is PropertyType.BOOL:
                changes["type"] = Attribute.Type.boolean
            elif prop.type is PropertyType.ENUM and prop.values:
                changes["canonical_values"] = list(prop.values)
            elif prop.type in _EXAMPLES:
                changes["canonical_values"] = _EXAMPLES[prop.type]
            if prop.type is not PropertyType.STRING:
                changes["description"] = f"Read as {prop.type.value} by property " \
                                         f"{prop.identifier}"
        if whole == self.key.coarse or self.key.coarse.startswith(f"{whole}."):
            changes["required"] = Required.true
        return attribute.model_copy(update=changes) if changes else attribute


def _name(attribute: Attribute) -> str:
    return (attribute.name or "").lower()
