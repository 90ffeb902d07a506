"""The site's reward-engine.js, run under node, against the Python module (the authority).

One node process interprets the exported rule data (the same JSON the site ships) for
every case sent to it; the answers must equal ``chalicelib.rewards.engine.evaluate`` exactly,
texts and citations included (the citations as the site publishes them: document and
article, without the research's certainty and notes).
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.rewards.case import RewardCase
from chalicelib.rewards.engine import evaluate
from chalicelib.rewards.export import public_citation, public_rule_sets
from chalicelib.rewards.loader import rule_set_names
from chalicelib.rewards.schema import MAX_CONCEALED_DEATHS, MAX_FINE_YUAN

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "site" / "docs" / "assets" / "js" / "reward-engine.js"
NODE = shutil.which("node")
GRADES = ("general", "larger", "major", "especially_major")
GRADE_MIN_DEATHS = {"general": 0, "larger": 3, "major": 10, "especially_major": 30}

pytestmark = pytest.mark.skipif(
    NODE is None, reason="node is not installed (apt-get install nodejs)"
)

# Reads one JSON request per line: {"rules": path} loads the data once, then
# {"rule_set": name|null, "case": {...}} answers {"result": ...} or {"error": message}.
HARNESS = r"""
const readline = require("readline");
const fs = require("fs");
const engine = require(process.argv[1]);
let rules = null;
const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
  const request = JSON.parse(line);
  let answer;
  if (request.rules) {
    rules = JSON.parse(fs.readFileSync(request.rules, "utf8"));
    answer = { ok: true };
  } else {
    try {
      answer = { result: engine.calculate(rules, request.rule_set, request.case) };
    } catch (e) {
      answer = { error: String(e.message) };
    }
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
"""


class NodeEngine:
    def __init__(self, rules_path: Path) -> None:
        assert NODE is not None
        self.proc = subprocess.Popen(
            [NODE, "-e", HARNESS, str(ENGINE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        assert self.ask({"rules": str(rules_path)}) == {"ok": True}

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "node engine exited"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def calculate(self, rule_set: str | None, case: dict[str, Any]) -> dict[str, Any]:
        return self.ask({"rule_set": rule_set, "case": case})

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    data = public_rule_sets()
    path = tmp_path_factory.mktemp("rules") / "reward-rules.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return data, path


@pytest.fixture(scope="module")
def node(exported: tuple[dict[str, Any], Path]) -> Iterator[NodeEngine]:
    engine = NodeEngine(exported[1])
    yield engine
    engine.close()


def python_answer(rule_set: str | None, case: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = RewardCase.model_validate(case)
    except ValidationError:
        return {"invalid": True}
    result = evaluate(parsed, rule_set).model_dump(mode="json")
    for step in result["basis"]["steps"]:
        step["citations"] = [public_citation(c) for c in step["citations"]]
    return {"result": result}


def assert_same(node: NodeEngine, rule_set: str | None, case: dict[str, Any]) -> None:
    expected = python_answer(rule_set, case)
    got = node.calculate(rule_set, case)
    if "invalid" in expected:
        assert "error" in got, f"JS accepted a case Python refuses: {case}"
        return
    assert got == expected, f"JS and Python differ for {rule_set}: {case}"


# ------------------------------------------------------------------ case generators


def random_case(rng: random.Random) -> dict[str, Any]:
    """A valid case, biased towards the boundaries of the rules."""
    kind = rng.choice(["hazard", "violation", "concealed_accident"])
    case: dict[str, Any] = {
        "kind": kind,
        "verified": rng.random() < 0.85,
        "real_name": rng.random() < 0.7,
    }
    if rng.random() < 0.5:
        case["has_contact"] = rng.choice([True, False, None])
    for name, chance in (("reporter_is_employee", 0.4), ("already_handled_by_regulator", 0.1)):
        if rng.random() < 0.6:
            case[name] = rng.random() < chance
    if rng.random() < 0.5:
        case["report_order"] = rng.choice([1, 1, 1, 2, 7])
    if rng.random() < 0.5:
        case["joint_reporters"] = rng.choice([1, 2, 3, 7, 9, 1000])
    fen = rng.choice(
        [
            0,
            1,
            rng.randint(0, 5_000_000),  # around the floor
            rng.randint(190_000_000, 210_000_000),  # around the cap
            rng.randint(0, MAX_FINE_YUAN * 100),
        ]
    )
    style = rng.choice(["number", "string", "int"])
    if style == "int":
        case["fine_total_yuan"] = fen // 100
    elif style == "string":
        case["fine_total_yuan"] = str(Decimal(fen) / 100)
    else:
        case["fine_total_yuan"] = float(Decimal(fen) / 100)
    if kind == "concealed_accident":
        deaths = rng.choice(
            [0, 1, 2, 3, 4, 9, 10, 29, 30, 31, rng.randint(0, MAX_CONCEALED_DEATHS)]
        )
        least = [g for g in GRADES if GRADE_MIN_DEATHS[g] <= deaths][-1]
        case["accident_grade"] = rng.choice(GRADES[GRADES.index(least) :])
        case["concealed_deaths"] = deaths
    elif rng.random() < 0.6:
        case["accident_grade"] = rng.choice([None, *GRADES])
    return case


@st.composite
def hypothesis_cases(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["hazard", "violation", "concealed_accident"]))
    case: dict[str, Any] = {
        "kind": kind,
        "verified": draw(st.booleans()),
        "real_name": draw(st.booleans()),
        "has_contact": draw(st.sampled_from([None, True, False])),
        "reporter_is_employee": draw(st.booleans()),
        "report_order": draw(st.integers(1, 3)),
        "joint_reporters": draw(st.integers(1, 30)),
        "already_handled_by_regulator": draw(st.booleans()),
    }
    fen = draw(st.integers(0, MAX_FINE_YUAN * 100) | st.integers(0, 300_000_000))
    case["fine_total_yuan"] = draw(
        st.sampled_from([str(Decimal(fen) / 100), float(Decimal(fen) / 100), fen // 100])
    )
    if kind == "concealed_accident":
        deaths = draw(st.integers(0, 100))
        least = [g for g in GRADES if GRADE_MIN_DEATHS[g] <= deaths][-1]
        case["accident_grade"] = draw(st.sampled_from(GRADES[GRADES.index(least) :]))
        case["concealed_deaths"] = deaths
    else:
        case["accident_grade"] = draw(st.sampled_from([None, *GRADES]))
    return case


# ------------------------------------------------------------------ agreement


@pytest.mark.parametrize("rule_set", rule_set_names())
def test_seeded_random_cases_agree(node: NodeEngine, rule_set: str) -> None:
    rng = random.Random(f"jubao-rewards-{rule_set}")
    for _ in range(400):
        assert_same(node, rule_set, random_case(rng))


@pytest.mark.parametrize("rule_set", rule_set_names())
def test_hypothesis_cases_agree(node: NodeEngine, rule_set: str) -> None:
    @settings(max_examples=300, deadline=None)
    @given(case=hypothesis_cases())
    def check(case: dict[str, Any]) -> None:
        assert_same(node, rule_set, case)

    check()


def test_rule_set_from_the_case_then_the_default(node: NodeEngine) -> None:
    case = {"kind": "concealed_accident", "verified": True, "real_name": True}
    case |= {"accident_grade": "larger", "concealed_deaths": 4}
    for rule_set in rule_set_names():
        assert_same(node, None, case | {"rule_set": rule_set})
    assert_same(node, None, case)  # the office default in the exported data


def test_worked_example_through_js(node: NodeEngine) -> None:
    # 驻马店 (regulations.md §1.4): 4 concealed deaths at 较大 → 160,000 yuan
    case = {"kind": "concealed_accident", "verified": True, "real_name": True}
    case |= {"accident_grade": "larger", "concealed_deaths": 4}
    result = node.calculate("national-2018", case)["result"]
    assert result["reward_yuan"] == 160_000 and result["paid"] is True


@pytest.mark.parametrize(
    "case",
    [
        {"kind": "hazard", "verified": True},  # real_name missing
        {"kind": "hazard", "verified": "yes", "real_name": True},
        {"kind": "rumour", "verified": True, "real_name": True},
        {"kind": "hazard", "verified": True, "real_name": True, "fine_total_yuan": "1.005"},
        {"kind": "hazard", "verified": True, "real_name": True, "fine_total_yuan": -5},
        {"kind": "hazard", "verified": True, "real_name": True, "fine_total_yuan": "1e3"},
        {"kind": "hazard", "verified": True, "real_name": True, "fine_total_yuan": True},
        {"kind": "hazard", "verified": True, "real_name": True, "fine_total_yuan": 1e10},
        {"kind": "hazard", "verified": True, "real_name": True, "report_order": 0},
        {"kind": "hazard", "verified": True, "real_name": True, "joint_reporters": 1001},
        {"kind": "hazard", "verified": True, "real_name": True, "reporter_is_employee": None},
        {"kind": "hazard", "verified": True, "real_name": True, "concealed_deaths": 2},
        {"kind": "hazard", "verified": True, "real_name": True, "extra": 1},
        {"kind": "concealed_accident", "verified": True, "real_name": True, "concealed_deaths": 1},
        {
            "kind": "concealed_accident",
            "verified": True,
            "real_name": True,
            "accident_grade": "larger",
            "concealed_deaths": 10,
        },
    ],
)
def test_both_refuse_invalid_cases(node: NodeEngine, case: dict[str, Any]) -> None:
    assert python_answer(None, case) == {"invalid": True}
    error = node.calculate(None, case)["error"]
    assert re.search(r"[\u4e00-\u9fff]", error) and " / " in error


def test_unknown_rule_set_is_an_error(node: NodeEngine) -> None:
    answer = node.calculate(
        "no-such-rules", {"kind": "hazard", "verified": True, "real_name": True}
    )
    assert "Unknown reward rule set" in answer["error"]


# ------------------------------------------------------------------ data-driven, not coded


def _rule_numbers(data: Any) -> set[int]:
    numbers: set[int] = set()
    if isinstance(data, dict):
        for value in data.values():
            numbers |= _rule_numbers(value)
    elif isinstance(data, list):
        for value in data:
            numbers |= _rule_numbers(value)
    elif isinstance(data, int) and not isinstance(data, bool) and data >= 20:
        numbers.add(data)
    return numbers


def test_no_rule_amount_is_written_in_the_script(exported: tuple[dict[str, Any], Path]) -> None:
    source = ENGINE.read_text(encoding="utf-8")
    code_numbers = {int(n) for n in re.findall(r"\d+", source)}
    amounts = _rule_numbers(exported[0]["rule_sets"])
    assert amounts, "the rule sets hold amounts"
    assert not amounts & code_numbers, "rule numbers belong in the exported data"


def test_changing_the_data_changes_the_answer(
    tmp_path: Path, exported: tuple[dict[str, Any], Path]
) -> None:
    data = json.loads(json.dumps(exported[0]))
    formula = data["rule_sets"]["national-2018"]["formulas"]["fine_percent"]
    formula["rate_basis_points"] = 2_000  # 20% instead of 15%
    formula["text_zh"] = "罚款 {fine} 元的 {rate}%"
    data["rule_sets"]["national-2018"]["eligibility"] = []
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    changed = NodeEngine(path)
    try:
        case = {"kind": "hazard", "verified": False, "real_name": True, "fine_total_yuan": 100_000}
        result = changed.calculate("national-2018", case)["result"]
    finally:
        changed.close()
    assert result["reward_yuan"] == 20_000 and result["paid"] is True
    assert result["basis"]["steps"][0]["text_zh"] == "罚款 100,000 元的 20%"


def test_the_script_defines_window_jubao_reward_in_a_browser_context() -> None:
    assert NODE is not None
    script = (
        "const vm = require('vm'); const fs = require('fs');"
        "const sandbox = { window: {} };"
        "vm.runInNewContext(fs.readFileSync(process.argv[1], 'utf8'), sandbox);"
        "process.stdout.write(typeof sandbox.window.JubaoReward.calculate);"
    )
    out = subprocess.run(
        [NODE, "-e", script, str(ENGINE)], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout == "function"
