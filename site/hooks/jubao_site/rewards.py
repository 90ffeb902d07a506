"""Reward rules on the site: the data file for the calculator, the rules table, the form.

The rules live in ONE place, ``chalicelib.rewards`` (cited rule-set TOML files, validated
and evaluated in Python). The site publishes ``public_rule_sets()`` as
``assets/reward-rules.json``; the calculator's engine (``assets/js/reward-engine.js``)
interprets that JSON, and the page script only collects the case and shows the answer.
This module renders the same data as a readable table and builds the calculator form
from it (kinds and grades come from the data too), so no rule is written twice.
"""

from __future__ import annotations

from html import escape
from typing import Any

from chalicelib.config.office import OfficeConfig
from chalicelib.rewards import export, loader
from chalicelib.rewards.schema import Document

from .blocks import Link
from .facts import Lang, pick

RULES_ASSET = "assets/reward-rules.json"


def rule_data(office: OfficeConfig) -> dict[str, Any]:
    """What ``assets/reward-rules.json`` holds: every rule set, the office's as default,
    with plain citations (the research's certainty stays in the rule-set files)."""
    return export.public_rule_sets(default=office.rules.reward_rule_set)


def _yuan(amount: int, lang: Lang) -> str:
    return f"{amount:,} 元" if lang == "zh" else f"{amount:,} yuan"


def _document_name(doc: Document, lang: Lang) -> str:
    """The document by its title and number, linked when the office configured a link."""
    title = pick(lang, doc.title_zh, doc.title_en)
    number = f"（{doc.number}）" if lang == "zh" else f" ({doc.number})"
    text = escape(title + (number if doc.number else ""))
    if doc.url:
        return f'<a href="{escape(doc.url)}" rel="noopener">{text}</a>'
    return text


def _documents(lang: Lang) -> str:
    """Which document governs whose reports: the rules differ by accepting unit."""
    docs = sorted(loader.engine_data().documents.values(), key=lambda d: d.order)
    items = "".join(
        f"<li><strong>{_document_name(d, lang)}</strong>"
        f"{pick(lang, '：', ': ')}{escape(pick(lang, d.applies_zh, d.applies_en))}</li>"
        for d in docs
    )
    return f'<ul class="jubao-documents">{items}</ul>'


def _amounts(data: dict[str, Any], name: str, lang: Lang) -> list[str]:
    """The amounts of one rule set, one line per formula (only what the set defines)."""
    rs = data["rule_sets"][name]
    grades = sorted(data["grades"], key=lambda g: data["grades"][g]["order"])
    lines: list[str] = []
    seen: set[str] = set()
    for formula_id in rs["kinds"].values():
        if formula_id in seen:
            continue
        seen.add(formula_id)
        kinds = [k for k, f in rs["kinds"].items() if f == formula_id]
        label = pick(lang, "、", ", ").join(data["kinds"][k][lang] for k in kinds)
        f = rs["formulas"][formula_id]
        if f["formula"] == "percent_of_fine":
            rate = f"{f['rate_basis_points'] / 100:g}"
            text = pick(
                lang,
                f"行政处罚金额的 {rate}%，最低 {_yuan(f['floor_yuan'], lang)}，"
                f"最高 {_yuan(f['cap_yuan'], lang)}",
                f"{rate}% of the penalty, at least {_yuan(f['floor_yuan'], lang)}, "
                f"at most {_yuan(f['cap_yuan'], lang)}",
            )
        elif f["formula"] == "per_death_by_grade":
            per = f["per_death_yuan"]
            parts = [
                pick(
                    lang,
                    f"{data['grades'][g]['zh']} {_yuan(per[g], lang)}",
                    f"{data['grades'][g]['en']} {per[g]:,}",
                )
                for g in grades
                if g in per
            ]
            text = pick(
                lang,
                "按最终确认的事故等级，每查实瞒报、谎报死亡 1 人："
                + "、".join(parts)
                + f"；最高 {_yuan(f['cap_yuan'], lang)}",
                "by the final grade, per verified concealed death: "
                + ", ".join(parts)
                + f" yuan; at most {_yuan(f['cap_yuan'], lang)}",
            )
        else:
            tiers = [
                pick(
                    lang,
                    f"避免{data['grades'][g]['zh']}事故 {_yuan(t['min_yuan'], lang)}至"
                    f"{_yuan(t['max_yuan'], lang)}",
                    f"an avoided {data['grades'][g]['en']} accident "
                    f"{t['min_yuan']:,} to {_yuan(t['max_yuan'], lang)}",
                )
                for g in grades
                if (t := f["tiers"].get(g))
            ]
            text = pick(lang, "；", "; ").join(tiers)
        lines.append(
            f"<li><strong>{escape(label)}</strong>{pick(lang, '：', ': ')}{escape(text)}</li>"
        )
    if rs.get("max_single_reward_yuan") is not None:
        lines.append(
            f"<li>{pick(lang, '单次奖励最高', 'At most per reward')} "
            f"{_yuan(rs['max_single_reward_yuan'], lang)}</li>"
        )
    uplift = rs["employee_uplift"]
    if uplift["percent"]:
        cap = uplift.get("cap_yuan")
        lines.append(
            "<li>"
            + escape(
                pick(
                    lang,
                    f"从业人员实名举报本单位的，上浮 {uplift['percent']}%"
                    + (f"，上浮后最高 {_yuan(cap, lang)}" if cap else ""),
                    f"Employees reporting their own employer by name: raised by "
                    f"{uplift['percent']}%" + (f", at most {_yuan(cap, lang)}" if cap else ""),
                )
            )
            + "</li>"
        )
    return lines


def rules_table(office: OfficeConfig, lang: Lang) -> str:
    """Which rules apply to whom, then the amounts the calculator uses by default.

    The certainty of each rule stays in the rule-set data (``chalicelib/rulesets``); the
    page names the documents and states the configured rules plainly.
    """
    data = rule_data(office)
    default = data["default_rule_set"]
    rs = data["rule_sets"][default]
    documents = {d.rule_set: d for d in loader.engine_data().documents.values() if d.rule_set}
    doc = documents.get(default)
    title = _document_name(doc, lang) if doc else escape(pick(lang, rs["title_zh"], rs["title_en"]))
    others = [
        escape(pick(lang, r["title_zh"], r["title_en"]))
        for n, r in data["rule_sets"].items()
        if n != default
    ]
    return (
        "<p>"
        + pick(
            lang,
            "奖励实行“谁受理、谁奖励”：由受理举报的部门按其适用的办法认定和发放，各地、各行业标准不同。",
            "Whoever accepts a report pays its reward, under the rules that apply to that "
            "office; they differ by place and sector.",
        )
        + "</p>"
        + _documents(lang)
        + "<p>"
        + pick(
            lang,
            "其他市、县受理的举报，按当地的办法执行。",
            "Reports accepted by other cities and counties follow local rules.",
        )
        + "</p>"
        + f'<div class="jubao-ruleset" id="ruleset-{escape(default)}"><p>'
        + pick(lang, f"计算器默认按{title}估算：", f"By default the calculator applies {title}:")
        + f'</p><ul class="jubao-rules">{"".join(_amounts(data, default, lang))}</ul></div>'
        + "<p>"
        + pick(
            lang,
            "计算器中还可选用：" + "；".join(others) + "。实际金额以受理单位依法作出的决定为准。",
            "The calculator also offers: "
            + "; ".join(others)
            + ". The accepting office's lawful decision sets the actual amount.",
        )
        + "</p>"
    )


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
            pick(lang, "举报次序", "Order among reporters of this matter"),
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
            pick(lang, "行政处罚金额（元）", "Penalty (yuan)"),
            0,
            0,
            limits["max_fine_yuan"],
            pick(
                lang,
                "单位和有关人员都被罚款的，是否合计以受理单位认定为准",
                "If both the unit and individuals were fined, the office decides whether "
                "the fines are added up",
            ),
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
            "瞒报、谎报事故：最终确认的等级；隐患或违法行为：举报避免的事故等级（部分办法使用）",
            "Concealed accident: its final grade. Hazard or violation: the grade of the "
            "accident avoided (used by some rules).",
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
        "计算器需要启用浏览器的 JavaScript。上面列出了计算器采用的标准。",
        "The calculator needs JavaScript. The standards it applies are listed above.",
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
