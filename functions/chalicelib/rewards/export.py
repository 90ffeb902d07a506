"""The export: the rule data as JSON for the site's JavaScript calculator.

Why a module of its own: ``assets/reward-rules.json`` is the contract between this package
and ``reward-engine.js``; everything the script needs (bounds, labels, messages, every
rule set) is gathered here, so its format has one owner and one version number.

What the site publishes is ``public_rule_sets``: the same rules with each citation reduced
to what a reader is shown (the document, its English name, the article). How sure the
research is of a source (the certainty tag), where it was read and the researchers' notes
stay in ``rulesets/*.toml`` and the developers' docs; they are no rule and no citizen's
business, and once published they read as the office's doubts about its own rules.
"""

from __future__ import annotations

from typing import Any

from ..reports.models import KIND_LABELS
from .loader import default_rule_set_name, engine_data, rule_sets
from .schema import MAX_CONCEALED_DEATHS, MAX_FINE_YUAN, MAX_JOINT_REPORTERS, MAX_REPORT_ORDER

FORMAT_VERSION = 1


def export_rule_sets(default: str | None = None) -> dict[str, Any]:
    """Everything ``reward-engine.js`` needs, as JSON-able data.

    The site writes this to ``assets/reward-rules.json`` at build time; the script then
    applies exactly the rules this module applies.
    """
    engine = engine_data()
    return {
        "format": FORMAT_VERSION,
        "default_rule_set": default or default_rule_set_name(),
        "limits": {
            "max_fine_yuan": MAX_FINE_YUAN,
            "max_report_order": MAX_REPORT_ORDER,
            "max_joint_reporters": MAX_JOINT_REPORTERS,
            "max_concealed_deaths": MAX_CONCEALED_DEATHS,
        },
        "kinds": {kind.value: {"zh": zh, "en": en} for kind, (zh, en) in KIND_LABELS.items()},
        "grades": {k: v.model_dump(mode="json") for k, v in engine.grades.items()},
        "rounding_modes": {k: v.model_dump(mode="json") for k, v in engine.rounding_modes.items()},
        "messages": {k: v.model_dump(mode="json") for k, v in engine.messages.items()},
        "rule_sets": {name: rs.model_dump(mode="json") for name, rs in rule_sets().items()},
    }


PUBLIC_CITATION_FIELDS = ("document", "document_en", "article")


def public_citation(citation: dict[str, Any]) -> dict[str, Any]:
    """A citation as the public sees it: the document and the article, nothing else."""
    return {key: citation.get(key, "") for key in PUBLIC_CITATION_FIELDS}


def _public(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _public(v, k) for k, v in node.items()}
    if isinstance(node, list):
        if key.endswith("citations"):
            return [public_citation(c) for c in node]
        return [_public(item) for item in node]
    return node


def public_rule_sets(default: str | None = None) -> dict[str, Any]:
    """``export_rule_sets`` as the site publishes it (``assets/reward-rules.json``): every
    ``*citations`` list reduced to ``public_citation``. The engine's answers are the same;
    their steps cite the same documents and articles."""
    return dict(_public(export_rule_sets(default)))
