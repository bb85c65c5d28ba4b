"""Reading sources: the reader interface, CSV files, transformations."""

from headcount.connections.csvfile import read_csv, resolve_path
from headcount.connections.reader import SourceFile, SourceTable

__all__ = ["SourceFile", "SourceTable", "read_csv", "resolve_path"]
