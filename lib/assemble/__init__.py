"""Turning the public sources into the bundled dataset (crosswalk, provenance, old-commune layer)."""
