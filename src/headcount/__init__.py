"""headcount: an open-source identity manager whose heart is the HR connector."""

__version__ = "0.1.0"

__all__ = ["__version__"]
