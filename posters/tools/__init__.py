"""Maintainer tools for the posters package (run by hand, not at poster time)."""
