"""Field paths: how a finding, or the office's own publication table, names one value.

Why a path syntax of its own: an office confirms values one by one, and a production
check must say exactly which value is still a placeholder, so both need a name for a
value that reads like the TOML it points into and survives reordering of lists:
``site.public_url``, ``rules.deadlines.acceptance_days``, and items of a list by their
natural key, ``channels[email].value``, ``units[340100].content_key``,
``officers[340104-intake]``. Where a key repeats in its list (two ``wechat`` channels),
its items are named by position instead (``channels[3]``), counted from 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

NATURAL_KEYS = ("code", "id", "kind")  # the first of these an item has names it


def item_names(items: list[Any]) -> list[str]:
    """The bracketed name of each item: its natural key if unique in the list, else its index."""
    keys: list[str | None] = []
    for item in items:
        found = None
        if isinstance(item, dict):
            found = next((str(item[k]) for k in NATURAL_KEYS if item.get(k)), None)
        keys.append(found)
    unique = {k for k in keys if k is not None and keys.count(k) == 1}
    return [k if k in unique else str(i) for i, k in enumerate(keys)]


def walk(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every node of plain data (a model's ``model_dump(by_alias=True)``) with its path,
    parents before their children; leaves are the scalars."""
    if isinstance(data, dict):
        if prefix:
            yield prefix, data
        for key, value in data.items():
            yield from walk(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list | tuple):
        yield prefix, data
        for name, value in zip(item_names(list(data)), data, strict=True):
            yield from walk(value, f"{prefix}[{name}]")
    else:
        yield prefix, data


def leaves(data: Any) -> Iterator[tuple[str, Any]]:
    """The scalar values of ``data`` with their paths (strings, numbers, booleans)."""
    for path, value in walk(data):
        if not isinstance(value, dict | list | tuple):
            yield path, value


def paths(data: Any) -> set[str]:
    """Every path that names something in ``data``."""
    return {path for path, _ in walk(data)}
