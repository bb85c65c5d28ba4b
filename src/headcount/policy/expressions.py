"""The expression language of rules (SPEC §6.2): a small, safe subset of Python expressions.

`compile_expression` parses the text with `ast`, checks every node against a whitelist and builds
a tree of closures once; `Expression.evaluate` runs that tree on the values of a resource. No
user text ever reaches `eval` or `exec`. The language is described in docs/expressions.md.
"""

from __future__ import annotations

import ast
import difflib
import operator
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from headcount.errors import HeadcountError
from headcount.policy.expression_functions import FUNCTIONS, BadValue, Function, text_of, zone

__all__ = ["EvaluationError", "Expression", "ExpressionError", "compile_expression"]

Values = Mapping[str, object]
Node = Callable[[Values, date | None], object]
Clock = Callable[[], datetime]
Tables = Mapping[str, Mapping[str, object]]

MAX_LENGTH = 10_000
MAX_DEPTH = 100


class ExpressionError(HeadcountError):
    """An expression cannot be compiled: bad syntax or something the language does not allow.
    `line` and `column` count from 1, in characters."""

    exit_code = 2

    def __init__(self, reason: str, *, text: str, line: int = 1, column: int = 1) -> None:
        self.reason = reason
        self.text = text
        self.line = line
        self.column = column
        where = f"line {line}, column {column}" if "\n" in text.strip() else f"column {column}"
        super().__init__(f"{where}: {reason}")


class EvaluationError(HeadcountError):
    """An expression met a value it cannot work on (a text that is no date…); `value` is it."""

    def __init__(self, reason: str, *, text: str, value: object) -> None:
        self.reason = reason
        self.text = text
        self.value = value
        super().__init__(f"{reason} (in `{text}`)")


@dataclass(frozen=True, slots=True, eq=False)
class Expression:
    """A compiled expression. `names` are the properties it reads, dotted ones included."""

    text: str
    names: frozenset[str]
    _run: Node = field(repr=False)

    def evaluate(self, values: Values, *, today: date | None = None) -> object:
        """The value of the expression for one resource; `today` replaces the clock."""
        return self._run(values, today)


def compile_expression(text: str, *, tables: Tables | None = None,
                       clock: Clock | None = None) -> Expression:
    """Compile once, evaluate many times. `tables` are the static tables of `lookup()`;
    `clock` gives the current time (aware) to `today()`."""
    source, line_shift, column_shift = _left_stripped(text)
    compiler = _Compiler(text, source, line_shift, column_shift, tables or {},
                         clock or _utc_now)
    tree = compiler.parse()
    run = compiler.compile(tree.body, 0).run
    return Expression(text, frozenset(compiler.names), run)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _left_stripped(text: str) -> tuple[str, int, int]:
    # `ast` refuses leading indentation; strip it and remember how far positions moved.
    source = text.lstrip()
    prefix = text[:len(text) - len(source)]
    return source, prefix.count("\n"), len(prefix) - (prefix.rfind("\n") + 1)


_VARIABLE = object()
_MISSING = object()
_FAILURES = (TypeError, ValueError, OverflowError)
_NUMBERS = (int, float, Decimal)


@dataclass(frozen=True, slots=True)
class _Compiled:
    run: Node
    value: object = _VARIABLE

    @property
    def is_constant(self) -> bool:
        return self.value is not _VARIABLE


def _constant(value: object) -> _Compiled:
    def run(values: Values, today: date | None) -> object:
        return value
    return _Compiled(run, value)


_FORBIDDEN: dict[type[ast.AST], str] = {
    ast.Lambda: "lambdas are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are",
    ast.Subscript: "subscripts (`x[...]`) are",
    ast.Slice: "slices are",
    ast.Starred: "star arguments are",
    ast.List: "lists are (a list of literals is allowed after `in`)",
    ast.Tuple: "tuples are (a list of literals is allowed after `in`)",
    ast.Set: "sets are (a list of literals is allowed after `in`)",
    ast.Dict: "dictionaries are",
    ast.JoinedStr: "f-strings are",
    ast.NamedExpr: "assignments (`:=`) are",
    ast.Await: "`await` is",
    ast.Yield: "`yield` is",
    ast.YieldFrom: "`yield` is",
}

_OPERATORS: dict[type[ast.AST], str] = {
    ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
    ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
    ast.MatMult: "@", ast.Invert: "~", ast.Is: "is", ast.IsNot: "is not",
}


class _Compiler:
    """Checks each node of the tree against the whitelist and turns it into a closure."""

    def __init__(self, text: str, source: str, line_shift: int, column_shift: int,
                 tables: Tables, clock: Clock) -> None:
        self.text = text
        self.source = source
        self.line_shift = line_shift
        self.column_shift = column_shift
        self.tables = tables
        self.clock = clock
        self.names: set[str] = set()

    def parse(self) -> ast.Expression:
        if not self.source:
            raise ExpressionError("the expression is empty", text=self.text)
        if len(self.text) > MAX_LENGTH:
            raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters",
                                  text=self.text)
        # Warnings (an invalid escape such as "\d") are recorded rather than raised, so that
        # nothing leaks into other threads, and then reported as errors.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                tree = ast.parse(self.source, filename="<expression>", mode="eval")
            except SyntaxError as exc:
                raise ExpressionError(
                    exc.msg, text=self.text, line=self._line(exc.lineno or 1),
                    column=self._column(exc.lineno or 1, (exc.offset or 1) - 1,
                                        in_bytes=False)) from None
            except (RecursionError, MemoryError):
                raise ExpressionError("the expression is nested too deeply",
                                      text=self.text) from None
            except ValueError as exc:
                raise ExpressionError(str(exc), text=self.text) from None
        for warning in caught:
            if warning.filename == "<expression>":
                raise ExpressionError(str(warning.message), text=self.text,
                                      line=self._line(warning.lineno))
        return tree

    def compile(self, node: ast.expr, depth: int) -> _Compiled:
        if depth > MAX_DEPTH:
            raise self.error(node, f"the expression is nested more than {MAX_DEPTH} levels deep")
        depth += 1
        match node:
            case ast.Constant():
                return self.literal(node)
            case ast.Name():
                return self.name(node)
            case ast.Attribute():
                return self.dotted_name(node)
            case ast.Call():
                return self.call(node, depth)
            case ast.BinOp(op=ast.Add()):
                return self.add(node, depth)
            case ast.UnaryOp():
                return self.unary(node, depth)
            case ast.BoolOp():
                return self.boolean(node, depth)
            case ast.Compare():
                return self.compare(node, depth)
            case ast.IfExp():
                return self.conditional(node, depth)
            case ast.BinOp():
                symbol = _OPERATORS.get(type(node.op), "?")
                raise self.error(node, f"the operator `{symbol}` is not allowed (only `+` is): "
                                       f"`{self.snippet(node)}`")
        what = _FORBIDDEN.get(type(node), f"`{type(node).__name__}` expressions are")
        raise self.error(node, f"{what} not allowed: `{self.snippet(node)}`")

    def literal(self, node: ast.Constant) -> _Compiled:
        if node.value is None or type(node.value) in (str, int, float, bool):
            return _constant(node.value)
        kind = "`...`" if node.value is Ellipsis else f"{type(node.value).__name__} literals"
        raise self.error(node, f"{kind} are not allowed: `{self.snippet(node)}`")

    def name(self, node: ast.Name) -> _Compiled:
        self.check_name(node, node.id)
        key = node.id
        self.names.add(key)

        def run(values: Values, today: date | None) -> object:
            return values.get(key)
        return _Compiled(run)

    def dotted_name(self, node: ast.Attribute) -> _Compiled:
        parts = dotted_parts(node)
        if parts is None:
            raise self.error(node, "attributes are only allowed in dotted names such as "
                                   f"`Organization.Name`: `{self.snippet(node)}`")
        for part in parts:
            self.check_name(node, part)
        key = ".".join(parts)
        self.names.add(key)
        path = tuple(parts)

        def run(values: Values, today: date | None) -> object:
            value = values.get(key, _MISSING)
            return _walk(values, path) if value is _MISSING else value
        return _Compiled(run)

    def check_name(self, node: ast.expr, name: str) -> None:
        if name.startswith("__"):
            raise self.error(node, f"names starting with `__` are not allowed: `{name}`")

    def call(self, node: ast.Call, depth: int) -> _Compiled:
        function = self.function(node)
        arguments = self.bind(node, function)
        if function.name == "lookup":
            return self.lookup(node, arguments, depth)
        compiled = [self.compile(argument, depth) for argument in arguments]
        match function.name:
            case "today":
                return self.today(node, compiled[0])
            case "coalesce":
                return self.pure(node, _coalesce([c.run for c in compiled]), compiled)
            case "if_empty":
                return self.pure(node, _if_empty(compiled[0].run, compiled[1].run), compiled)
        assert function.implementation is not None
        run = _application(function.name, function.implementation, compiled, self.text)
        return self.pure(node, run, compiled)

    def function(self, node: ast.Call) -> Function:
        func = node.func
        if isinstance(func, ast.Attribute):
            hint = "; call functions by name"
            if func.attr in FUNCTIONS:
                more = ", ..." if len(FUNCTIONS[func.attr].signature.params) > 1 else ""
                hint = f"; write `{func.attr}({self.snippet(func.value)}{more})`"
            raise self.error(node, f"method calls are not allowed: `{self.snippet(node)}`{hint}")
        if not isinstance(func, ast.Name):
            raise self.error(node, "only functions called by name are allowed: "
                                   f"`{self.snippet(node)}`")
        if func.id not in FUNCTIONS:
            close = difflib.get_close_matches(func.id, FUNCTIONS, n=1, cutoff=0.7)
            hint = f"; did you mean `{close[0]}()`?" if close else (
                f"; the functions are: {', '.join(sorted(FUNCTIONS))}")
            raise self.error(node, f"unknown function `{func.id}()`{hint}")
        return FUNCTIONS[func.id]

    def bind(self, node: ast.Call, function: Function) -> list[ast.expr]:
        """The arguments in the order of the parameters, defaults filled in."""
        name, usage, signature = function.name, function.usage, function.signature
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise self.error(argument, f"star arguments are not allowed: "
                                           f"`{self.snippet(argument)}`")
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.error(keyword, "`**` arguments are not allowed")
        if signature.variadic:
            if node.keywords:
                raise self.error(node.keywords[0], f"{name}() takes no named arguments: {usage}")
            if len(node.args) < signature.required:
                raise self.error(node, f"{name}() needs at least {signature.required} "
                                       f"argument: {usage}")
            return list(node.args)
        if len(node.args) > len(signature.params):
            raise self.error(node, f"{name}() takes at most {len(signature.params)} "
                                   f"arguments, {len(node.args)} given: {usage}")
        bound: dict[str, ast.expr] = dict(zip(signature.params, node.args, strict=False))
        for keyword in node.keywords:
            assert keyword.arg is not None
            if keyword.arg not in signature.params:
                raise self.error(keyword, f"{name}() has no parameter `{keyword.arg}`: {usage}")
            if keyword.arg not in signature.keywords:
                raise self.error(keyword, f"`{keyword.arg}` of {name}() cannot be given by "
                                          f"name: {usage}")
            if keyword.arg in bound:
                raise self.error(keyword, f"{name}() is given `{keyword.arg}` twice: {usage}")
            bound[keyword.arg] = keyword.value
        missing = [p for p in signature.params[:signature.required] if p not in bound]
        if missing:
            raise self.error(node, f"{name}() is missing `{missing[0]}`: {usage}")
        return [bound[p] if p in bound else ast.Constant(signature.defaults[p])
                for p in signature.params]

    def today(self, node: ast.Call, tz: _Compiled) -> _Compiled:
        clock, text = self.clock, self.text
        if tz.is_constant:
            try:
                fixed = zone(tz.value)
            except BadValue as exc:
                raise self.error(node, f"today(): {exc.message}") from None

            def run(values: Values, today: date | None) -> object:
                return today if today is not None else clock().astimezone(fixed).date()
            return _Compiled(run)
        tz_run = tz.run

        def run_in_zone(values: Values, today: date | None) -> object:
            if today is not None:
                return today
            try:
                return clock().astimezone(zone(tz_run(values, today))).date()
            except BadValue as exc:
                raise EvaluationError(f"today(): {exc.message}", text=text,
                                      value=exc.value) from None
        return _Compiled(run_in_zone)

    def lookup(self, node: ast.Call, arguments: list[ast.expr], depth: int) -> _Compiled:
        name_node = arguments[0]
        if not (isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)):
            raise self.error(name_node, "the table of lookup() must be written as a text, "
                                        'as in `lookup("countries", Country)`')
        if name_node.value not in self.tables:
            close = difflib.get_close_matches(name_node.value, self.tables, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else (
                f"; the tables are: {', '.join(sorted(self.tables))}" if self.tables
                else "; no tables are defined")
            raise self.error(name_node, f"unknown table `{name_node.value}`{hint}")
        table = dict(self.tables[name_node.value])
        key, default = (self.compile(a, depth) for a in arguments[1:])
        key_run, default_run, text = key.run, default.run, self.text

        def run(values: Values, today: date | None) -> object:
            value = key_run(values, today)
            if value is None:
                return default_run(values, today)
            if type(value) is not str:
                try:
                    value = text_of(value)
                except BadValue as exc:
                    raise EvaluationError(f"lookup(): {exc.message}", text=text,
                                          value=exc.value) from None
            found = table.get(value, _MISSING)
            return default_run(values, today) if found is _MISSING else found
        return self.pure(node, run, [key, default])

    def add(self, node: ast.BinOp, depth: int) -> _Compiled:
        left, right = self.compile(node.left, depth), self.compile(node.right, depth)
        left_run, right_run, text = left.run, right.run, self.text

        def run(values: Values, today: date | None) -> object:
            a, b = left_run(values, today), right_run(values, today)
            if type(a) is str and type(b) is str:
                return a + b
            return _add(a, b, text)
        return self.pure(node, run, [left, right])

    def unary(self, node: ast.UnaryOp, depth: int) -> _Compiled:
        operand = self.compile(node.operand, depth)
        operand_run, text = operand.run, self.text
        if isinstance(node.op, ast.Not):
            def negation(values: Values, today: date | None) -> object:
                return not operand_run(values, today)
            return self.pure(node, negation, [operand])
        if isinstance(node.op, ast.Invert):
            raise self.error(node, f"the operator `~` is not allowed: `{self.snippet(node)}`")
        minus = isinstance(node.op, ast.USub)

        def sign(values: Values, today: date | None) -> object:
            value = operand_run(values, today)
            if value is None:
                return None
            if isinstance(value, _NUMBERS) and not isinstance(value, bool):
                return -value if minus else value
            raise EvaluationError(f"`{value!r}` is not a number", text=text, value=value)
        return self.pure(node, sign, [operand])

    def boolean(self, node: ast.BoolOp, depth: int) -> _Compiled:
        operands = [self.compile(v, depth) for v in node.values]
        runs = tuple(o.run for o in operands)
        if isinstance(node.op, ast.And):
            def conjunction(values: Values, today: date | None) -> object:
                result: object = None
                for operand_run in runs:
                    result = operand_run(values, today)
                    if not result:
                        return result
                return result
            return self.pure(node, conjunction, operands)

        def disjunction(values: Values, today: date | None) -> object:
            result: object = None
            for operand_run in runs:
                result = operand_run(values, today)
                if result:
                    return result
            return result
        return self.pure(node, disjunction, operands)

    def compare(self, node: ast.Compare, depth: int) -> _Compiled:
        operands = [self.compile(node.left, depth)]
        tests: list[Callable[[object, object], object]] = []
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot):
                raise self.error(node, f"`{_OPERATORS[type(op)]}` is not allowed; compare "
                                       f"with `==` or `!=`: `{self.snippet(node)}`")
            if isinstance(op, ast.In | ast.NotIn) and isinstance(
                    comparator, ast.Tuple | ast.List | ast.Set):
                operands.append(self.literal_list(comparator, depth))
            else:
                operands.append(self.compile(comparator, depth))
            tests.append(_comparison(op, self.text))
        runs = [o.run for o in operands]
        if len(tests) == 1:
            test, first, second = tests[0], runs[0], runs[1]

            def run(values: Values, today: date | None) -> object:
                return test(first(values, today), second(values, today))
            return self.pure(node, run, operands)
        pairs = tuple(zip(tests, runs[1:], strict=True))
        head = runs[0]

        def chain(values: Values, today: date | None) -> object:
            left = head(values, today)
            for test, right_run in pairs:
                right = right_run(values, today)
                result = test(left, right)
                if not result:
                    return result
                left = right
            return True
        return self.pure(node, chain, operands)

    def literal_list(self, node: ast.Tuple | ast.List | ast.Set, depth: int) -> _Compiled:
        items = [self.compile(element, depth) for element in node.elts]
        for item, element in zip(items, node.elts, strict=True):
            if not item.is_constant:
                raise self.error(element, "the list after `in` may only hold literals: "
                                          f"`{self.snippet(element)}`")
        return _constant(tuple(item.value for item in items))

    def conditional(self, node: ast.IfExp, depth: int) -> _Compiled:
        parts = [self.compile(n, depth) for n in (node.test, node.body, node.orelse)]
        test, body, orelse = (p.run for p in parts)

        def run(values: Values, today: date | None) -> object:
            return body(values, today) if test(values, today) else orelse(values, today)
        return self.pure(node, run, parts)

    def pure(self, node: ast.AST, run: Node, operands: Sequence[_Compiled]) -> _Compiled:
        """A node that depends only on its operands: computed now when they are constants,
        so that `date("2024-02-30")` fails at compile time."""
        if not all(o.is_constant for o in operands):
            return _Compiled(run)
        try:
            return _constant(run({}, None))
        except EvaluationError as exc:
            raise self.error(node, exc.reason) from None

    def error(self, node: ast.AST, reason: str) -> ExpressionError:
        lineno = getattr(node, "lineno", 1)
        column = self._column(lineno, getattr(node, "col_offset", 0), in_bytes=True)
        return ExpressionError(reason, text=self.text, line=self._line(lineno), column=column)

    def snippet(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.source, node) or ast.unparse(node)
        segment = " ".join(segment.split())
        return segment if len(segment) <= 60 else segment[:57] + "..."

    def _line(self, lineno: int) -> int:
        return lineno + self.line_shift

    def _column(self, lineno: int, offset: int, *, in_bytes: bool) -> int:
        # `ast` counts columns in UTF-8 bytes; people count characters.
        lines = self.source.splitlines() or [""]
        line = lines[min(max(lineno, 1), len(lines)) - 1]
        if in_bytes:
            offset = len(line.encode()[:offset].decode(errors="ignore"))
        return offset + 1 + (self.column_shift if lineno == 1 else 0)


def _walk(values: Values, path: tuple[str, ...]) -> object:
    """`Organization.Name` when the values hold `Organization` as a mapping of its own."""
    current: object = values
    for part in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _add(a: object, b: object, text: str) -> object:
    if a is None or b is None:
        return None
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    numbers = (isinstance(a, _NUMBERS) and not isinstance(a, bool)
               and isinstance(b, _NUMBERS) and not isinstance(b, bool))
    if numbers:
        try:
            return a + b  # type: ignore[operator]
        except TypeError:
            pass
    raise EvaluationError(f"cannot add `{type(a).__name__}` and `{type(b).__name__}`; "
                          "concat() joins text with other values", text=text, value=(a, b))


def _comparison(op: ast.cmpop, text: str) -> Callable[[object, object], object]:
    if isinstance(op, ast.Eq):
        return operator.eq
    if isinstance(op, ast.NotEq):
        return operator.ne
    if isinstance(op, ast.In | ast.NotIn):
        negate = isinstance(op, ast.NotIn)

        def contains(a: object, b: object) -> object:
            if b is None or (a is None and isinstance(b, str)):
                return None
            try:
                found = a in b  # type: ignore[operator]
            except TypeError:
                raise EvaluationError(f"cannot look for `{type(a).__name__}` in "
                                      f"`{type(b).__name__}`", text=text, value=(a, b)) from None
            return not found if negate else found
        return contains
    orders: dict[type[ast.cmpop], tuple[str, Callable[[Any, Any], object]]] = {
        ast.Lt: ("<", operator.lt), ast.LtE: ("<=", operator.le),
        ast.Gt: (">", operator.gt), ast.GtE: (">=", operator.ge)}
    symbol, order = orders[type(op)]

    def ordering(a: object, b: object) -> object:
        if a is None or b is None:
            return None
        try:
            return order(a, b)
        except TypeError:
            raise EvaluationError(f"cannot compare `{type(a).__name__}` and "
                                  f"`{type(b).__name__}` with `{symbol}`", text=text,
                                  value=(a, b)) from None
    return ordering


def _coalesce(runs: list[Node]) -> Node:
    later = tuple(runs)

    def run(values: Values, today: date | None) -> object:
        for argument in later:
            value = argument(values, today)
            if value is not None:
                return value
        return None
    return run


def _if_empty(first: Node, second: Node) -> Node:
    def run(values: Values, today: date | None) -> object:
        value = first(values, today)
        if value is None or (isinstance(value, str) and not value.strip()):
            return second(values, today)
        return value
    return run


def _application(name: str, fn: Callable[..., object], arguments: list[_Compiled],
                 text: str) -> Node:
    """Call `fn` on the values of the arguments; shapes are specialised because this is the
    hot path (a call through `*[...]` costs a third more)."""

    def failure(exc: Exception) -> EvaluationError:
        if isinstance(exc, BadValue):
            return EvaluationError(f"{name}(): {exc.message}", text=text, value=exc.value)
        return EvaluationError(f"{name}(): {exc}", text=text, value=None)

    runs = [a.run for a in arguments]
    if len(arguments) > 1 and all(a.is_constant for a in arguments[1:]):
        first, rest = runs[0], tuple(a.value for a in arguments[1:])

        def run_with_constants(values: Values, today: date | None) -> object:
            try:
                return fn(first(values, today), *rest)
            except _FAILURES as exc:
                raise failure(exc) from exc
        return run_with_constants
    if len(runs) == 1:
        only = runs[0]

        def run_1(values: Values, today: date | None) -> object:
            try:
                return fn(only(values, today))
            except _FAILURES as exc:
                raise failure(exc) from exc
        return run_1
    if len(runs) == 2:
        a, b = runs

        def run_2(values: Values, today: date | None) -> object:
            try:
                return fn(a(values, today), b(values, today))
            except _FAILURES as exc:
                raise failure(exc) from exc
        return run_2
    if len(runs) == 3:
        a, b, c = runs

        def run_3(values: Values, today: date | None) -> object:
            try:
                return fn(a(values, today), b(values, today), c(values, today))
            except _FAILURES as exc:
                raise failure(exc) from exc
        return run_3
    every = tuple(runs)

    def run_n(values: Values, today: date | None) -> object:
        try:
            return fn(*[argument(values, today) for argument in every])
        except _FAILURES as exc:
            raise failure(exc) from exc
    return run_n


def dotted_parts(node: ast.Attribute) -> list[str] | None:
    """`Organization.Site.Code` as its names, in order; None when it is not a dotted name."""
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    return [current.id, *reversed(parts)]
