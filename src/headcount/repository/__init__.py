"""Storage of resources, links, history (provenance), runs and deployments; migrations."""
