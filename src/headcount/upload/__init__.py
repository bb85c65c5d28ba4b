"""Manual upload (SPEC §9): workbooks HR staff fill, read safely, verified and fed to the same
prepare and synchronize engine as HR files."""
