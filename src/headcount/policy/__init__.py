"""Policy: from HR resources to identities (SPEC §6) — resource types, correlation, rules and
their expressions, and the provisioning orders they produce."""
