"""Finding units by code or name and converting old units to new ones."""
