"""The officers' request handlers: authenticate, check the rules, audit, answer.

Every handler starts with ``authenticate`` (the RFC 9421 signature and the nonce) and ends
with an audit entry written before the answer leaves: an officer never sees content whose
reading was not recorded. Every refusal is recorded too, signed by the server, in the
log of the unit it concerns. The server only passes sealed envelopes on; it cannot open
them, and it trims each envelope to the wrapped keys meant for the officer asking.

``requests`` (authentication, refusals, reading a request), ``reading`` (cases,
attachments, identities), ``granting`` (grants and their kin), ``logs`` (the audit log and
key events). The case workflow (part 2) gets a module of its own beside them.
"""

from .granting import escalate, exclude, grant, revoke, transfer
from .logs import (
    audit_checkpoint,
    audit_checkpoints,
    audit_consistency,
    audit_cosign,
    audit_entries,
    audit_inclusion,
    key_event,
)
from .reading import get_attachment, get_case, get_identity, list_cases, me
from .requests import Caller, authenticate, refuse

__all__ = [
    "Caller",
    "audit_checkpoint",
    "audit_checkpoints",
    "audit_consistency",
    "audit_cosign",
    "audit_entries",
    "audit_inclusion",
    "authenticate",
    "escalate",
    "exclude",
    "get_attachment",
    "get_case",
    "get_identity",
    "grant",
    "key_event",
    "list_cases",
    "me",
    "refuse",
    "revoke",
    "transfer",
]
