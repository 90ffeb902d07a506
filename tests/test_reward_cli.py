"""``jubao reward-calc`` through the installed console script: JSON in, JSON out, exit 2
with a bilingual message (and no traceback) for anything it cannot use."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config.office import load_office
from chalicelib.rewards.case import RewardCase
from chalicelib.rewards.engine import evaluate
from chalicelib.rewards.loader import rule_set_names

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "jubao"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "jubao.cli"]
CJK = re.compile(r"[\u4e00-\u9fff]")
ZHUMADIAN = {
    "kind": "concealed_accident",
    "verified": True,
    "real_name": True,
    "accident_grade": "larger",
    "concealed_deaths": 4,
}


def reward_calc(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}
    return subprocess.run(
        [*COMMAND, "reward-calc", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=60,
    )


def assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert CJK.search(done.stderr) and "Error:" in done.stderr
    for word in words:
        assert word in done.stderr


def test_worked_example_prints_reward_and_basis() -> None:
    done = reward_calc(json.dumps(ZHUMADIAN))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["reward_yuan"] == 160_000  # regulations.md §1.4, 驻马店
    assert result["paid"] is True and result["per_reporter_yuan"] == 160_000
    assert result["basis"]["rule_set"] == load_office().rules.reward_rule_set
    assert CJK.search(result["basis"]["summary_zh"]) and result["basis"]["summary_en"]


def test_output_is_exactly_what_the_module_says() -> None:
    case: dict[str, Any] = {
        "kind": "violation",
        "verified": True,
        "real_name": False,
        "has_contact": True,
        "reporter_is_employee": True,
        "joint_reporters": 3,
        "fine_total_yuan": "20010.5",
    }
    for rule_set in rule_set_names():
        done = reward_calc(json.dumps(case), "--rule-set", rule_set)
        assert done.returncode == 0, done.stderr
        expected = evaluate(RewardCase.model_validate(case), rule_set).model_dump(mode="json")
        assert json.loads(done.stdout) == expected


def test_rule_set_option_overrides_the_case() -> None:
    case = ZHUMADIAN | {"rule_set": "national-2018"}
    done = reward_calc(json.dumps(case), "--rule-set", "anhui-2017")
    result = json.loads(done.stdout)
    assert result["basis"]["rule_set"] == "anhui-2017"
    assert result["reward_yuan"] == 200_000  # 4 × 50,000 (皖政办〔2017〕75号)
    from_case = json.loads(reward_calc(json.dumps(case | {"rule_set": "anhui-2017"})).stdout)
    assert from_case["reward_yuan"] == 200_000


def test_not_paid_is_an_answer_not_an_error() -> None:
    done = reward_calc(json.dumps(ZHUMADIAN | {"verified": False}))
    assert done.returncode == 0
    result = json.loads(done.stdout)
    assert (result["paid"], result["reward_yuan"], result["basis"]["reason"]) == (
        False,
        0,
        "unverified",
    )


@pytest.mark.parametrize("stdin", ["{not json", "", "   \n", "[1, 2]", '"hazard"'])
def test_bad_json_is_refused(stdin: str) -> None:
    assert_refused(reward_calc(stdin))


def test_invalid_case_names_the_fields() -> None:
    bad = {"kind": "hazard", "verified": "yes", "fine_total_yuan": "-3", "colour": "red"}
    done = reward_calc(json.dumps(bad))
    assert_refused(done, "verified", "real_name", "fine_total_yuan", "colour")


def test_inconsistent_case_is_refused_in_both_languages() -> None:
    done = reward_calc(json.dumps(ZHUMADIAN | {"accident_grade": "general"}))
    assert_refused(done, "较大", "larger")


def test_unknown_rule_set_is_refused() -> None:
    assert_refused(
        reward_calc(json.dumps(ZHUMADIAN), "--rule-set", "no-such-rules"), "no-such-rules"
    )
    assert_refused(reward_calc(json.dumps(ZHUMADIAN | {"rule_set": "missing-rules"})))


def test_list_rule_sets() -> None:
    done = reward_calc("", "--list-rule-sets")
    assert done.returncode == 0
    names = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert names == rule_set_names()
