"""SCIM filters (RFC 7644 §3.4.2.2) and sorts as SQL over the Users' column expressions: the
filter's tree, as scim2-models parses it, walked into one WHERE clause."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
from scim2_models import InvalidFilterException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from headcount.scim.query import Column, UserQuery

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
CORE = "urn:ietf:params:scim:schemas:core:2.0:user"
Kind = Literal["text", "exact", "key", "boolean", "instant"]

# (attribute, sub-attribute) in lower case → the mapped attribute holding its value.
_CORE_VALUES = {
    ("username", None): "userName", ("externalid", None): "externalId",
    ("displayname", None): "displayName", ("nickname", None): "nickName",
    ("title", None): "title", ("usertype", None): "userType",
    ("preferredlanguage", None): "preferredLanguage", ("locale", None): "locale",
    ("timezone", None): "timezone", ("name", "givenname"): "name.givenName",
    ("name", "familyname"): "name.familyName", ("name", "formatted"): "name.formatted",
    ("emails", None): "emails", ("emails", "value"): "emails",
    ("phonenumbers", None): "phoneNumbers", ("phonenumbers", "value"): "phoneNumbers",
}
_ENTERPRISE_VALUES = {
    ("employeenumber", None): "employeeNumber", ("costcenter", None): "costCenter",
    ("organization", None): "organization", ("division", None): "division",
    ("department", None): "department", ("manager", "displayname"): "manager",
}


@dataclass(frozen=True)
class Term:
    expression: sa.ColumnElement[Any]
    kind: Kind
    # The mapped attribute it reads (None: the key, meta, a constant) and, for `manager`,
    # whether it is the target's key rather than its name.
    attribute: str | None = None
    key: bool = False


class SqlFilter(FilterVisitor[sa.ColumnElement[bool]]):
    """One filter's WHERE clause over `query`'s columns."""

    def __init__(self, query: UserQuery) -> None:
        self.query = query
        self.prefix: AttrPath | None = None

    def visit_comparison(self, node: Comparison) -> sa.ColumnElement[bool]:
        term = self.term(node.attr_path)
        if term is None:
            return sa.false()  # an attribute without a value matches no comparison
        dialect = self.query.dialect
        if node.op is not CompareOperator.ne and node.value is not None:
            # A comparison that no missing value passes: tested on the records' side.
            joined = self._on_record(term, lambda t: _compare(t, node.op, node.value,
                                                              str(node), dialect))
            if joined is not None:
                return joined
        return _compare(term, node.op, node.value, str(node), dialect)

    def visit_present(self, node: Present) -> sa.ColumnElement[bool]:
        term = self.term(node.attr_path)
        if term is None:
            return sa.false()
        if term.kind == "boolean":
            return sa.true()
        if term.kind == "instant":
            return term.expression.is_not(None)
        joined = self._on_record(term, _present)
        return joined if joined is not None else _present(term)

    def _on_record(self, term: Term, test: Callable[[Term], sa.ColumnElement[bool]]
                   ) -> sa.ColumnElement[bool] | None:
        if term.attribute is None:
            return None
        path = self.query.mapping.attributes[term.attribute]

        def on(column: Column) -> sa.ColumnElement[bool]:
            chosen = column.key if term.key and column.key is not None else column.value
            return test(Term(chosen, term.kind))
        return self.query.on_current_record(path, on)

    def visit_not(self, node: Not) -> sa.ColumnElement[bool]:
        return sa.not_(self.visit(node.expr))

    def visit_logical_expr(self, node: LogicalExpr) -> sa.ColumnElement[bool]:
        terms = [self.visit(term) for term in node.terms]
        return sa.and_(*terms) if node.op is LogicalOperator.and_ else sa.or_(*terms)

    def visit_value_path(self, node: ValuePath) -> sa.ColumnElement[bool]:
        # emails[type eq "work" and value co "@example.com"]: the inner names are
        # sub-attributes of the outer one; each User has one value of each.
        outer, self.prefix = self.prefix, node.attr_path
        try:
            return self.visit(node.val_filter)
        finally:
            self.prefix = outer

    def term(self, path: AttrPath) -> Term | None:
        """The column an attribute path names; None for an attribute the mapping leaves
        without a value. An attribute the User schema does not have is refused."""
        if self.prefix is not None:
            path = AttrPath(self.prefix.attr, path.attr, self.prefix.uri)
        uri = path.uri.lower() if path.uri else None
        name = (path.attr.lower(), path.sub_attr.lower() if path.sub_attr else None)
        columns = self.query.columns
        if uri in (None, CORE):
            if name == ("id", None):
                return Term(self.query.users.c.key, "exact")
            if name == ("active", None):
                return Term(self.query.active(), "boolean") if "active" in columns else None
            if name == ("meta", "created"):
                return Term(self.query.created(), "instant")
            if name == ("meta", "lastmodified"):
                return Term(self.query.modified(), "instant")
            if name == ("meta", "resourcetype"):
                return Term(sa.literal("User"), "exact")
            if name[0] in ("emails", "phonenumbers") and name[1] in ("type", "primary"):
                if _CORE_VALUES[(name[0], None)] not in columns:
                    return None
                return Term(sa.literal("work"), "text") if name[1] == "type" \
                    else Term(sa.true(), "boolean")
            if name == ("username", None) and self.query.mapping.attributes.get(
                    "userName") is not None and _is_key(self.query, "userName"):
                return Term(self.query.users.c.key, "key")
            core = _CORE_VALUES.get(name)
            if core is not None:
                return _mapped(self.query, core)
        if uri in (None, ENTERPRISE):
            if name in (("manager", None), ("manager", "value")):
                column = columns.get("manager")
                if column is None:
                    return None
                return Term(column.key if column.key is not None else column.value, "exact",
                            "manager", key=True)
            enterprise = _ENTERPRISE_VALUES.get(name)
            if enterprise is not None:
                return _mapped(self.query, enterprise)
        raise InvalidFilterException(detail=f"the Users have no attribute `{path}`")


def where(query: UserQuery, node: Any) -> sa.ColumnElement[bool]:
    return SqlFilter(query).visit(node)


def order(query: UserQuery, path: AttrPath) -> sa.ColumnElement[Any]:
    """The column a `sortBy` names (a multi-valued attribute sorts by its one value)."""
    term = SqlFilter(query).term(path)
    if term is None:
        return sa.null()
    return sa.func.lower(term.expression) if term.kind == "text" else term.expression


def _is_key(query: UserQuery, attribute: str) -> bool:
    path = query.mapping.attributes[attribute]
    return not path.hops and path.prop is None and not path.display


def _mapped(query: UserQuery, attribute: str) -> Term | None:
    column = query.columns.get(attribute)
    if column is None:
        return None
    if attribute == "userName" and _is_key(query, attribute):
        return Term(column.value, "key", attribute)
    return Term(column.value, "text", attribute)


def _present(term: Term) -> sa.ColumnElement[bool]:
    return sa.and_(term.expression.is_not(None), term.expression != "")


def _compare(term: Term, op: CompareOperator, value: Any, text: str, dialect: str
             ) -> sa.ColumnElement[bool]:
    column = term.expression
    if term.kind == "boolean":
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail=f"`{text}`: a boolean compares with eq or ne "
                                                "to true or false")
        holds: sa.ColumnElement[bool] = column if value == (op is CompareOperator.eq) \
            else sa.not_(column)
        return holds
    if value is None:
        # `eq null` is `not pr` (RFC 7644 §3.4.2.2 leaves it to the provider).
        missing = sa.or_(column.is_(None), column == "") if term.kind != "instant" \
            else column.is_(None)
        if op is CompareOperator.eq:
            return missing
        if op is CompareOperator.ne:
            return sa.not_(missing)
        raise InvalidFilterException(detail=f"`{text}`: null compares with eq or ne only")
    if term.kind == "instant":
        return _compare_instant(column, op, value, text, dialect)
    value = str(value)
    if term.kind == "key" and op is CompareOperator.eq:
        # The key as written, in upper or in lower case: a lookup in the key's index, where a
        # case-folded comparison would read every row.
        return column.in_(sorted({value, value.upper(), value.lower()}))
    folded = term.kind == "text" or term.kind == "key"
    left = sa.func.lower(column) if folded else column
    right = value.lower() if folded else value
    if op is CompareOperator.eq:
        return _ordering(left, op, right)
    if op is CompareOperator.ne:
        return sa.or_(column.is_(None), left != right)
    if op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
        escaped = right.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = {CompareOperator.co: f"%{escaped}%", CompareOperator.sw: f"{escaped}%",
                   CompareOperator.ew: f"%{escaped}"}[op]
        return left.like(pattern, escape="\\")
    return _ordering(left, op, right)


def _compare_instant(column: sa.ColumnElement[Any], op: CompareOperator, value: Any,
                     text: str, dialect: str) -> sa.ColumnElement[bool]:
    try:
        moment = value if isinstance(value, datetime) else \
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFilterException(detail=f"`{text}`: not a dateTime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if dialect == "sqlite":  # it keeps instants as naive UTC text: the bound value must be too
        moment = moment.replace(tzinfo=None)
    if op is CompareOperator.eq:
        return column == moment
    if op is CompareOperator.ne:
        return sa.or_(column.is_(None), column != moment)
    if op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
        raise InvalidFilterException(detail=f"`{text}`: a dateTime compares with eq, ne, gt, "
                                            "ge, lt or le")
    return _ordering(column, op, moment)


def _ordering(left: sa.ColumnElement[Any], op: CompareOperator, right: Any
              ) -> sa.ColumnElement[bool]:
    compared: sa.ColumnElement[bool]
    if op is CompareOperator.eq:
        compared = left == right
    elif op is CompareOperator.gt:
        compared = left > right
    elif op is CompareOperator.ge:
        compared = left >= right
    elif op is CompareOperator.lt:
        compared = left < right
    else:
        compared = left <= right
    return compared
