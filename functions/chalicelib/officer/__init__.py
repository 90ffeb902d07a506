"""The officers' front door: signed requests, and (as they land) its routes and handlers."""
