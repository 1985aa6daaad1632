"""Ground floor: the dataset's contract, loaders, geometry helpers, validation, names and formats."""
