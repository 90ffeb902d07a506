"""The export: the rule data as JSON for the site's JavaScript calculator.

Why a module of its own: ``assets/reward-rules.json`` is the contract between this package
and ``reward-engine.js``; everything the script needs (bounds, labels, messages, every
rule set) is gathered here, so its format has one owner and one version number.
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
