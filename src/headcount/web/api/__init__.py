"""The REST API under /api, documented by OpenAPI: everything the pages do."""
