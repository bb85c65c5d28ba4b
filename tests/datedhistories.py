"""Dated HR histories for property tests (SPEC §8): sequences of HR files of a small company —
joiners, movers, leavers, rehires, re-keys, future dates — and how a test runs and compares
them (tests/policy/test_twice.py; tests/fulfillment/test_twice_workflows.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st

from datedproject import Scenario, at
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.repository import runs

BASE = at("2026-11-26T08:00:00")
NAMES = {"E1": ("Alice", "Martin"), "E2": ("Bruno", "Petit"), "E3": ("Jean", "Dupont"),
         "E4": ("Jean", "Dupont"), "E5": ("Chloé", "Durand"), "E6": ("Emi", "Tanaka")}
# E3 and E4 are one person to the correlation (names and birth date): E4 in a file without E3
# is E3 back under a new key (a re-key), E4 beside E3 a homonym.
BORN = {"E3": "02/02/1980", "E4": "02/02/1980"}
# Dates around the days the files are run: in the past, on the day, in the future.
OFFSETS = st.integers(min_value=-400, max_value=60)


def day(offset: int) -> str:
    return (BASE + timedelta(days=offset)).strftime("%d/%m/%Y")


@st.composite
def person(draw: st.DrawFn, employee: str) -> tuple[str, ...]:
    first, last = NAMES[employee]
    start = draw(OFFSETS)
    end = draw(st.one_of(st.just(""), st.integers(min_value=start, max_value=start + 300)
                         .map(day)))
    moved = draw(st.one_of(st.just(""), st.integers(min_value=start, max_value=start + 120)
                           .map(day)))
    return (employee, first, last, draw(st.sampled_from(["Analyst", "Engineer", "CFO"])),
            draw(st.sampled_from(["ROOT", "FIN", "IT"])), draw(st.sampled_from(["PAR", "TYO"])),
            "" if employee == "E1" else "E1",
            draw(st.sampled_from(["permanent", "fixed-term", "contractor"])),
            day(start), end, moved, BORN.get(employee, ""))


@st.composite
def hr_file(draw: st.DrawFn) -> list[tuple[str, ...]]:
    present = draw(st.lists(st.sampled_from(sorted(NAMES)), min_size=1, max_size=6,
                            unique=True))
    return [draw(person(e)) for e in sorted(present)]


@st.composite
def days(draw: st.DrawFn) -> list[tuple[int, list[tuple[str, ...]]]]:
    """(days after the first, the file of that day), in order: a new file, or the day before's
    with one person changed (a mover), removed (a leaver) or back with a new contract (a
    rehire, within the retention or after it)."""
    gaps = draw(st.lists(st.integers(min_value=0, max_value=45), min_size=2, max_size=4))
    out: list[tuple[int, list[tuple[str, ...]]]] = []
    gone: dict[str, tuple[str, ...]] = {}
    elapsed = 0
    for gap in gaps:
        elapsed += gap
        step: str = draw(st.sampled_from(["file", "change", "remove", "return"]))
        previous = out[-1][1] if out else []
        if step == "change" and previous:
            index = draw(st.integers(min_value=0, max_value=len(previous) - 1))
            people = [*previous[:index], draw(person(previous[index][0])),
                      *previous[index + 1:]]
        elif step == "remove" and len(previous) > 1:
            index = draw(st.integers(min_value=0, max_value=len(previous) - 1))
            gone[previous[index][0]] = previous[index]
            people = [*previous[:index], *previous[index + 1:]]
        elif step == "return" and set(gone) - {p[0] for p in previous}:
            employee = draw(st.sampled_from(sorted(set(gone) - {p[0] for p in previous})))
            back = list(gone.pop(employee))
            back[8], back[9] = day(elapsed + draw(st.integers(min_value=-5, max_value=20))), ""
            people = sorted([*previous, tuple(back)])
        else:
            people = draw(hr_file())
        out.append((elapsed, people))
    return out


def repository(s: Scenario) -> dict[str, Any]:
    with s.ctx.engine.connect() as conn:
        res = sorted((e, k, d) for e, k, d in conn.execute(sa.text(
            "SELECT entity_type, key, data FROM resources")))
        lnk = sorted((str(a), str(b), str(c)) for a, b, c in conn.execute(sa.text(
            "SELECT r.key, l.navigation, l.target_key FROM links l "
            "JOIN resources r ON r.id = l.source_id")))
    return {"resources": res, "links": lnk}


def run(s: Scenario, when: int) -> runs.RunRecord:
    # Forced: a company of six crosses every brake; the brakes are not what is tested here.
    record = synchronize(s.ctx, SyncRequest("HR", now=BASE + timedelta(days=when), force=True,
                                            reason="property test"))
    assert record.state in (runs.SUCCEEDED, runs.WARNINGS), (record.message, record.counters)
    return record
