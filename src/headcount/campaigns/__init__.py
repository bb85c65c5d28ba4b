"""Review campaigns (SPEC §10, issue 10): the HR consistency campaign — the repository compared
with the latest HR data, field by field — and access certification campaigns — a scope of
identities or accounts certified by their reviewers, stage after stage. Items are created
set-wise, decided one by one or in bulk (each decision kept and audited), signed off, closed."""
