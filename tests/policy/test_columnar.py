"""The columnar form of expressions (SPEC §6.2): for any text values — none, empty, accents,
case, whitespace Python and polars disagree on — a rule computed over a whole frame gives exactly
what it gives row by row."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from headcount.policy.columnar import columnar
from headcount.policy.expressions import Tables, compile_expression

TABLES: Tables = {"countries": {"FR": "France", "BE": "Belgique", "é": "accent"},
          "codes": {"FR": 33, "BE": 32}}
NAMES = ["FirstName", "LastName", "Organization.Code"]
# Letters whose case or whitespace Python and Rust see differently, and plain ones.
LETTERS = "aAzZ09 -_.'éÉçŒœßẞİıΣσςǅ\u00a0\x1c\x1f\u2003\t\nFRBE"
TEXTS = st.one_of(st.none(), st.text(alphabet=LETTERS, max_size=8))
LITERAL = st.one_of(st.none(), st.text(alphabet=LETTERS, max_size=4)).map(repr)


def expressions() -> st.SearchStrategy[str]:
    leaves = st.one_of(st.sampled_from(NAMES), LITERAL)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        pair = st.tuples(inner, inner)
        return st.one_of(
            st.tuples(st.sampled_from(["lower", "upper", "trim", "unaccent", "slug"]), inner)
            .map(lambda f: f"{f[0]}({f[1]})"),
            st.tuples(inner, st.sampled_from(["''", "'.'", "'-'"]))
            .map(lambda a: f"slug({a[0]}, {a[1]})"),
            st.tuples(inner, st.integers(min_value=-2, max_value=5))
            .map(lambda a: f"left({a[0]}, {a[1]})"),
            st.tuples(inner, LITERAL, LITERAL).map(lambda a: f"replace({a[0]}, {a[1]}, {a[2]})"),
            st.lists(inner, min_size=1, max_size=3).map(lambda a: f"concat({', '.join(a)})"),
            st.lists(inner, min_size=1, max_size=3).map(lambda a: f"coalesce({', '.join(a)})"),
            pair.map(lambda a: f"if_empty({a[0]}, {a[1]})"),
            pair.map(lambda a: f"({a[0]}) + ({a[1]})"),
            st.tuples(inner, inner, inner, inner, st.sampled_from(["==", "!="])).map(
                lambda a: f"({a[0]}) if ({a[1]}) {a[4]} ({a[2]}) else ({a[3]})"),
            st.tuples(inner, inner, inner, st.lists(LITERAL, max_size=3),
                      st.sampled_from(["in", "not in"])).map(
                lambda a: f"({a[0]}) if ({a[1]}) {a[4]} [{', '.join(a[3])}] else ({a[2]})"),
            st.tuples(inner, inner).map(lambda a: f"({a[0]}) if ({a[1]}) else 'no'"),
            st.tuples(inner, inner).map(lambda a: f"lookup('countries', {a[0]}, {a[1]})"),
        )
    return st.recursive(leaves, extend, max_leaves=6)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(text=expressions(), rows=st.lists(st.tuples(TEXTS, TEXTS, TEXTS), min_size=1,
                                         max_size=6))
def test_the_columnar_form_gives_the_value_of_each_row(
        text: str, rows: list[tuple[str | None, str | None, str | None]]) -> None:
    expression = compile_expression(text, tables=TABLES)
    form = columnar(expression, TABLES)
    assert form is not None, text
    frame = pl.DataFrame([pl.Series(n, [r[i] for r in rows], dtype=pl.String)
                          for i, n in enumerate(NAMES)])
    got = frame.with_columns(form.alias("_"))["_"].to_list()
    assert got == [expression.evaluate(dict(zip(NAMES, r, strict=True))) for r in rows], text


def test_what_polars_cannot_compute_exactly_is_left_to_the_rows() -> None:
    for text in ["today()", "date(FirstName)", "length(FirstName)", "lookup('codes', FirstName)",
                 "FirstName + 1", "not FirstName", "FirstName and LastName",
                 "add_days(date(FirstName), 1)", "right(FirstName, 2)"]:
        assert columnar(compile_expression(text, tables=TABLES), TABLES) is None, text
