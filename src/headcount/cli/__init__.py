"""The command line: `headcount …`, commands grouped by noun."""
