"""``jubao reward-calc``: the reward for one case, read as JSON on standard input.

The same rules as the site's calculator and the officers' side (``chalicelib.rewards``);
the answer is JSON with the amount and its basis, cited, in Chinese and English. A bad
input is refused with exit status 2 and a bilingual message, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from pydantic import ValidationError

from chalicelib.errors import FIELD_MESSAGES
from chalicelib.reports.validation import field_error
from chalicelib.rewards.case import RewardCase
from chalicelib.rewards.engine import evaluate
from chalicelib.rewards.loader import load_rule_set, rule_set_names
from chalicelib.rewards.schema import RuleSetError

EXIT_INVALID = 2
_CJK = re.compile(r"[\u4e00-\u9fff]")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "reward-calc",
        help="计算举报奖励 / compute a reward (case as JSON on stdin)",
        description=(
            "从标准输入读取一个案件（JSON），输出奖励金额及依据（JSON）。"
            " / Read one case as JSON on standard input; print the reward and its basis as JSON."
            " Fields: kind, verified, real_name, has_contact, reporter_is_employee,"
            " report_order, joint_reporters, already_handled_by_regulator, fine_total_yuan,"
            " accident_grade, concealed_deaths, rule_set."
        ),
    )
    parser.add_argument(
        "--rule-set",
        metavar="NAME",
        help="使用的奖励规则集（优先于案件中的 rule_set 和单位默认值）"
        " / rule set to apply (overrides the case's rule_set and the office default)",
    )
    parser.add_argument(
        "--list-rule-sets",
        action="store_true",
        help="列出可用的规则集 / list the available rule sets",
    )
    parser.set_defaults(func=_run)


def _refuse(zh: str, en: str, details: list[str] | None = None) -> int:
    lines = [f"错误：{zh} / Error: {en}", *(details or [])]
    print("\n".join(lines), file=sys.stderr)
    return EXIT_INVALID


def _field_errors(exc: ValidationError) -> list[str]:
    """One line per error: the field, then the API's message for its code (the same
    codes and texts as the report forms), or the case model's own bilingual message."""
    details = []
    for error in exc.errors(include_input=False, include_url=False):
        item = field_error(error)
        where = item.field if error["loc"] else "(case)"
        message = error["msg"].removeprefix("Value error, ")
        if _CJK.search(message):  # the case model's own errors are already "中文 / English"
            details.append(f"  - {where}: {message}")
        else:
            zh, en = FIELD_MESSAGES.get(item.code, FIELD_MESSAGES["invalid_format"])
            details.append(f"  - {where}: {zh} / {en}")
    return details


def _list() -> int:
    for name in rule_set_names():
        rule_set = load_rule_set(name)
        print(f"{name}\t{rule_set.title_zh}\t{rule_set.title_en}")
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.list_rule_sets:
        return _list()
    text = sys.stdin.read()
    if not text.strip():
        return _refuse(
            "标准输入为空，请输入一个案件（JSON）", "standard input is empty; give one case as JSON"
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return _refuse(
            f"输入不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）",
            f"the input is not valid JSON (line {exc.lineno}, column {exc.colno})",
        )
    if not isinstance(data, dict):
        return _refuse("案件须为 JSON 对象", "the case must be a JSON object")
    try:
        case = RewardCase.model_validate(data)
    except ValidationError as exc:
        return _refuse("案件内容无效", "invalid case", _field_errors(exc))
    try:
        result = evaluate(case, args.rule_set)
    except RuleSetError as exc:
        return _refuse("无法使用该奖励规则集", "cannot use that rule set", [f"  - {exc}"])
    print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0
