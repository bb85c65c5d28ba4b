"""What the inbound SCIM service of one pushed connector declares (RFC 7643 §5, §6): the Users
resource type with the enterprise extension and one extension per other schema URN the
connection's attribute paths name (its attributes as strings, as the push reads them); PATCH,
bulk (the connection's `max_operations` and `max_payload_bytes`), filter, sort and ETags
supported; no Groups (HR sends people)."""

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
    Resource,
    ResourceType,
    Schema,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

from headcount.config.pushed import ENTERPRISE_USER, AttributePath
from headcount.pushed import PushTarget
from headcount.scim.service import DEFAULT_PAGE, MAX_RESULTS

DOCUMENTATION = "https://github.com/headcount-iam/headcount/blob/main/docs/scim.md"


def inbound_provider(target: PushTarget) -> tuple[ScimProvider, type[Resource[Any]]]:
    """The provider of `target`'s service, and its User model (extensions bound)."""
    connection = target.connection
    extensions: list[type[Extension]] = [EnterpriseUser, *_custom(target)]
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
    # The extensions are known at run time only: a Union built from their tuple.
    model = cast(type[Resource[Any]], User[Union[tuple(extensions)]])  # type: ignore[misc]  # noqa: UP007
    resource_type = ResourceType.from_resource(model)
    return ScimProvider(models=[User, *extensions], resource_types=[resource_type],
                        config=config), model


def _custom(target: PushTarget) -> list[type[Extension]]:
    """An extension per schema URN the attribute paths name, other than the core User and the
    enterprise extension."""
    by_schema: dict[str, list[AttributePath]] = {}
    for path in target.connection.paths().values():
        if path.schema is not None and path.schema.lower() != ENTERPRISE_USER.lower():
            by_schema.setdefault(path.schema, []).append(path)
    out: list[type[Extension]] = []
    for number, (urn, paths) in enumerate(sorted(by_schema.items()), start=1):
        name = re.sub(r"\W", "", target.connection.identifier) + \
            ("Extension" if len(by_schema) == 1 else f"Extension{number}")
        schema = Schema(id=urn, name=name, description=(
            f"The attributes connection {target.connection.identifier} reads from {urn}"),
            attributes=_attributes(paths))
        out.append(Extension.from_schema(schema))
    return out


def _attributes(paths: list[AttributePath]) -> list[Attribute]:
    """An attribute per name: a string, or a complex one with the sub-attributes read (and
    multi-valued with its selector when a path filters its elements)."""
    grouped: dict[str, list[AttributePath]] = {}
    for path in paths:
        grouped.setdefault(path.name, []).append(path)
    out = []
    for name, same in grouped.items():
        subs = sorted({p.sub for p in same if p.sub is not None}
                      | {p.filter_field for p in same if p.filter_field is not None})
        if not subs:
            out.append(Attribute(name=name, type=Attribute.Type.string, multi_valued=False,
                                 description=f"Read by the column of `{same[0].text}`"))
            continue
        out.append(Attribute(
            name=name, type=Attribute.Type.complex,
            multi_valued=any(p.filter_field is not None for p in same),
            description=f"Read by the columns of {', '.join(f'`{p.text}`' for p in same)}",
            sub_attributes=[Attribute(name=sub, type=Attribute.Type.string,
                                      multi_valued=False) for sub in subs]))
    return out
