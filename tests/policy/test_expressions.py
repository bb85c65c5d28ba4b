"""The expression language of rules (SPEC §6.2): syntax, null semantics, every function, the
errors, and the documentation that describes them."""

from __future__ import annotations

import builtins
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headcount.errors import HeadcountError
from headcount.policy import expressions
from headcount.policy.expression_functions import FUNCTIONS
from headcount.policy.expressions import (
    EvaluationError,
    Expression,
    ExpressionError,
    compile_expression,
)

DOC = (Path(__file__).resolve().parents[2] / "docs" / "expressions.md").read_text("utf-8")
TABLES = {"countries": {"FR": "France", "BE": "Belgique", "42": "the answer"}}


def evaluate(text: str, **values: object) -> object:
    return compile_expression(text, tables=TABLES).evaluate(values)


def rejection(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text, tables=TABLES)
    return caught.value


# --- syntax --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ('"text"', "text"),
    ("42", 42),
    ("-1.5", -1.5),
    ("+3", 3),
    ("True", True),
    ("None", None),
    ('"a" + "b"', "ab"),
    ("1 + 2", 3),
    ("1 + 2.5", 3.5),
    ("not None", True),
])
def test_literals_and_operators(text: str, expected: object) -> None:
    assert evaluate(text) == expected


def test_names_read_the_values_case_sensitively() -> None:
    assert evaluate("FirstName", FirstName="Ada") == "Ada"
    assert evaluate("firstname", FirstName="Ada") is None


def test_dotted_name_is_looked_up_as_the_full_key_first() -> None:
    values = {"Organization.Name": "Sales", "Organization": {"Name": "ignored"}}
    assert compile_expression("Organization.Name").evaluate(values) == "Sales"


def test_dotted_name_walks_nested_mappings_when_the_full_key_is_absent() -> None:
    values = {"Manager": {"Organization": {"Name": "Sales"}}}
    assert compile_expression("Manager.Organization.Name").evaluate(values) == "Sales"
    assert compile_expression("Manager.Site.Name").evaluate(values) is None
    assert compile_expression("Manager.Organization.Name.Length").evaluate(values) is None
    assert compile_expression("Nobody.Name").evaluate(values) is None


def test_names_lists_every_property_read_dotted_ones_included() -> None:
    expression = compile_expression(
        'slug(concat(FirstName, " ", LastName)) if Organization.Code in ("A", "B") '
        'else lookup("countries", Site.Country, default=Fallback)', tables=TABLES)
    assert expression.names == frozenset(
        {"FirstName", "LastName", "Organization.Code", "Site.Country", "Fallback"})


def test_names_of_an_expression_without_properties_is_empty() -> None:
    assert compile_expression('upper("x")').names == frozenset()


def test_the_expression_keeps_its_text() -> None:
    assert compile_expression("lower(Name)").text == "lower(Name)"


def test_leading_whitespace_and_lines_inside_parentheses_are_allowed() -> None:
    assert evaluate('  concat(FirstName,\n         " ",\n         LastName)',
                    FirstName="Ada", LastName="Lovelace") == "Ada Lovelace"


@pytest.mark.parametrize(("text", "expected"), [
    ('"yes" if Active else "no"', "yes"),
    ('"yes" if not Active else "no"', "no"),
    ('"yes" if Missing else "no"', "no"),
    ('"a" if Age >= 18 else "b" if Age >= 12 else "c"', "a"),
])
def test_conditionals(text: str, expected: object) -> None:
    assert evaluate(text, Active=True, Age=30) == expected


def test_conditionals_evaluate_only_the_branch_taken() -> None:
    expression = compile_expression('date(Start) if Start else "none"')
    assert expression.evaluate({"Start": ""}) == "none"


@pytest.mark.parametrize(("text", "expected"), [
    ("Nickname or FirstName", "Ada"),
    ("FirstName and LastName", "Lovelace"),
    ("Nickname and LastName", ""),
    ("Missing or Nickname", ""),
    ("FirstName and Missing", None),
    ("not Nickname", True),
])
def test_and_or_return_an_operand_as_in_python(text: str, expected: object) -> None:
    assert evaluate(text, FirstName="Ada", LastName="Lovelace", Nickname="") == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Age == 30", True),
    ("Age != 30", False),
    ("Age < 40", True),
    ("Age <= 30", True),
    ("Age > 30", False),
    ("Age >= 31", False),
    ("18 <= Age < 65", True),
    ("18 <= Age < 20", False),
    ('"ov" in Name', True),
    ('"x" not in Name', True),
    ('Country in ("FR", "BE")', True),
    ('Country in ["DE", "NL"]', False),
    ('Country not in {"DE", "NL"}', True),
    ("Age in (-1, 30)", True),
])
def test_comparisons(text: str, expected: object) -> None:
    assert evaluate(text, Age=30, Name="Lovelace", Country="FR") is expected


def test_comparing_dates() -> None:
    assert evaluate('End < date("2025-01-01")', End=date(2024, 12, 31)) is True


# --- null semantics ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "lower(X)", "upper(X)", "trim(X)", "unaccent(X)", "slug(X)", "left(X, 2)", "right(X, 2)",
    'replace(X, "a", "b")', "first_word(X)", "length(X)", "date(X)",
    'datetime(X, "%Y-%m-%d %H:%M")', "add_days(X, 1)", 'format_date(X, "%d/%m/%Y")',
    "coalesce(X)", 'lookup("countries", X)', 'X + "a"', '"a" + X', "1 + X", "-X",
    "X < 1", "X >= 1", '"a" in X', 'X in "abc"',
])
def test_a_missing_value_gives_none(text: str) -> None:
    assert evaluate(text) is None
    assert evaluate(text, X=None) is None


def test_concat_skips_none() -> None:
    assert evaluate('concat(FirstName, " ", MiddleName, LastName)',
                    FirstName="Ada", LastName="Lovelace") == "Ada Lovelace"
    assert evaluate("concat(Missing)") == ""


def test_equality_with_none_is_plain() -> None:
    assert evaluate("X == None") is True
    assert evaluate("X != None", X="a") is True
    assert evaluate("X in (None, 1)") is True


# --- string functions ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ('lower("ÉLODIE Dupont")', "élodie dupont"),
    ('upper("élodie")', "ÉLODIE"),
    ('upper("straße")', "STRASSE"),
    ('trim("  Ada \\t")', "Ada"),
    ('trim("\\u00a0Ada\\u00a0")', "Ada"),
    ('unaccent("Élodie Müller-Lefèvre")', "Elodie Muller-Lefevre"),
    ('unaccent("Søren Ærø Œuvre Straße Łódź Đorđe Þór Ðan")',
     "Soren Aero Oeuvre Strasse Lodz Dorde Thor Dan"),
    ('unaccent("ASCII stays")', "ASCII stays"),
    ('slug("  Élodie  Müller-Lefèvre ")', "elodie.muller.lefevre"),
    ('slug("Jean-Émile O\'Brien", sep="-")', "jean-emile-o-brien"),
    ('slug("Ada Lovelace", "_")', "ada_lovelace"),
    ('slug("Ada Lovelace", sep="")', "adalovelace"),
    ('slug("--")', ""),
    ('left("Lovelace", 3)', "Lov"),
    ('left("Ada", 10)', "Ada"),
    ('left("Ada", 0)', ""),
    ('left("Ada", -2)', ""),
    ('right("Lovelace", 4)', "lace"),
    ('right("Ada", 10)', "Ada"),
    ('right("Ada", 0)', ""),
    ('right("Ada", -1)', ""),
    ('replace("Le Bœuf", " ", "")', "LeBœuf"),
    ('replace("a-b-c", "-", ".")', "a.b.c"),
    ('replace("abc", "", "x")', "abc"),
    ('replace("a b", " ", None)', "ab"),
    ('concat("a", 1, True, 2.5)', "a1true2.5"),
    ('concat("Ada")', "Ada"),
    ('first_word("  Jean Pierre ")', "Jean"),
    ('first_word("   ")', ""),
    ('length("Élodie")', 6),
    ('length("")', 0),
])
def test_string_functions(text: str, expected: object) -> None:
    assert evaluate(text) == expected


def test_string_functions_work_on_the_text_of_other_values() -> None:
    assert evaluate("left(EmployeeId, 2)", EmployeeId=12345) == "12"
    assert evaluate("lower(Active)", Active=True) == "true"
    assert evaluate("concat(Start)", Start=date(2024, 3, 1)) == "2024-03-01"
    assert evaluate("length(Amount)", Amount=Decimal("10.50")) == 5


def test_the_slug_of_a_full_name() -> None:
    expression = compile_expression('slug(concat(FirstName, " ", LastName))')
    assert expression.evaluate({"FirstName": "Zoë", "LastName": "Le Bœuf"}) == "zoe.le.boeuf"
    assert expression.evaluate({"LastName": "Ødegård"}) == "odegard"


# --- coalesce, if_empty, lookup ------------------------------------------------------------

def test_coalesce_takes_the_first_value_that_is_not_none() -> None:
    assert evaluate("coalesce(Nickname, FirstName)", FirstName="Ada") == "Ada"
    assert evaluate("coalesce(Nickname, FirstName)", Nickname="", FirstName="Ada") == ""
    assert evaluate("coalesce(A, B, 3)") == 3


def test_coalesce_evaluates_later_arguments_only_when_needed() -> None:
    expression = compile_expression("coalesce(Start, date(Fallback))")
    assert expression.evaluate({"Start": date(2024, 1, 1), "Fallback": "garbage"}) == date(
        2024, 1, 1)


@pytest.mark.parametrize(("value", "expected"), [
    (None, "fallback"), ("", "fallback"), ("   ", "fallback"), ("Ada", "Ada"), (0, 0),
])
def test_if_empty(value: object, expected: object) -> None:
    assert evaluate('if_empty(X, "fallback")', X=value) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ('lookup("countries", Country)', "France"),
    ('lookup("countries", "DE")', None),
    ('lookup("countries", "DE", "Elsewhere")', "Elsewhere"),
    ('lookup("countries", "DE", default=Country)', "FR"),
    ('lookup("countries", Missing, default="none")', "none"),
    ('lookup("countries", Code)', "the answer"),
])
def test_lookup(text: str, expected: object) -> None:
    assert evaluate(text, Country="FR", Code=42) == expected


def test_lookup_tables_are_copied_at_compile_time() -> None:
    table = {"FR": "France"}
    expression = compile_expression('lookup("countries", "FR")', tables={"countries": table})
    table["FR"] = "changed"
    assert expression.evaluate({}) == "France"


# --- dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ('date("2024-02-29")', date(2024, 2, 29)),
    ('date(" 2024-02-29 ")', date(2024, 2, 29)),
    ('date("29/02/2024", format="%d/%m/%Y")', date(2024, 2, 29)),
    ('date("29/02/2024", "%d/%m/%Y")', date(2024, 2, 29)),
    ('date("")', None),
    ('date("  ")', None),
])
def test_date(text: str, expected: object) -> None:
    assert evaluate(text) == expected


def test_date_keeps_dates_and_takes_the_day_of_a_datetime() -> None:
    assert evaluate("date(D)", D=date(2024, 1, 2)) == date(2024, 1, 2)
    assert evaluate("date(D)", D=datetime(2024, 1, 2, 23, 0)) == date(2024, 1, 2)


def test_an_invalid_date_fails_the_evaluation_with_the_value() -> None:
    expression = compile_expression('date(BirthDate, format="%d/%m/%Y")')
    with pytest.raises(EvaluationError) as caught:
        expression.evaluate({"BirthDate": "31/02/1990"})
    assert caught.value.value == "31/02/1990"
    assert str(caught.value) == ('date(): `31/02/1990` is not a date in the format `%d/%m/%Y` '
                                 '(in `date(BirthDate, format="%d/%m/%Y")`)')
    assert isinstance(caught.value, HeadcountError)


def test_datetime_is_aware_of_its_time_zone() -> None:
    value = evaluate('datetime("2024-07-01 09:30", "%Y-%m-%d %H:%M", tz="Europe/Paris")')
    assert value == datetime(2024, 7, 1, 7, 30, tzinfo=UTC)
    assert isinstance(value, datetime)
    assert value.tzinfo == ZoneInfo("Europe/Paris")


def test_datetime_defaults_to_utc_and_keeps_an_offset_written_in_the_text() -> None:
    assert evaluate('datetime("2024-07-01 09:30", "%Y-%m-%d %H:%M")') == datetime(
        2024, 7, 1, 9, 30, tzinfo=UTC)
    assert evaluate('datetime("2024-07-01T09:30+0200", "%Y-%m-%dT%H:%M%z", tz="UTC")') == (
        datetime(2024, 7, 1, 7, 30, tzinfo=UTC))


def test_datetime_of_a_date_is_its_midnight_in_the_time_zone() -> None:
    value = evaluate('datetime(D, "%Y-%m-%d", tz="Europe/Paris")', D=date(2024, 1, 1))
    assert value == datetime(2024, 1, 1, tzinfo=ZoneInfo("Europe/Paris"))
    assert evaluate('datetime("", "%Y-%m-%d")') is None


def test_datetime_with_a_time_zone_from_the_values() -> None:
    expression = compile_expression('datetime(Start, "%Y-%m-%d %H:%M", tz=Site.TimeZone)')
    value = expression.evaluate({"Start": "2024-01-01 08:00", "Site.TimeZone": "Asia/Tokyo"})
    assert value == datetime(2023, 12, 31, 23, 0, tzinfo=UTC)
    with pytest.raises(EvaluationError, match="unknown time zone `Mars/Olympus`"):
        expression.evaluate({"Start": "2024-01-01 08:00", "Site.TimeZone": "Mars/Olympus"})


@pytest.mark.parametrize(("text", "expected"), [
    ('add_days(date("2024-02-28"), 1)', date(2024, 2, 29)),
    ('add_days(date("2024-03-01"), -1)', date(2024, 2, 29)),
    ('add_days(datetime("2024-03-30 12:00", "%Y-%m-%d %H:%M", tz="Europe/Paris"), 1)',
     datetime(2024, 3, 31, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))),
])
def test_add_days(text: str, expected: object) -> None:
    assert evaluate(text) == expected


def test_add_days_needs_a_date_and_a_whole_number() -> None:
    with pytest.raises(EvaluationError, match="parse text with date"):
        evaluate("add_days(D, 1)", D="2024-01-01")
    with pytest.raises(EvaluationError, match="whole number"):
        evaluate("add_days(D, N)", D=date(2024, 1, 1), N=1.5)
    with pytest.raises(EvaluationError, match="out of range"):
        evaluate("add_days(D, 1)", D=date.max)


@pytest.mark.parametrize(("text", "expected"), [
    ('format_date(D, "%d/%m/%Y")', "01/03/2024"),
    ('format_date(D, format="%Y%m%d")', "20240301"),
])
def test_format_date(text: str, expected: object) -> None:
    assert evaluate(text, D=date(2024, 3, 1)) == expected


def test_format_date_of_a_datetime() -> None:
    moment = datetime(2024, 3, 1, 8, 5, tzinfo=UTC)
    assert evaluate('format_date(T, "%Y-%m-%dT%H:%M%z")', T=moment) == "2024-03-01T08:05+0000"


def test_today_comes_from_the_clock_in_utc_by_default() -> None:
    expression = compile_expression(
        "today()", clock=lambda: datetime(2024, 12, 31, 23, 30, tzinfo=UTC))
    assert expression.evaluate({}) == date(2024, 12, 31)


def test_today_in_a_time_zone() -> None:
    def clock() -> datetime:
        return datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
    assert compile_expression('today("Europe/Paris")', clock=clock).evaluate({}) == date(
        2025, 1, 1)
    assert compile_expression('today(tz="America/New_York")', clock=clock).evaluate(
        {}) == date(2024, 12, 31)
    zone = compile_expression("today(tz=Site.TimeZone)", clock=clock)
    assert zone.evaluate({"Site.TimeZone": "Asia/Tokyo"}) == date(2025, 1, 1)


def test_the_today_argument_of_evaluate_overrides_the_clock() -> None:
    expression = compile_expression('add_days(today("Europe/Paris"), 1)')
    assert expression.evaluate({}, today=date(2024, 2, 28)) == date(2024, 2, 29)


def test_today_reads_the_real_clock_when_none_is_given() -> None:
    value = compile_expression("today()").evaluate({})
    assert value in {(datetime.now(UTC) + timedelta(days=d)).date() for d in (-1, 0)}


def test_today_is_never_folded_into_a_constant() -> None:
    moments = iter([datetime(2024, 1, 1, tzinfo=UTC),
                    datetime(2024, 1, 2, tzinfo=UTC)])
    expression = compile_expression('format_date(today(), "%d")', clock=lambda: next(moments))
    assert [expression.evaluate({}), expression.evaluate({})] == ["01", "02"]


# --- evaluation errors ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "values", "message"), [
    ('"a" + X', {"X": 1}, "cannot add `str` and `int`; concat() joins"),
    ("X + 1", {"X": True}, "cannot add `bool` and `int`"),
    ("X < 1", {"X": "a"}, "cannot compare `str` and `int` with `<`"),
    ("1 in X", {"X": "abc"}, "cannot look for `int` in `str`"),
    ("-X", {"X": "a"}, "`'a'` is not a number"),
    ("left(X, N)", {"X": "abc", "N": "2"}, "left(): the length must be a whole number"),
    ("slug(X, sep=S)", {"X": "abc", "S": 1}, "slug(): the separator must be text"),
    ("date(X)", {"X": 20240101}, "date(): `20240101` is not a text to read a date from"),
    ("format_date(X, F)", {"X": date(2024, 1, 1), "F": 1}, "format must be text"),
    ("lower(X)", {"X": ["a"]}, "lower(): `['a']` is not a single value"),
    ('lookup("countries", X)', {"X": {"a": 1}}, "lookup(): `{'a': 1}` is not a single value"),
])
def test_evaluation_errors(text: str, values: dict[str, object], message: str) -> None:
    with pytest.raises(EvaluationError) as caught:
        compile_expression(text, tables=TABLES).evaluate(values)
    assert message in str(caught.value)
    assert f"(in `{text}`)" in str(caught.value)


# --- compile-time rejections ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("Name[0]", "column 1: subscripts (`x[...]`) are not allowed: `Name[0]`"),
    ("lambda x: x", "column 1: lambdas are not allowed"),
    ("[x for x in Names]", "column 1: comprehensions are not allowed"),
    ("{x: 1 for x in Names}", "column 1: comprehensions are not allowed"),
    ("(x for x in Names)", "column 1: comprehensions are not allowed"),
    ('lower(Name) + Name.lower()',
     "column 15: method calls are not allowed: `Name.lower()`; write `lower(Name)`"),
    ('Name.replace("a", "b")', "write `replace(Name, ...)`"),
    ("Name.strip()", "method calls are not allowed: `Name.strip()`; call functions by name"),
    ("lower(Name).Length", "attributes are only allowed in dotted names such as"),
    ("Name.__class__", "names starting with `__` are not allowed: `__class__`"),
    ("__builtins__", "names starting with `__` are not allowed: `__builtins__`"),
    ('__import__("os")', "unknown function `__import__()`"),
    ("lowr(Name)", "column 1: unknown function `lowr()`; did you mean `lower()`?"),
    ("frobnicate(Name)", "the functions are: add_days, coalesce, concat"),
    ("slugify(Name)", "did you mean `slug()`?"),
    ("concat(*Names)", "column 8: star arguments are not allowed: `*Names`"),
    ("lower(**Names)", "column 7: `**` arguments are not allowed"),
    ('slug(Name, sepp="-")', 'column 12: slug() has no parameter `sepp`: slug(s, sep=".")'),
    ("left(s=Name, n=2)", "column 6: `s` of left() cannot be given by name: left(s, n)"),
    ('concat(a="x")', "concat() takes no named arguments"),
    ('slug(Name, sep="-", sep=".")', "slug() is given `sep` twice"),
    ('slug(Name, ".", sep="-")', "slug() is given `sep` twice"),
    ("left(Name)", "left() is missing `n`: left(s, n)"),
    ('left(Name, 1, 2)', "left() takes at most 2 arguments, 3 given: left(s, n)"),
    ("concat()", "concat() needs at least 1 argument"),
    ('datetime("2024-01-01")', "datetime() is missing `format`"),
    ("lower(Name)(Name)", "only functions called by name are allowed"),
    ("Age - 1", "the operator `-` is not allowed (only `+` is): `Age - 1`"),
    ("Age * 2", "the operator `*` is not allowed"),
    ("~Age", "the operator `~` is not allowed"),
    ("Name is None", "`is` is not allowed; compare with `==` or `!=`"),
    ("(x := 1)", "assignments (`:=`) are not allowed"),
    ('f"{Name}"', "f-strings are not allowed"),
    ('b"x"', "bytes literals are not allowed"),
    ("1j", "complex literals are not allowed"),
    ("...", "`...` are not allowed"),
    ("(1, 2)", "tuples are (a list of literals is allowed after `in`) not allowed"),
    ("{1: 2}", "dictionaries are not allowed"),
    ("Name in (Other, 2)", "the list after `in` may only hold literals: `Other`"),
    ('lookup("contries", Code)', "column 8: unknown table `contries`; did you mean `countries`?"),
    ('lookup("zzz", Code)', "unknown table `zzz`; the tables are: countries"),
    ("lookup(Table, Code)", "the table of lookup() must be written as a text"),
    ('today("Mars/Olympus")', "today(): unknown time zone `Mars/Olympus`"),
    ('date("2024-02-30")', "date(): `2024-02-30` is not a date in the format `%Y-%m-%d`"),
    ('"a" + 1', "cannot add `str` and `int`"),
    ("Name +", "invalid syntax"),
    ("concat(Name,", "'(' was never closed"),
    ("", "the expression is empty"),
    ("   ", "the expression is empty"),
    ('replace(Name, "\\d", "")', "invalid escape sequence"),
])
def test_rejections_name_the_column_and_what_is_not_allowed(text: str, message: str) -> None:
    assert message in str(rejection(text))


def test_columns_count_characters_and_lines() -> None:
    error = rejection("é + Name[0]")
    assert (error.line, error.column) == (1, 5)
    assert str(error).startswith("column 5: ")
    error = rejection("  Name[0]")
    assert error.column == 3
    error = rejection('(\n  lower(Name) +\n  Name[0])')
    assert (error.line, error.column) == (3, 3)
    assert str(error).startswith("line 3, column 3: ")


def test_lookup_without_tables_says_none_are_defined() -> None:
    with pytest.raises(ExpressionError, match="no tables are defined"):
        compile_expression('lookup("countries", Code)')


def test_expression_error_is_a_configuration_error() -> None:
    error = rejection("Name[0]")
    assert isinstance(error, HeadcountError)
    assert error.exit_code == 2
    assert error.reason == "subscripts (`x[...]`) are not allowed: `Name[0]`"
    assert error.text == "Name[0]"


def test_too_long_or_too_deep_expressions_are_refused() -> None:
    assert "longer than" in str(rejection("a + " * 3000 + "a"))
    assert "nested more than" in str(rejection("lower(" * 150 + "a" + ")" * 150))
    assert "nested" in str(rejection("a + " * 2400 + "a"))


@pytest.mark.parametrize("text", [
    "a", "a.b", "lower(a)", "a if b else c", "a and b or not c", "a == 1", '"x" in a',
    'slug(a, sep="-")', 'date(a, format="%d")', 'datetime(a, format="%d", tz="UTC")',
    'today(tz="UTC")', 'lookup("countries", a, default="x")', "format_date(a, format=b)",
])
def test_documented_keyword_arguments_and_forms_compile(text: str) -> None:
    assert isinstance(compile_expression(text, tables=TABLES), Expression)


def test_evaluation_never_uses_eval_or_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    expression = compile_expression('slug(concat(FirstName, " ", LastName)) if Active else ""')

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval/exec called")
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    values = {"FirstName": "Ada", "LastName": "Lovelace", "Active": True}
    assert expression.evaluate(values) == "ada.lovelace"


# --- properties ----------------------------------------------------------------------------

LATIN_1_LETTERS = "".join(c for c in map(chr, range(256)) if c.isalpha())


@given(text=st.text(), sep=st.sampled_from([".", "-", "_", "--"]))
def test_slug_holds_only_lowercase_letters_digits_and_the_separator(text: str, sep: str) -> None:
    result = compile_expression("slug(X, sep=S)").evaluate({"X": text, "S": sep})
    assert isinstance(result, str)
    assert re.fullmatch(f"([a-z0-9]+({re.escape(sep)}[a-z0-9]+)*)?", result), result
    assert not result.startswith(sep)
    assert not result.endswith(sep)


@given(text=st.text())
def test_slug_is_idempotent(text: str) -> None:
    once = compile_expression("slug(X)").evaluate({"X": text})
    assert compile_expression("slug(X)").evaluate({"X": once}) == once


@given(text=st.text(alphabet=LATIN_1_LETTERS))
def test_unaccent_gives_ascii_for_latin_1_letters(text: str) -> None:
    result = compile_expression("unaccent(X)").evaluate({"X": text})
    assert isinstance(result, str)
    assert result.isascii()
    assert result.isalpha() or not text


@given(text=st.text())
def test_unaccent_leaves_ascii_alone(text: str) -> None:
    ascii_text = text.encode("ascii", "ignore").decode()
    assert compile_expression("unaccent(X)").evaluate({"X": ascii_text}) == ascii_text


# --- documentation, surface, speed ---------------------------------------------------------

@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_is_documented_with_an_example(name: str) -> None:
    usage = FUNCTIONS[name].usage
    assert f"### `{usage}`" in DOC, f"docs/expressions.md has no heading for {usage}"
    section = DOC.split(f"### `{usage}`", 1)[1].split("\n### ", 1)[0]
    assert f"{name}(" in section.split("```", 1)[-1], f"no example of {name}()"


def test_every_documented_function_exists() -> None:
    documented = set(re.findall(r"^### `(\w+)\(", DOC, flags=re.MULTILINE))
    assert documented == set(FUNCTIONS)


def test_the_public_surface() -> None:
    assert sorted(expressions.__all__) == [
        "EvaluationError", "Expression", "ExpressionError", "compile_expression"]


@pytest.mark.slow
def test_many_evaluations_stay_correct() -> None:
    expression = compile_expression('slug(concat(FirstName, " ", LastName))')
    rows = [{"FirstName": f"Jean{i}", "LastName": "Le Bœuf" if i % 2 else "Dupont"}
            for i in range(100)]
    evaluate_row = expression.evaluate
    results = [evaluate_row(row) for _ in range(2_000) for row in rows]
    assert len(results) == 200_000
    assert results[:2] == ["jean0.dupont", "jean1.le.boeuf"]
    assert results[-100:] == results[:100]
