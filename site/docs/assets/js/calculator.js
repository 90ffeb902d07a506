/*
 * 奖励计算器 · Reward calculator form.
 *
 * Collects a case from the form and asks the shared engine (reward-engine.js, which
 * interprets assets/reward-rules.json exported from chalicelib.rewards) for the answer.
 * No rule, rate or amount is written here.
 */
(function () {
  "use strict";
  var form = document.getElementById("reward-calculator");
  if (!form || !window.fetch || !window.JubaoReward || !window.JubaoText) return;
  var EN = window.JubaoText.en;
  var out = document.getElementById("reward-result");
  var rules = null;
  var M = {
    paid: ["估算奖励", "Estimated reward"],
    range: ["至", " to "],
    each: ["每人", "each"],
    not_paid: ["估算：无奖励", "Estimate: no reward"],
    not_determinable: ["无法确定金额", "No amount can be determined"],
    decide: ["具体金额由核查部门在此范围内决定。", "The verifying department sets the amount within this range."],
    basis: ["计算依据", "How this was worked out"],
    partial: ["计算器只收录了所选办法中的部分档次。", "The calculator holds only some tiers of the chosen rules."],
    yuan: [" 元", " yuan"],
    error: ["无法计算：", "Cannot calculate: "],
    load: ["奖励规则加载失败，请刷新页面重试。", "The reward rules could not be loaded; reload the page."]
  };
  var t = window.JubaoText.of(M);
  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function yuan(n) { return window.JubaoReward.formatAmount({ n: n, d: 1 }) + t("yuan"); }
  function value(name) { return form.elements[name].value; }
  function checked(name) { return form.elements[name].checked; }
  function kind() { return form.querySelector('input[name="kind"]:checked').value; }
  function show(name, on) {
    var box = form.querySelector('.field[data-field="' + name + '"]');
    box.hidden = !on;
  }
  /* Show only the inputs the chosen rule set's formula for this kind reads. */
  function sync() {
    if (!rules) return;
    var rs = rules.rule_sets[value("rule_set")];
    var formula = rs.formulas[rs.kinds[kind()]].formula;
    show("fine_total_yuan", formula === "percent_of_fine");
    show("concealed_deaths", formula === "per_death_by_grade");
    show("accident_grade", formula !== "percent_of_fine");
  }
  function caseObj() {
    var k = kind();
    var c = {
      kind: k,
      verified: checked("verified"),
      real_name: value("real_name") === "1",
      has_contact: checked("has_contact"),
      reporter_is_employee: checked("reporter_is_employee"),
      already_handled_by_regulator: checked("already_handled_by_regulator"),
      report_order: parseInt(value("report_order"), 10) || 1,
      joint_reporters: parseInt(value("joint_reporters"), 10) || 1
    };
    var rs = rules.rule_sets[value("rule_set")];
    var formula = rs.formulas[rs.kinds[k]].formula;
    if (formula === "percent_of_fine") c.fine_total_yuan = (value("fine_total_yuan") || "0").trim();
    if (formula === "per_death_by_grade") c.concealed_deaths = parseInt(value("concealed_deaths"), 10) || 0;
    if (formula !== "percent_of_fine" && value("accident_grade")) c.accident_grade = value("accident_grade");
    return c;
  }
  function render(r) {
    out.textContent = "";
    var amount;
    if (r.outcome === "paid") {
      amount = yuan(r.reward_yuan);
      if (r.reward_max_yuan !== null && r.reward_max_yuan !== r.reward_yuan) amount = yuan(r.reward_yuan) + t("range") + yuan(r.reward_max_yuan);
      out.appendChild(el("p", "jubao-calc__amount", t("paid") + (EN ? ": " : "：") + amount));
      if (r.per_reporter_yuan !== null && r.per_reporter_yuan !== r.reward_yuan) {
        var share = yuan(r.per_reporter_yuan);
        if (r.per_reporter_max_yuan !== null && r.per_reporter_max_yuan !== r.per_reporter_yuan) share += t("range") + yuan(r.per_reporter_max_yuan);
        out.appendChild(el("p", "", t("each") + " " + share));
      }
      if (r.officers_decide) out.appendChild(el("p", "", t("decide")));
    } else {
      out.appendChild(el("p", "jubao-calc__amount", t(r.outcome)));
    }
    if (r.basis.rule_set_partial) out.appendChild(el("p", "jubao-warning", t("partial")));
    out.appendChild(el("p", "", (EN ? r.basis.rule_set_title_en : r.basis.rule_set_title_zh)));
    out.appendChild(el("p", "jubao-calc__basis-title", t("basis")));
    out.appendChild(el("p", "jubao-calc__summary", EN ? r.basis.summary_en : r.basis.summary_zh));
    out.hidden = false;
  }
  function calculate() {
    if (!rules) return;
    try {
      render(window.JubaoReward.calculate(rules, value("rule_set"), caseObj()));
    } catch (e) {
      out.textContent = "";
      var msg = String(e.message || e).split(" / ");
      out.appendChild(el("p", "jubao-calc__error", t("error") + (EN ? msg[1] || msg[0] : msg[0])));
      out.hidden = false;
    }
  }
  form.addEventListener("change", function () { sync(); });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); calculate(); });
  fetch(form.dataset.rules, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) { rules = data; form.classList.add("is-ready"); sync(); })
    .catch(function () { out.textContent = t("load"); out.hidden = false; });
})();
