"""Synchronization: prepare → diff → thresholds → apply; modes; change sets."""
