"""Build-time helpers of the publicity site (used by ``hooks/jubao_hooks.py``)."""
