"""Status reports: the store, the importer, derived status classes and demonstration data."""
