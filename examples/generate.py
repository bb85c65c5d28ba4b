"""Generate the sample project's HR files into examples/hr/data (and data/next_day).

The generator itself ships with the package (`headcount.samples.hrfiles`) so that
`headcount init` can write the same sample project anywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

from headcount.samples.hrfiles import main

if __name__ == "__main__":
    default_out = Path(__file__).resolve().parent / "hr" / "data"
    args = sys.argv[1:]
    main(args if "--out" in args else [*args, "--out", str(default_out)])
