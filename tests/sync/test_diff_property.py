"""Property: for any before and after tables, applying the change set computed between them to
"before" gives exactly "after" — resources, values and links (SPEC §4.1, §4.2)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headcount.repository import runs as R
from hrproject import hr_project

NO_LIMITS = {name: 10**9 for name in (
    "max_inserted", "max_updated", "max_deleted", "max_inserted_pct", "max_updated_pct",
    "max_deleted_pct", "max_links_inserted", "max_links_deleted", "max_links_inserted_pct",
    "max_links_deleted_pct")} | {"max_rows_drop_pct": 100}

names = st.text(alphabet="abcéèÇ ;,'-xyz", min_size=0, max_size=6)


@st.composite
def tables(draw: st.DrawFn) -> list[list[str]]:
    keys = draw(st.lists(st.integers(1, 30), min_size=1, max_size=20, unique=True))
    rows = []
    for k in keys:
        manager = draw(st.one_of(st.just(""), st.sampled_from([f"E{j}" for j in range(1, 32)])))
        org = draw(st.sampled_from(["", "O1", "O2", "O3"]))
        day = draw(st.integers(1, 28))
        first, last = draw(names).strip(), draw(names).strip()
        rows.append([f"E{k}", first, last, f"{day:02d}/01/2020" if day % 5 else "", manager, org])
    return rows


def _quote(rows: list[list[str]]) -> list[list[str]]:
    return [[f'"{v}"' if any(c in v for c in ",;\"'") else v for v in r] for r in rows]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=tables(), after=tables())
def test_applying_the_change_set_to_before_gives_after(before: list[list[str]],
                                                       after: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        with hr_project(Path(a), f"sqlite:///{a}/h.db", thresholds=NO_LIMITS) as hr:
            hr.write_people(_quote(before))
            assert hr.sync().state in (R.SUCCEEDED, R.WARNINGS)
            hr.write_people(_quote(after))
            run = hr.sync(mode="complete")
            assert run.state in (R.SUCCEEDED, R.WARNINGS), run.message
            synced = hr.state()
        with hr_project(Path(b), f"sqlite:///{b}/h.db", thresholds=NO_LIMITS) as fresh:
            fresh.write_people(_quote(after))
            assert fresh.sync().state in (R.SUCCEEDED, R.WARNINGS)
            expected = fresh.state()
        assert synced == expected
