"""The officers' audit trail as a transparency log (RFC 6962 / RFC 9162, C2SP checkpoints).

Every officer access becomes a leaf of an append-only Merkle tree, one tree per unit;
the server signs checkpoints of it and the unit above cosigns them as a witness, so
an edit, a removal, a reordering, an insertion, a truncation or a split view is
visible to anyone holding the entries and the public keys. One job per module:
``merkle`` (the tree), ``entries`` (what a leaf says), ``checkpoint`` (signed tree
heads) and ``verify`` (all of it checked together). No storage code lives here.
"""
