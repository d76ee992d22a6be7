"""One module per app-store schema revision."""
