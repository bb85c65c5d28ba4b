"""HR files whose references stay pending for each reason a job result names: targets absent
from the file, a target set aside as invalid (a bad date), one set aside as a duplicate."""

from __future__ import annotations

from hrproject import HRProject

ABSENT = 230  # more than any sample a log line could hold
PENDING = ABSENT + 2
RESOLVED = ABSENT  # everyone's organization O1
WRITTEN = ABSENT * 2 + 2  # every link the files name


def write_files_with_pending(hr: HRProject) -> None:
    """E1…E230 have managers X1…X230 no file names; E9001's manager E9000 has a bad date
    (line 232) and its organization O3 two conflicting rows (lines 3 and 4 of orgs.csv)."""
    rows = [[f"E{i}", f"First{i}", f"Last{i}", "01/02/2020", f"X{i}", "O1"]
            for i in range(1, ABSENT + 1)]
    rows.append(["E9000", "Bad", "Date", "99/99/2020", "", "O1"])
    rows.append(["E9001", "Dup", "Org", "01/02/2020", "E9000", "O3"])
    hr.write_people(rows)
    hr.write_orgs([("O1", "Sales"), ("O3", "A"), ("O3", "B")])
