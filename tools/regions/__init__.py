"""The generator of the office's region list from a maintained division-code package."""
