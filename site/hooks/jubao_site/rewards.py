"""Reward rules on the site: the data file for the calculator, the rules table, the form.

The rules live in ONE place, ``chalicelib.rewards`` (cited rule-set TOML files, validated
and evaluated in Python). The site publishes ``export_rule_sets()`` as
``assets/reward-rules.json``; the calculator's engine (``assets/js/reward-engine.js``)
interprets that JSON, and the page script only collects the case and shows the answer.
This module renders the same data as a readable table and builds the calculator form
from it (kinds and grades come from the data too), so no rule is written twice.
"""

from __future__ import annotations

from html import escape
from typing import Any

from chalicelib.config.office import OfficeConfig
from chalicelib.rewards import export

from .blocks import Link
from .facts import Lang, pick

RULES_ASSET = "assets/reward-rules.json"
CERTAINTY_ZH = {"C": "C", "S": "S", "U": "U", "NOT_FOUND": "未找到", "CONFIG": "CONFIG"}
CERTAINTY_EN = {"C": "C", "S": "S", "U": "U", "NOT_FOUND": "not found", "CONFIG": "CONFIG"}


def rule_data(office: OfficeConfig) -> dict[str, Any]:
    """What ``assets/reward-rules.json`` holds: every rule set, the office's as default."""
    return export.export_rule_sets(default=office.rules.reward_rule_set)


def _yuan(amount: int, lang: Lang) -> str:
    return f"{amount:,} 元" if lang == "zh" else f"{amount:,} yuan"


def _citations(citations: list[dict[str, Any]], lang: Lang) -> str:
    """The sources of one rule: documents and certainty tags in one line, notes folded."""
    if not citations:
        return ""
    heads, notes = [], []
    for c in citations:
        document = pick(lang, c["document"], c.get("document_en") or c["document"])
        article = c.get("article") or ""
        sep = "" if lang == "zh" or not article else " "
        tag = (CERTAINTY_ZH if lang == "zh" else CERTAINTY_EN)[c["certainty"]]
        head = (
            f"{escape(document)}{sep}{escape(article)} "
            f'<span class="jubao-certainty jubao-certainty--{c["certainty"].lower()}">'
            f"[{escape(tag)}]</span>"
        )
        heads.append(head)
        note = pick(lang, c.get("note_zh") or "", c.get("note_en") or "")
        notes.append(
            f"<li>{head}"
            + (
                f"：{escape(note)}"
                if note and lang == "zh"
                else f": {escape(note)}"
                if note
                else ""
            )
            + "</li>"
        )
    label = pick(lang, "依据", "Basis")
    joined = "；".join(heads) if lang == "zh" else "; ".join(heads)
    return (
        f'<details class="jubao-cites"><summary>{label}{pick(lang, "：", ": ")}{joined}</summary>'
        f"<ul>{''.join(notes)}</ul></details>"
    )


def _grade_name(data: dict[str, Any], grade: str, lang: Lang) -> str:
    info = data["grades"][grade]
    return str(info["zh"] + "事故" if lang == "zh" else info["en"] + " accident")


def _formula_text(data: dict[str, Any], formula: dict[str, Any], lang: Lang) -> str:
    """A plain description of a formula's numbers (the engine's own text needs a case)."""
    kind = formula["formula"]
    not_found = pick(lang, "标准未找到，不计算金额", "amount not found; no sum is computed")
    grades = sorted(data["grades"], key=lambda g: data["grades"][g]["order"])
    if kind == "percent_of_fine":
        rate = formula["rate_basis_points"] / 100
        rate_text = f"{rate:g}"
        zero = (
            pick(lang, "按最低奖励计", "the minimum applies")
            if formula.get("zero_fine_policy", "floor") == "floor"
            else pick(lang, "不予奖励", "no reward")
        )
        return pick(
            lang,
            f"行政处罚罚款合计的 {rate_text}%，最低 {_yuan(formula['floor_yuan'], lang)}，"
            f"最高 {_yuan(formula['cap_yuan'], lang)}；属实但未处罚款的：{zero}。",
            f"{rate_text}% of the total fines, at least {_yuan(formula['floor_yuan'], lang)} "
            f"and at most {_yuan(formula['cap_yuan'], lang)}; verified but no fine: {zero}.",
        )
    if kind == "per_death_by_grade":
        per = formula["per_death_yuan"]
        parts = [
            f"{_grade_name(data, g, lang)}：" if lang == "zh" else f"{_grade_name(data, g, lang)}: "
            for g in grades
        ]
        lines = [
            parts[i]
            + (
                pick(lang, f"每人 {_yuan(per[g], lang)}", f"{_yuan(per[g], lang)} per death")
                if g in per
                else not_found
            )
            for i, g in enumerate(grades)
        ]
        head = pick(
            lang,
            "按最终确认的事故等级，每查实瞒报、谎报死亡 1 人：",
            "By the final accident grade, for each verified concealed death:",
        )
        cap = pick(
            lang,
            f"最高 {_yuan(formula['cap_yuan'], lang)}。",
            f"At most {_yuan(formula['cap_yuan'], lang)}.",
        )
        return head + "<br>" + "；<br>".join(lines) + ("。<br>" if lang == "zh" else ".<br>") + cap
    if kind == "by_avoided_grade":
        tiers = formula["tiers"]
        lines = []
        for g in grades:
            if g in tiers:
                t = tiers[g]
                amount = pick(
                    lang,
                    f"{_yuan(t['min_yuan'], lang)}至{_yuan(t['max_yuan'], lang)}",
                    f"{_yuan(t['min_yuan'], lang)} to {_yuan(t['max_yuan'], lang)}",
                )
            else:
                amount = not_found
            lines.append(
                pick(
                    lang,
                    f"避免{_grade_name(data, g, lang)}：{amount}",
                    f"avoided an {_grade_name(data, g, lang)}: {amount}",
                )
            )
        return "<br>".join(lines)
    raise ValueError(f"unknown formula {kind!r}")  # the core validates; a new kind needs text


def _rule_set_html(data: dict[str, Any], name: str, lang: Lang) -> str:
    rs = data["rule_sets"][name]
    rows = []
    for kind, formula_id in rs["kinds"].items():
        formula = rs["formulas"][formula_id]
        label = data["kinds"][kind][lang]
        rows.append(
            _rule_item(
                escape(label),
                _formula_text(data, formula, lang),
                _citations(formula["citations"], lang),
            )
        )
    if rs.get("max_single_reward_yuan") is not None:
        rows.append(
            _rule_item(
                pick(lang, "单次奖励上限", "Maximum single reward"),
                _yuan(rs["max_single_reward_yuan"], lang),
                _citations(rs.get("max_single_citations", []), lang),
            )
        )
    uplift = rs["employee_uplift"]
    if uplift["percent"]:
        cap = uplift.get("cap_yuan")
        uplift_text = pick(
            lang,
            f"从业人员实名举报本单位的，上浮 {uplift['percent']}%"
            + (f"，上浮后最高 {_yuan(cap, lang)}" if cap else ""),
            f"employees reporting their own employer by name: raised by {uplift['percent']}%"
            + (f", at most {_yuan(cap, lang)}" if cap else ""),
        )
    else:
        uplift_text = pick(lang, "不上浮", "no uplift")
    rows.append(
        _rule_item(
            pick(lang, "从业人员举报本单位", "Employees reporting their employer"),
            escape(uplift_text),
            _citations(uplift["citations"], lang),
        )
    )
    mode = data["rounding_modes"][rs["rounding"]["mode"]][lang]
    rows.append(
        _rule_item(
            pick(lang, "取整", "Rounding"),
            escape(mode),
            _citations(rs["rounding"]["citations"], lang),
        )
    )
    rows.append(
        _rule_item(
            pick(lang, "联名举报", "Joint reports"),
            pick(lang, "奖金平均分配", "the reward is split equally"),
            _citations(rs["joint_split"]["citations"], lang),
        )
    )
    exclusions = "".join(
        f"<li>{escape(pick(lang, e['reason_zh'], e['reason_en']))}"
        f"{_citations(e['citations'] + rs.get('eligibility_citations', []), lang)}</li>"
        for e in rs["eligibility"]
    )
    title = escape(pick(lang, rs["title_zh"], rs["title_en"]))
    partial = (
        '<p class="jubao-warning">'
        f"{pick(lang, '本规则集不完整。', 'This rule set is incomplete.')}</p>"
        if rs.get("partial")
        else ""
    )
    return (
        f'<p class="jubao-ruleset__title"><strong>{title}</strong></p>'
        f"{partial}<p>{escape(pick(lang, rs['note_zh'], rs['note_en']))}</p>"
        f'<dl class="jubao-rules">{"".join(rows)}</dl>'
        f"<p><strong>{pick(lang, '不予奖励的情形', 'When nothing is paid')}</strong></p>"
        f'<ul class="jubao-exclusions">{exclusions}</ul>'
    )


def _rule_item(case: str, standard: str, citations: str) -> str:
    return f"<dt>{case}</dt><dd><p>{standard}</p>{citations}</dd>"


def rules_table(office: OfficeConfig, lang: Lang) -> str:
    data = rule_data(office)
    default = data["default_rule_set"]
    html = [
        f'<div class="jubao-ruleset" id="ruleset-{default}">'
        f"{_rule_set_html(data, default, lang)}</div>"
    ]
    others = [n for n in data["rule_sets"] if n != default]
    if others:
        html.append(
            "<p>"
            + pick(
                lang,
                "以下规则集也可在计算器中选用，用于比较（本平台默认不采用）：",
                "These rule sets can also be chosen in the calculator for comparison "
                "(not this platform's default):",
            )
            + "</p>"
        )
    for name in others:
        rs = data["rule_sets"][name]
        html.append(
            f'<details class="jubao-ruleset" id="ruleset-{escape(name)}"><summary>'
            f"{escape(pick(lang, rs['title_zh'], rs['title_en']))}</summary>"
            f"{_rule_set_html(data, name, lang)}</details>"
        )
    return "".join(html)


# ---- the calculator form ----------------------------------------------------------------


def _number(
    name: str, label: str, value: int, minimum: int, maximum: int, hint: str = "", step: str = "1"
) -> str:
    hint_html = f'<p class="field-hint" id="c-{name}-hint">{escape(hint)}</p>' if hint else ""
    described = f' aria-describedby="c-{name}-hint"' if hint else ""
    return (
        f'<div class="field" data-field="{name}"><label for="c-{name}">{escape(label)}</label>'
        f'<input type="number" id="c-{name}" name="{name}" value="{value}" min="{minimum}" '
        f'max="{maximum}" step="{step}" inputmode="decimal"{described}>{hint_html}</div>'
    )


def _check(name: str, label: str, checked: bool) -> str:
    mark = " checked" if checked else ""
    return (
        f'<div class="field" data-field="{name}"><label class="choice" for="c-{name}">'
        f'<input type="checkbox" id="c-{name}" name="{name}" value="1"{mark}> '
        f"{escape(label)}</label></div>"
    )


def calculator(office: OfficeConfig, lang: Lang, site_link: Link) -> str:
    """The calculator form; the script loads the rules JSON and calls the shared engine."""
    data = rule_data(office)
    limits = data["limits"]
    default = data["default_rule_set"]
    rule_options = "".join(
        f'<option value="{escape(name)}"{" selected" if name == default else ""}>'
        f"{escape(pick(lang, rs['title_zh'], rs['title_en']))}</option>"
        for name, rs in data["rule_sets"].items()
    )
    kinds = "".join(
        f'<label class="choice"><input type="radio" name="kind" value="{escape(kind)}"'
        f"{' checked' if i == 0 else ''}> {escape(label[lang])}</label>"
        for i, (kind, label) in enumerate(data["kinds"].items())
    )
    grade_options = f'<option value="">{pick(lang, "未确定", "not known")}</option>' + "".join(
        f'<option value="{escape(g)}">{escape(info["zh"] if lang == "zh" else info["en"])}</option>'
        for g, info in sorted(data["grades"].items(), key=lambda item: item[1]["order"])
    )
    fields = [
        '<div class="field" data-field="rule_set"><label for="c-rule_set">'
        f"{pick(lang, '奖励规则', 'Reward rules')}</label>"
        f'<select id="c-rule_set" name="rule_set">{rule_options}</select></div>',
        f'<div class="field" data-field="kind"><fieldset><legend>'
        f"{pick(lang, '举报类型', 'Kind of report')}</legend>{kinds}</fieldset></div>",
        _check("verified", pick(lang, "经核查属实", "Verified as true"), True),
        _check(
            "already_handled_by_regulator",
            pick(
                lang,
                "企业和监管部门此前已发现并按规定处理",
                "Already found and handled by the firm and the regulator",
            ),
            False,
        ),
        '<div class="field" data-field="real_name"><fieldset><legend>'
        f"{pick(lang, '举报方式', 'Identity')}</legend>"
        '<label class="choice"><input type="radio" name="real_name" value="1" checked> '
        f"{pick(lang, '实名举报', 'With my name')}</label>"
        '<label class="choice"><input type="radio" name="real_name" value="0"> '
        f"{pick(lang, '匿名举报', 'Anonymous')}</label></fieldset></div>",
        _check("has_contact", pick(lang, "留有有效联系方式", "Left a working contact"), True),
        _check(
            "reporter_is_employee",
            pick(lang, "举报人是被举报单位的从业人员", "The reporter works for the unit reported"),
            False,
        ),
        _number(
            "report_order",
            pick(lang, "第几个举报此事", "Order among reporters of this matter"),
            1,
            1,
            limits["max_report_order"],
            pick(lang, "1 表示最先举报", "1 means the first to report"),
        ),
        _number(
            "joint_reporters",
            pick(lang, "联名举报人数", "People reporting jointly"),
            1,
            1,
            limits["max_joint_reporters"],
        ),
        _number(
            "fine_total_yuan",
            pick(lang, "行政处罚罚款合计（元）", "Total fines (yuan)"),
            0,
            0,
            limits["max_fine_yuan"],
            pick(lang, "对单位及有关人员的罚款之和", "fines on the unit and persons concerned"),
            step="0.01",
        ),
        '<div class="field" data-field="accident_grade"><label for="c-accident_grade">'
        f"{pick(lang, '事故等级', 'Accident grade')}</label>"
        '<select id="c-accident_grade" name="accident_grade" '
        'aria-describedby="c-accident_grade-hint">'
        f"{grade_options}</select>"
        '<p class="field-hint" id="c-accident_grade-hint">'
        + pick(
            lang,
            "瞒报、谎报事故：最终确认的等级；隐患或违法行为：举报避免的事故等级（部分规则集使用）",
            "Concealed accident: its final grade. Hazard or violation: the grade of the "
            "accident avoided (used by some rule sets).",
        )
        + "</p></div>",
        _number(
            "concealed_deaths",
            pick(lang, "查实瞒报、谎报的死亡人数", "Verified concealed deaths"),
            0,
            0,
            limits["max_concealed_deaths"],
        ),
    ]
    needs_js = pick(
        lang,
        "计算器需要启用浏览器的 JavaScript。上面的表格列出了全部规则。",
        "The calculator needs JavaScript. The table above lists every rule.",
    )
    return (
        f'<form class="jubao-calc" id="reward-calculator" data-rules="{site_link(RULES_ASSET)}" '
        f"novalidate>"
        f'<noscript><p class="jubao-note">{needs_js}</p></noscript>'
        + "".join(fields)
        + f'<button type="submit" class="md-button md-button--primary">'
        f"{pick(lang, '计算', 'Calculate')}</button>"
        '<div class="jubao-calc__result" id="reward-result" role="status" aria-live="polite" '
        "hidden></div></form>"
    )
