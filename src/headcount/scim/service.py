"""What the read-only identity view declares (RFC 7643 §5, §6) and how it refuses writes: the
Users resource type with the enterprise extension; filter, sort and ETags supported, paging by
index; PATCH, bulk and password changes not."""

from __future__ import annotations

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    ForbiddenException,
    Pagination,
    Patch,
    ResourceType,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)
from scim2_server.requests import ScimRequest
from scim2_server.routing import Operation, Target
from scim2_server.service import ScimService

# The largest page a client can ask for, and the page it gets without asking.
MAX_RESULTS = 1000
DEFAULT_PAGE = 100
READ_ONLY = ("the identity view is read-only: identities come from HR through "
             "synchronization")
_WRITES = frozenset({Operation.create, Operation.replace, Operation.delete})


def provider() -> ScimProvider:
    config = ServiceProviderConfig(
        documentation_uri="https://github.com/headcount-iam/headcount/blob/main/docs/scim.md",
        patch=Patch(supported=False),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        pagination=Pagination(cursor=False, index=True, default_page_size=DEFAULT_PAGE,
                              max_page_size=MAX_RESULTS),
        authentication_schemes=[AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken, name="Service token",
            description="A headcount service token with the scope identities:read "
                        "(`headcount token create`), as `Authorization: Bearer hcs_…`",
            primary=True)],
    )
    return ScimProvider(models=[User, EnterpriseUser],
                        resource_types=[ResourceType.from_resource(User[EnterpriseUser])],
                        config=config)


class ReadOnlyService(ScimService):
    """Refuses creating, replacing and deleting with 403 (RFC 7644 §3.12: the operation is
    not permitted); PATCH and /Bulk get the 501 of an operation the configuration declares
    unsupported."""

    def authorize(self, request: ScimRequest, target: Target,
                  resource_type: ResourceType) -> None:
        if target.operation in _WRITES:
            raise ForbiddenException(detail=READ_ONLY)
