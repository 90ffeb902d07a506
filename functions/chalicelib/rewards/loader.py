"""Reading the rule sets: ``rulesets/*.toml`` to validated ``RuleSet`` objects.

Why a module of its own: the files are written for people (a child rule set ``extends`` a
parent and overrides only what differs; citations name a source id from ``_engine.toml``
instead of repeating it), so they need merging and resolving before ``schema`` can check
them. Loading is cached: the files ship with the code and do not change while it runs.
The ``rulesets`` directory stays next to this package, in ``chalicelib/rulesets/``.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from .schema import NAME, Citation, EngineData, RuleSet, RuleSetError

RULESETS_DIR = Path(__file__).parent.parent / "rulesets"
ENGINE_FILE = "_engine.toml"


@lru_cache(maxsize=1)
def engine_data() -> EngineData:
    with (RULESETS_DIR / ENGINE_FILE).open("rb") as fh:
        return EngineData.model_validate(tomllib.load(fh))


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else (lists included) is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve_citations(node: Any, sources: dict[str, Citation], where: str) -> Any:
    """Replace every ``*citations = ["id", ...]`` list by the cited sources."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key.endswith("citations") and isinstance(value, list):
                unknown = [ref for ref in value if ref not in sources]
                if unknown:
                    raise RuleSetError(f"{where}: unknown source ids {unknown}")
                out[key] = [sources[ref].model_dump() for ref in value]
            else:
                out[key] = _resolve_citations(value, sources, where)
        return out
    if isinstance(node, list):
        return [_resolve_citations(item, sources, where) for item in node]
    return node


def _raw_rule_set(name: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    if name in seen:
        raise RuleSetError(f"rule set {name!r} extends itself")
    path = RULESETS_DIR / f"{name}.toml"
    if not re.match(NAME, name) or not path.is_file():
        raise RuleSetError(f"未知的奖励规则集：{name} / Unknown reward rule set: {name}")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    merged = _merge(_raw_rule_set(str(parent), (*seen, name)), data)
    # a child that maps kinds anew drops the parent's now unused formulas
    used = set(merged.get("kinds", {}).values())
    merged["formulas"] = {k: v for k, v in merged.get("formulas", {}).items() if k in used}
    return merged


@lru_cache(maxsize=32)
def load_rule_set(name: str) -> RuleSet:
    """The validated rule set ``rulesets/<name>.toml`` (``extends`` resolved)."""
    raw = _resolve_citations(_raw_rule_set(name), engine_data().sources, name)
    rule_set = RuleSet.model_validate(raw)
    if rule_set.name != name:
        raise RuleSetError(f"{name}.toml declares name {rule_set.name!r}")
    return rule_set


def rule_set_names() -> list[str]:
    return sorted(p.stem for p in RULESETS_DIR.glob("*.toml") if not p.stem.startswith("_"))


def rule_sets() -> dict[str, RuleSet]:
    """Every shipped rule set by name."""
    return {name: load_rule_set(name) for name in rule_set_names()}


def default_rule_set_name() -> str:
    """The office's configured rule set (``[rules] reward_rule_set`` of the office file)."""
    from ..config.settings import from_env, office_for  # only the default needs the office

    return office_for(from_env()).rules.reward_rule_set
