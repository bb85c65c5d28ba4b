"""The sample HR project that `headcount init` writes and `make demo` runs."""
