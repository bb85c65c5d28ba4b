"""The web UI and REST API (SPEC §12): FastAPI, server-rendered pages, htmx."""
