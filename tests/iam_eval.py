"""A small IAM policy evaluator for the tests: identity policies, Allow and Deny, wildcards.

What AWS does for one identity-based policy (no resource policies, boundaries or SCPs):
an explicit ``Deny`` whose action, resource and conditions match wins; otherwise an
``Allow`` that matches allows; otherwise the request is implicitly denied. Actions match
case-insensitively, resources case-sensitively, both with ``*`` and ``?`` wildcards.
Conditions: the operators these policies use; any other operator makes the evaluator
fail loudly rather than guess.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Context = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Context = field(default_factory=dict)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _values(context: Context, key: str) -> list[str] | None:
    if key not in context:
        return None
    value = context[key]
    return [value] if isinstance(value, str) else list(value)


def _match(operator: str, actual: str, wanted: str) -> bool:
    if operator == "StringEquals":
        return actual == wanted
    if operator == "StringLike":
        return fnmatch.fnmatchcase(actual, wanted)
    raise ValueError(f"condition operator {operator} not understood by the test evaluator")


_OPERATORS = {"StringEquals", "StringLike"}


def _condition(operator: str, key: str, wanted: Any, context: Context) -> bool:
    base_operator = operator.split(":")[-1].replace("Not", "", 1).removesuffix("IfExists")
    if operator != "Null" and base_operator not in _OPERATORS:
        raise ValueError(f"condition operator {operator} not understood by the test evaluator")
    actual = _values(context, key)
    wanted_list = [str(w) for w in _listed(wanted)]
    if operator == "Null":
        return (actual is None) == (wanted_list == ["true"])
    if operator.startswith("ForAllValues:"):
        base = operator.split(":", 1)[1]
        # true for a missing or empty key: the trap the policies close with Null
        return all(any(_match(base, a, w) for w in wanted_list) for a in actual or [])
    if operator.startswith("ForAnyValue:"):
        base = operator.split(":", 1)[1]
        return any(any(_match(base, a, w) for w in wanted_list) for a in actual or [])
    negated = operator.startswith("StringNot")
    base = operator.replace("Not", "", 1) if negated else operator
    if base.endswith("IfExists"):
        if actual is None:
            return True
        base = base.removesuffix("IfExists")
    if actual is None:
        return negated
    if len(actual) != 1:
        raise ValueError(f"{key} is multivalued: use ForAllValues/ForAnyValue")
    hit = any(_match(base, actual[0], w) for w in wanted_list)
    return not hit if negated else hit


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotAction" in statement or "NotResource" in statement or "Principal" in statement:
        raise ValueError("the test evaluator reads identity policies with Action and Resource")
    actions = _listed(statement["Action"])
    if not any(fnmatch.fnmatch(request.action.lower(), a.lower()) for a in actions):
        return False
    if not any(fnmatch.fnmatchcase(request.resource, r) for r in _listed(statement["Resource"])):
        return False
    for operator, tests in statement.get("Condition", {}).items():
        for key, wanted in tests.items():
            if not _condition(operator, key, wanted, request.context):
                return False
    return True


def decide(policy: Mapping[str, Any], request: Request) -> str:
    """``"Allow"``, ``"ExplicitDeny"`` or ``"ImplicitDeny"``."""
    statements = policy["Statement"]
    if any(s["Effect"] == "Deny" and _applies(s, request) for s in statements):
        return "ExplicitDeny"
    if any(s["Effect"] == "Allow" and _applies(s, request) for s in statements):
        return "Allow"
    return "ImplicitDeny"


def allowed(policy: Mapping[str, Any], request: Request) -> bool:
    return decide(policy, request) == "Allow"
