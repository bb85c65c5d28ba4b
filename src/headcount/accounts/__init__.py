"""Managed systems' accounts (SPEC §10): their owners, the review of orphaned, unused and
owner-left accounts, the decisions and the deprovisioning orders they give."""
