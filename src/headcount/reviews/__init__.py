"""Reviews (SPEC §6.4, §10): values people change by hand in the Directory, and the Resource
Reconciliation of those that HR computes."""
