"""The workflow engine: definitions, activities, tasks inbox (SPEC §7.3)."""
