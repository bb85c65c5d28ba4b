"""The columnar form of an expression (SPEC §6.2): the same value as `Expression.evaluate`, for
every row of a frame at once, as a polars expression over text columns named by the bindings.

Only what polars computes exactly like Python is compiled: text functions, `+`, conditionals
on `==`, `!=` and `in`, `coalesce`, `if_empty`, lookups of text tables. Where polars and Python
could differ (letters beyond ASCII for the case functions and `slug`), those rows go through the
Python function, still inside the frame. Dates, numbers, `today()`, `and`/`or`/`not` give None:
the rule is then computed row by row, as before."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

import polars as pl

from headcount.policy.expression_functions import (
    FUNCTIONS,
    BadValue,
    lower,
    slug,
    text_of,
    unaccent,
    upper,
)
from headcount.policy.expressions import Expression, Tables, compile_expression, dotted_parts

__all__ = ["columnar"]

Kind = Literal["text", "truth"]


@dataclass(frozen=True)
class _Form:
    expr: pl.Expr
    kind: Kind
    constant: object = None
    is_constant: bool = False


class _Unsupported(Exception):
    """This part of the expression has no exact columnar form."""


def columnar(expression: Expression, tables: Tables) -> pl.Expr | None:
    """The polars form of a compiled expression over String columns named by its names
    (`Organization.Code` included), or None when it has none."""
    try:
        form = _compile(ast.parse(expression.text.strip(), mode="eval").body, tables)
    except (_Unsupported, SyntaxError, RecursionError):
        return None
    return form.expr


@cache
def _whitespace() -> str:
    # What Python's str.strip() removes: polars' own notion of whitespace is Rust's, which
    # leaves \x1c-\x1f (and Python's counts them).
    return "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


def _ascii(expr: pl.Expr) -> pl.Expr:
    return expr.str.contains(r"^[\x00-\x7F]*$")


def _per_text(expr: pl.Expr, fast: pl.Expr, python: Callable[[str], str | None]) -> pl.Expr:
    """`fast` on ASCII text, the Python function elsewhere (rare: accented names)."""
    slow = expr.map_elements(python, return_dtype=pl.String, skip_nulls=True)
    return pl.when(_ascii(expr)).then(fast).otherwise(slow)


def _text(value: object) -> _Form:
    return _Form(pl.lit(value, dtype=pl.String), "text", value, True)


def _compile(node: ast.expr, tables: Tables) -> _Form:
    if _constant(node):
        # A part that reads no binding is computed once, by the per-row evaluator itself.
        value = compile_expression(ast.unparse(node), tables=tables).evaluate({})
        if value is None or isinstance(value, str):
            return _text(value)
        if isinstance(value, bool):
            return _Form(pl.lit(value), "truth", value, True)
        if isinstance(value, int):
            return _Form(pl.lit(None, dtype=pl.String), "text", value, True)
        raise _Unsupported
    match node:
        case ast.Constant(value=None):
            return _text(None)
        case ast.Constant(value=str() as value):
            return _text(value)
        case ast.Constant(value=bool() | int() as value):
            # Only as a constant argument (left(s, 3)); as a value it is no text.
            return _Form(pl.lit(None, dtype=pl.String), "text", value, True)
        case ast.Name(id=name):
            return _Form(pl.col(name), "text")
        case ast.Attribute():
            return _Form(pl.col(_dotted(node)), "text")
        case ast.BinOp(op=ast.Add(), left=a, right=b):
            left, right = _texts([a, b], tables)
            return _Form(left.expr + right.expr, "text")
        case ast.Call(func=ast.Name(id=name)):
            return _call(name, node, tables)
        case ast.Compare(left=a, ops=[op], comparators=[b]):
            return _comparison(a, op, b, tables)
        case ast.IfExp(test=test, body=body, orelse=orelse):
            condition = _truth(_compile(test, tables))
            then, otherwise = _texts([body, orelse], tables)
            return _Form(pl.when(condition).then(then.expr).otherwise(otherwise.expr), "text")
    raise _Unsupported


def _constant(node: ast.expr) -> bool:
    functions = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    for part in ast.walk(node):
        if isinstance(part, ast.Call) and isinstance(part.func, ast.Name) \
                and part.func.id == "today":
            return False
        if isinstance(part, ast.Attribute | ast.Name) and id(part) not in functions:
            return False
    return True


def _dotted(node: ast.Attribute) -> str:
    parts = dotted_parts(node)
    if parts is None:
        raise _Unsupported
    return ".".join(parts)


def _texts(nodes: list[ast.expr], tables: Tables) -> list[_Form]:
    forms = [_compile(n, tables) for n in nodes]
    for form in forms:
        if form.kind != "text" or (form.is_constant and not isinstance(form.constant,
                                                                         str | None)):
            raise _Unsupported
    return forms


def _truth(form: _Form) -> pl.Expr:
    """Python's truth of a value: a text is true when not empty."""
    if form.kind == "truth":
        return form.expr
    return form.expr.is_not_null() & (form.expr != "")


def _comparison(a: ast.expr, op: ast.cmpop, b: ast.expr, tables: Tables) -> _Form:
    left = _texts([a], tables)[0]
    if isinstance(op, ast.In | ast.NotIn):
        if not isinstance(b, ast.List | ast.Tuple | ast.Set) or not all(
                isinstance(e, ast.Constant) and isinstance(e.value, str | None) for e in b.elts):
            raise _Unsupported
        items = [e.value for e in b.elts if isinstance(e, ast.Constant)]
        texts = [i for i in items if i is not None]
        found = pl.when(left.expr.is_null()).then(pl.lit(None in items)) \
            .otherwise(left.expr.is_in(pl.lit(pl.Series(texts, dtype=pl.String)).implode()))
        return _Form(~found if isinstance(op, ast.NotIn) else found, "truth")
    right = _texts([b], tables)[0]
    if isinstance(op, ast.Eq):
        return _Form(left.expr.eq_missing(right.expr), "truth")
    if isinstance(op, ast.NotEq):
        return _Form(left.expr.ne_missing(right.expr), "truth")
    raise _Unsupported


def _arguments(name: str, node: ast.Call) -> list[ast.expr]:
    signature = FUNCTIONS[name].signature
    if signature.variadic:
        return list(node.args)
    bound: dict[str, ast.expr] = dict(zip(signature.params, node.args, strict=False))
    for keyword in node.keywords:
        if keyword.arg is None:
            raise _Unsupported
        bound[keyword.arg] = keyword.value
    return [bound[p] if p in bound else ast.Constant(signature.defaults.get(p))
            for p in signature.params]


_UNARY: dict[str, tuple[Callable[[pl.Expr], pl.Expr], Callable[[object], str | None]]] = {
    "lower": (lambda e: e.str.to_lowercase(), lower),
    "upper": (lambda e: e.str.to_uppercase(), upper),
    "unaccent": (lambda e: e, unaccent),
}


def _call(name: str, node: ast.Call, tables: Tables) -> _Form:
    if name not in FUNCTIONS:
        raise _Unsupported
    nodes = _arguments(name, node)
    if name == "lookup":
        return _lookup(nodes, tables)
    if name in _UNARY:
        (s,) = _texts(nodes, tables)
        vectorised, per_value = _UNARY[name]
        return _Form(_per_text(s.expr, vectorised(s.expr), per_value), "text")
    if name == "trim":
        (s,) = _texts(nodes, tables)
        return _Form(s.expr.str.strip_chars(_whitespace()), "text")
    if name == "slug":
        s, sep = (_compile(n, tables) for n in nodes)
        if not sep.is_constant or not isinstance(sep.constant, str) or s.kind != "text":
            raise _Unsupported
        separator = sep.constant
        words = s.expr.str.to_lowercase().str.extract_all("[a-z0-9]+").list.join(separator)

        def slugged(text: str) -> str | None:
            return slug(text, separator)
        return _Form(_per_text(s.expr, words, slugged), "text")
    if name == "left":
        s, n = (_compile(n, tables) for n in nodes)
        if s.kind != "text" or not n.is_constant or type(n.constant) is not int:
            raise _Unsupported
        return _Form(s.expr.str.slice(0, max(n.constant, 0)), "text")
    if name == "replace":
        s, old, new = (_compile(n, tables) for n in nodes)
        if s.kind != "text" or not old.is_constant or not new.is_constant:
            raise _Unsupported
        try:
            old_text = "" if old.constant is None else text_of(old.constant)
            new_text = "" if new.constant is None else text_of(new.constant)
        except BadValue:
            raise _Unsupported from None
        if not old_text:
            return s
        return _Form(s.expr.str.replace_all(old_text, new_text, literal=True), "text")
    if name == "concat":
        parts = [_compile(n, tables) for n in nodes]
        exprs = []
        for part in parts:
            if part.kind != "text":
                raise _Unsupported
            if part.is_constant and part.constant is not None:
                try:
                    exprs.append(pl.lit(text_of(part.constant), dtype=pl.String))
                except BadValue:
                    raise _Unsupported from None
            elif not part.is_constant:
                exprs.append(part.expr)
        if not exprs:
            return _text("")
        return _Form(pl.concat_str(exprs, ignore_nulls=True), "text")
    if name == "coalesce":
        forms = _texts(nodes, tables)
        return _Form(pl.coalesce([f.expr for f in forms]), "text")
    if name == "if_empty":
        first, second = _texts(nodes, tables)
        empty = first.expr.is_null() | (first.expr.str.strip_chars(_whitespace()) == "")
        return _Form(pl.when(empty).then(second.expr).otherwise(first.expr), "text")
    raise _Unsupported


def _lookup(nodes: list[ast.expr], tables: Tables) -> _Form:
    table_node = nodes[0]
    if not isinstance(table_node, ast.Constant) or table_node.value not in tables:
        raise _Unsupported
    table: Mapping[str, object] = tables[str(table_node.value)]
    if not all(isinstance(v, str) for v in table.values()):
        raise _Unsupported
    key, default = _texts(nodes[1:], tables)
    if key.is_constant:
        return default if key.constant is None or key.constant not in table \
            else _text(table[str(key.constant)])
    found = key.expr.replace_strict(dict(table), default=default.expr, return_dtype=pl.String)
    return _Form(pl.when(key.expr.is_null()).then(default.expr).otherwise(found), "text")
