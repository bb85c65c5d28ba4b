"""Fulfillment: carrying out provisioning orders (SPEC §7)."""
