"""Generate N-row, 12-column HR files for the benchmarks (deterministic for a seed)."""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

HEADER = [
    "EmployeeId", "FirstName", "LastName", "Email", "Title", "Department", "Site",
    "ManagerId", "ContractType", "StartDate", "EndDate", "Phone",
]
FIRST = ["Anne", "Léa", "Marc", "Jürgen", "Zoé", "Noël", "Inès", "Paul", "Chloé", "Omar"]
LAST = ["Martin", "Bernard", "Dubois", "Müller", "García", "Nguyễn", "Rossi", "Søren", "Leroy"]
TITLES = ["Engineer", "Analyst", "Manager", "Technician", "Consultant", "Assistant"]


def employee_id(i: int) -> str:
    return f"E{i:07d}"


def row(i: int, rng: random.Random, variant: int = 0) -> list[str]:
    first, last = FIRST[i % len(FIRST)], LAST[(i // 7) % len(LAST)]
    manager = employee_id(i // 10) if i >= 10 else ""
    start = f"20{10 + i % 15:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}"
    end = f"2031-{1 + i % 12:02d}-28" if i % 9 == 0 else ""
    title = TITLES[(i + variant) % len(TITLES)]
    return [
        employee_id(i), first, last, f"{first}.{last}.{i}@example.com".lower(), title,
        f"D{(i // 50) % 400:04d}", f"S{i % 30:02d}", manager,
        "fixed-term" if end else "permanent", start, end, f"+33 1 {rng.randrange(10**8):08d}",
    ]


def write(path: Path, n: int, changed_pct: float = 0.0, seed: int = 1) -> None:
    """Write n rows; `changed_pct` of them (spread evenly) get another title."""
    rng = random.Random(seed)
    step = int(100 / changed_pct) if changed_pct else 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(n):
            out.writerow(row(i, rng, 1 if step and i % step == 0 else 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--changed-pct", type=float, default=0.0)
    args = parser.parse_args()
    write(args.path, args.rows, args.changed_pct)


if __name__ == "__main__":
    main()
