"""Manual upload (SPEC §9): workbooks filled by HR staff, read safely and fed to the same prepare /
synchronize engine as HR files. Nothing is re-exported here: `repository/` imports
`upload.escape`, so this package must stay free of imports that would lead back to it."""
