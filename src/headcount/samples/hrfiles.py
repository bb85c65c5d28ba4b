"""Generate the HR files of the sample project `examples/hr` (SPEC §3–§4).

Four files, each with the traits real HR exports have:

- `hr_people.csv`: `;`-separated, latin-1, `\\n` line endings, dates written dd/mm/yyyy, accented
  European names, homonyms, stray spaces, a quoted title, managers listed after their reports,
  fixed-term contracts with an end date, contract dates in the future;
- `hr_organizations.csv`: a tree of organizations, UTF-8 with a BOM, CRLF line endings, names
  holding commas and quotes, parents listed after their children;
- `hr_sites.csv`: sites in several time zones, UTF-8 (with non-latin characters);
- `hr_contract_types.csv`: the reference table of contract types (external or not, the prefix
  of their logins), from which the sample computes its user types.

A "next day" set, with the same dialects, holds joiners, movers, leavers, announced end dates,
conversions (a contractor who leaves and comes back as an employee under a new EmployeeId, same
names and birth date), a new organization and a renamed one: few enough changes to stay under the
default thresholds.

The output only depends on the arguments: running it twice gives byte-identical files.

    python examples/generate.py                 # day one in DIR, the next day in DIR/next_day
    python examples/generate.py --next-day      # the next day in DIR, in place of day one
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from headcount.samples.dayone import generate_day_one
from headcount.samples.hrpeople import (
    AD_EXPORT,
    CONTRACT_TYPE_COLUMNS,
    CONTRACT_TYPE_ROWS,
    CONTRACT_TYPES_FILE,
    DEFAULT_PEOPLE,
    DEFAULT_SEED,
    DEFAULT_TODAY,
    EMAIL_DOMAIN,
    MIN_PEOPLE,
    NEXT_DAY_DIR,
    ORGANIZATION_COLUMNS,
    ORGANIZATIONS_FILE,
    PEOPLE_COLUMNS,
    PEOPLE_FILE,
    SITE_COLUMNS,
    SITES_FILE,
    Dataset,
    Organization,
    Person,
    ascii_slug,
    employee_id,
)
from headcount.samples.nextday import NextDayCounts, generate_next_day

DEFAULT_OUT = Path("data")

# The names the sample's callers (the CLI, the tests, the benchmarks) import from here.
__all__ = [
    "CONTRACT_TYPE_ROWS", "DEFAULT_PEOPLE", "DEFAULT_SEED", "DEFAULT_TODAY", "EMAIL_DOMAIN",
    "MIN_PEOPLE", "PEOPLE_COLUMNS", "Dataset", "NextDayCounts", "Organization", "Person",
    "ascii_slug", "employee_id", "generate_day_one", "generate_next_day", "main",
    "write_contract_types", "write_dataset",
]

# --------------------------------------------------------------------------------------------
# Writing


def write_dataset(data: Dataset, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / PEOPLE_FILE).open("w", encoding="latin-1", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(PEOPLE_COLUMNS)
        writer.writerows(p.row() for p in data.people)
    with (out / ORGANIZATIONS_FILE).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=",", lineterminator="\r\n")
        writer.writerow(ORGANIZATION_COLUMNS)
        writer.writerows([o.code, o.name, o.parent_code, o.manager_id]
                         for o in data.organizations)
    with (out / SITES_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=",", lineterminator="\n")
        writer.writerow(SITE_COLUMNS)
        writer.writerows([s.code, s.name, s.city, s.country, s.timezone] for s in data.sites)
    write_contract_types(out)


def write_contract_types(out: Path) -> None:
    """The reference table of contract types: the same every day."""
    with (out / CONTRACT_TYPES_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=",", lineterminator="\n")
        writer.writerow(CONTRACT_TYPE_COLUMNS)
        writer.writerows(CONTRACT_TYPE_ROWS)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output folder (default: ./data)")
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE,
                        help=f"number of people on day one (default {DEFAULT_PEOPLE}, "
                             f"at least {MIN_PEOPLE})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY,
                        help=f"the date of day one, YYYY-MM-DD (default {DEFAULT_TODAY})")
    parser.add_argument("--next-day", action="store_true",
                        help="write the next-day files in OUT, in place of the day-one files")
    args = parser.parse_args(argv)
    if args.people < MIN_PEOPLE:
        parser.error(f"--people must be at least {MIN_PEOPLE}")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    out: Path = args.out
    day_one = generate_day_one(args.people, args.seed, args.today)
    next_day = generate_next_day(day_one, args.seed)
    if args.next_day:
        write_dataset(next_day, out)
        print(f"next day ({next_day.today}) written to {out}")
    else:
        write_dataset(day_one, out)
        write_dataset(next_day, out / NEXT_DAY_DIR)
        print(f"day one ({day_one.today}) written to {out}, "
              f"next day to {out / NEXT_DAY_DIR}")
        # The sample's Active Directory (samples/ad.yaml reads it): accounts of the people as
        # they are after the next day, with orphans, leavers' and unused accounts to review.
        from headcount.samples.directory import for_sample
        from headcount.samples.directoryfiles import write_ad_ldif

        try:
            write_ad_ldif(for_sample(day_one, next_day), out / AD_EXPORT)
        except ValueError as exc:  # too few people for every category of account
            print(f"no {AD_EXPORT}: {exc}")
        else:
            print(f"directory export written to {out / AD_EXPORT}")


if __name__ == "__main__":
    main()
