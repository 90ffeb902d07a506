"""Developer tools kept in the repository (not shipped in the Lambda or the wheel)."""
