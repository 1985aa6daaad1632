"""Library of the two-level government map: data building, loading, validation and computation."""
