"""How the stages evaluate their per-row polars work: one setting for every stage."""

from __future__ import annotations

from typing import Literal

# Each row's work on both cores: polars' streaming engine evaluates batches of rows in
# parallel, where an eager frame evaluates each expression on one thread (at 1M rows, the
# CSV read 1.6–1.8 → 1.0–1.1 s, prepare 2.1–2.5 → 1.0–1.3 s). The same rows in the same
# order: tests/sync/test_prepare.py compares it with "in-memory". Read at each call (as
# `frames.ENGINE`), so a test can switch it.
ENGINE: Literal["streaming", "in-memory"] = "streaming"
