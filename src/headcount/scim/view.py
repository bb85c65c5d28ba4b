"""The read-only identity view: Users read from the repository, one query per page — the
identity, its mapped values (through its current record and that record's links), its
creation and last change — as scim2-models Users with the enterprise extension."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from scim2_models import (
    Email,
    EnterpriseUser,
    InvalidPathException,
    Manager,
    Meta,
    Name,
    NotFoundException,
    PhoneNumber,
    SearchRequest,
    User,
)
from scim2_models.path import AttrPath

from headcount.config.model import Project
from headcount.scim.filters import order, where
from headcount.scim.mapping import Mapping, resolve
from headcount.scim.query import UserQuery

ScimUser = User[EnterpriseUser]
# The core attributes that are plain strings, by their mapped name → the model's field.
_CORE_STRINGS = {"userName": "user_name", "externalId": "external_id",
                 "displayName": "display_name", "nickName": "nick_name", "title": "title",
                 "userType": "user_type", "preferredLanguage": "preferred_language",
                 "locale": "locale", "timezone": "timezone"}
_NAME_PARTS = {"name.givenName": "given_name", "name.familyName": "family_name",
               "name.formatted": "formatted"}
_ENTERPRISE_STRINGS = {"employeeNumber": "employee_number", "costCenter": "cost_center",
                       "organization": "organization", "division": "division",
                       "department": "department"}


class IdentityView:
    """Reads Users for one deployed project; `today` dates the current records (UTC)."""

    def __init__(self, project: Project, dialect: str,
                 today: Callable[[], date] = lambda: datetime.now(UTC).date()) -> None:
        self.mapping: Mapping | None
        self.mapping, self.problems = resolve(project, project.scim.users)
        self.dialect = dialect
        self.today = today

    def get(self, conn: sa.Connection, user_id: str) -> ScimUser:
        if self.mapping is None:
            raise NotFoundException(detail=f"no User {user_id}")
        query = UserQuery(self.mapping, self.dialect, self.today())
        rows = self._rows(conn, query, [*query.base(), query.users.c.key == user_id],
                          [], 1, 0)
        if not rows:
            raise NotFoundException(detail=f"no User {user_id}")
        return rows[0]

    def search(self, conn: sa.Connection, request: SearchRequest[Any]
               ) -> tuple[int, list[ScimUser]]:
        """The number of Users the request's filter matches, and its page of them."""
        if self.mapping is None:
            return 0, []
        query = UserQuery(self.mapping, self.dialect, self.today())
        conditions = query.base()
        if request.filter is not None:
            conditions.append(where(query, request.filter.ast))
        total = int(conn.execute(sa.select(sa.func.count()).select_from(query.users)
                                 .where(*conditions)).scalar_one())
        count = request.count if request.count is not None else total
        start = max((request.start_index or 1) - 1, 0)
        if count == 0 or start >= total:
            return total, []
        sorts: list[sa.ColumnElement[Any]] = []
        if request.sort_by is not None:
            path = request.sort_by.ast
            if not isinstance(path, AttrPath):
                raise InvalidPathException(detail=f"sortBy `{request.sort_by}` names no "
                                                  "attribute")
            column = order(query, path)
            descending = request.sort_order == SearchRequest.SortOrder.descending
            sorts.append(column.desc() if descending else column.asc())
        sorts.append(query.users.c.key)
        return total, self._rows(conn, query, conditions, sorts, count, start)

    def _rows(self, conn: sa.Connection, query: UserQuery,
              conditions: list[sa.ColumnElement[bool]], sorts: list[sa.ColumnElement[Any]],
              limit: int, offset: int) -> list[ScimUser]:
        names = sorted(query.columns)
        selected: list[sa.ColumnElement[Any]] = [
            query.users.c.key, query.users.c.hash, query.created().label("created"),
            query.modified().label("modified"), query.modified_run().label("run"),
            query.active().label("active")]
        for index, name in enumerate(names):
            column = query.columns[name]
            selected.append(column.value.label(f"v{index}"))
            if column.key is not None:
                selected.append(column.key.label(f"k{index}"))
        statement = sa.select(*selected).select_from(query.users).where(*conditions) \
            .order_by(*sorts or [query.users.c.key]).limit(limit).offset(offset)
        users = []
        for row in conn.execute(statement).mappings():
            values = {name: (row[f"v{i}"], row.get(f"k{i}")) for i, name in enumerate(names)}
            users.append(_user(row, values))
        return users


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _user(row: sa.RowMapping, values: dict[str, tuple[Any, Any]]) -> ScimUser:
    def text(name: str) -> str | None:
        return _text(values[name][0]) if name in values else None

    user = ScimUser(id=row["key"], **{field: text(name) for name, field in _CORE_STRINGS.items()
                                      if text(name) is not None})
    if user.user_name is None:
        user.user_name = row["key"]  # userName is required: the key when the mapping has none
    parts = {field: text(name) for name, field in _NAME_PARTS.items() if text(name)}
    if parts:
        user.name = Name(**parts)
    if "active" in values:
        user.active = bool(row["active"])
    email = text("emails")
    if email is not None:
        # An HR value that is no e-mail address is not published as one.
        with contextlib.suppress(ValidationError):
            user.emails = [Email(value=email, type=Email.Type.work, primary=True)]
    phone = text("phoneNumbers")
    if phone is not None:
        user.phone_numbers = [PhoneNumber(value=phone, type=PhoneNumber.Type.work,
                                          primary=True)]
    enterprise = EnterpriseUser(**{field: text(name)
                                   for name, field in _ENTERPRISE_STRINGS.items()
                                   if text(name) is not None})
    if "manager" in values:
        shown, key = values["manager"]
        manager_id = _text(key) if key is not None else None
        if manager_id is not None:
            enterprise.manager = Manager(value=manager_id, ref=f"Users/{manager_id}",
                                         display_name=_text(shown))
    if enterprise.model_dump(exclude_none=True, exclude={"schemas"}):
        user[EnterpriseUser] = enterprise
    content = json.dumps([row["run"], row["hash"], {k: [_text(v) for v in pair]
                                                    for k, pair in values.items()}],
                         sort_keys=True, default=str)
    # The last run that changed it, and a digest of what is shown: a manager renamed changes
    # the representation without a run touching the identity.
    version = f'W/"{row["run"]}-{hashlib.sha256(content.encode()).hexdigest()[:16]}"'
    user.meta = Meta(resource_type="User", created=_instant(row["created"]),
                     last_modified=_instant(row["modified"]), version=version)
    return user
