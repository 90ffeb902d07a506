/*
 * 举报奖励计算 · Reward calculator engine.
 *
 * Interprets the rule data exported by the Python module chalicelib/rewards/ (export.py)
 * (export_rule_sets(), served as assets/reward-rules.json). No amount, rate, cap or
 * condition is written here: they all come from that data, and the tests check that this
 * script and the Python module give identical results. Arithmetic is exact: amounts are
 * fractions of integers that the Python side's input bounds keep below 2^53.
 *
 *   JubaoReward.calculate(ruleSets, ruleSetName, caseObj)
 *     -> {outcome, paid, reward_yuan, reward_max_yuan, per_reporter_yuan,
 *         per_reporter_max_yuan, officers_decide, basis: {...}}
 *   throws Error("中文 / English") for an invalid case or an unknown rule set.
 *
 * ES5, no dependencies; also a CommonJS module for node.
 */
(function (root) {
  "use strict";

  var CASE_FIELDS = [
    "kind", "verified", "real_name", "has_contact", "reporter_is_employee", "report_order",
    "joint_reporters", "already_handled_by_regulator", "fine_total_yuan", "accident_grade",
    "concealed_deaths", "rule_set"
  ];
  var AMOUNT = /^\d+(\.\d+)?$/;
  var RULE_SET_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
  var PLACEHOLDER = /\{([a-z_]+)\}/g;

  function fail(zh, en) {
    throw new Error(zh + " / " + en);
  }

  function has(obj, key) {
    return Object.prototype.hasOwnProperty.call(obj, key);
  }

  // ---------------------------------------------------------------- exact arithmetic
  function checkSafe(n) {
    if (!isSafe(n)) fail("金额超出可精确计算的范围", "amount beyond exact arithmetic");
    return n;
  }

  function isSafe(n) {
    return typeof n === "number" && isFinite(n) && Math.floor(n) === n &&
      Math.abs(n) <= 9007199254740991;
  }

  function idiv(a, b) { // floor(a / b) for integers a >= 0, b > 0, exactly
    var q = Math.floor(a / b);
    while (q * b > a) q -= 1;
    while ((q + 1) * b <= a) q += 1;
    return q;
  }

  function gcd(a, b) {
    while (b) {
      var t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  function frac(n, d) {
    checkSafe(n);
    checkSafe(d);
    var g = gcd(n, d) || 1;
    return { n: n / g, d: d / g };
  }

  function mul(a, b) { return frac(checkSafe(a.n * b.n), checkSafe(a.d * b.d)); }
  function cmp(a, b) {
    var left = checkSafe(a.n * b.d);
    var right = checkSafe(b.n * a.d);
    return left < right ? -1 : left > right ? 1 : 0;
  }
  function minF(a, b) { return cmp(a, b) <= 0 ? a : b; }
  function isWhole(a) { return a.d === 1; }

  function roundF(a, mode) {
    if (mode === "half_up") return idiv(checkSafe(2 * a.n + a.d), 2 * a.d);
    if (mode === "down") return idiv(a.n, a.d);
    if (mode === "up") return idiv(checkSafe(a.n + a.d - 1), a.d);
    fail("未知的取整方式", "unknown rounding mode");
  }

  function group(digits) {
    var out = "";
    while (digits.length > 3) {
      out = "," + digits.slice(digits.length - 3) + out;
      digits = digits.slice(0, digits.length - 3);
    }
    return digits + out;
  }

  function formatAmount(a) { // exact decimal with thousands separators
    var k = 0;
    var p = 1;
    while (p % a.d !== 0) {
      k += 1;
      p *= 10;
      if (k > 12) fail("金额不是有限小数", "amount is not a terminating decimal");
    }
    var scaled = checkSafe(a.n * (p / a.d));
    var whole = idiv(scaled, p);
    var text = group(String(whole));
    if (k === 0) return text;
    var fraction = String(scaled - whole * p);
    while (fraction.length < k) fraction = "0" + fraction;
    fraction = fraction.replace(/0+$/, "");
    return fraction ? text + "." + fraction : text;
  }

  // ---------------------------------------------------------------- the case
  function isInt(v) { return typeof v === "number" && isSafe(v); }

  function fenOf(value, limits) {
    var text;
    if (typeof value === "number") {
      if (!isFinite(value)) fail("罚款金额须为数字", "the fine must be a number");
      text = String(value);
    } else if (typeof value === "string") {
      text = value;
    } else {
      fail("罚款金额须为数字", "the fine must be a number");
    }
    if (!AMOUNT.test(text)) {
      fail("罚款金额须为不小于 0 的十进制数", "the fine must be a non-negative decimal number");
    }
    var parts = text.split(".");
    var decimals = parts.length > 1 ? parts[1] : "";
    if (/[^0]/.test(decimals.slice(2))) {
      fail("罚款金额最多精确到分", "the fine has at most 2 decimals (fen)");
    }
    var whole = parts[0].replace(/^0+(?=\d)/, "");
    if (whole.length > String(limits.max_fine_yuan).length + 1) {
      fail("罚款金额超出上限", "the fine is above the limit");
    }
    var fen = Number(whole) * 100 + Number((decimals + "00").slice(0, 2));
    if (fen > limits.max_fine_yuan * 100) {
      fail("罚款金额不得超过 " + limits.max_fine_yuan + " 元",
        "the fine may not exceed " + limits.max_fine_yuan + " yuan");
    }
    return fen;
  }

  function readCase(data, input) {
    if (input === null || typeof input !== "object" || Array.isArray(input)) {
      fail("案件须为 JSON 对象", "the case must be a JSON object");
    }
    var key;
    for (key in input) {
      if (has(input, key) && CASE_FIELDS.indexOf(key) === -1) {
        fail("未知字段：" + key, "unknown field: " + key);
      }
    }
    var limits = data.limits;
    function flag(name, fallback, nullable) {
      if (!has(input, name) || (nullable && input[name] === null)) {
        if (fallback === undefined) fail("缺少字段：" + name, "missing field: " + name);
        return fallback;
      }
      if (typeof input[name] !== "boolean") fail(name + " 须为 true 或 false", name + " must be true or false");
      return input[name];
    }
    function integer(name, fallback, min, max) {
      if (!has(input, name)) return fallback;
      var v = input[name];
      if (!isInt(v) || v < min || v > max) {
        fail(name + " 须为 " + min + " 至 " + max + " 的整数", name + " must be an integer from " + min + " to " + max);
      }
      return v;
    }
    if (!has(input, "kind")) fail("缺少字段：kind", "missing field: kind");
    if (typeof input.kind !== "string" || !has(data.kinds, input.kind)) {
      fail("举报类型无效", "invalid kind");
    }
    var grade = has(input, "accident_grade") ? input.accident_grade : null;
    if (grade !== null && (typeof grade !== "string" || !has(data.grades, grade))) {
      fail("事故等级无效", "invalid accident grade");
    }
    var ruleSet = has(input, "rule_set") ? input.rule_set : null;
    if (ruleSet !== null && (typeof ruleSet !== "string" || !RULE_SET_NAME.test(ruleSet))) {
      fail("规则集名称无效", "invalid rule set name");
    }
    var c = {
      kind: input.kind,
      verified: flag("verified"),
      real_name: flag("real_name"),
      has_contact: flag("has_contact", null, true),
      reporter_is_employee: flag("reporter_is_employee", false),
      report_order: integer("report_order", 1, 1, limits.max_report_order),
      joint_reporters: integer("joint_reporters", 1, 1, limits.max_joint_reporters),
      already_handled_by_regulator: flag("already_handled_by_regulator", false),
      fine_fen: has(input, "fine_total_yuan") ? fenOf(input.fine_total_yuan, limits) : 0,
      accident_grade: grade,
      concealed_deaths: integer("concealed_deaths", 0, 0, limits.max_concealed_deaths),
      rule_set: ruleSet
    };
    var concealed = c.kind === "concealed_accident";
    if (concealed && c.accident_grade === null) {
      fail("瞒报、谎报事故须给出最终确认的事故等级", "a concealed accident needs its final accident grade");
    }
    if (!concealed && c.concealed_deaths) {
      fail("瞒报死亡人数只适用于瞒报、谎报事故", "concealed deaths apply only to a concealed accident");
    }
    if (concealed) {
      var implied = null;
      for (key in data.grades) {
        if (has(data.grades, key)) {
          var g = data.grades[key];
          if (g.min_deaths <= c.concealed_deaths && (implied === null || g.order > implied.order)) implied = g;
        }
      }
      if (implied.order > data.grades[c.accident_grade].order) {
        fail("查实死亡人数对应的事故等级至少为" + implied.zh + "事故",
          "the verified deaths make it at least a grade '" + implied.en + "' accident");
      }
    }
    return c;
  }

  function factsOf(c) {
    return {
      kind: c.kind,
      verified: c.verified,
      real_name: c.real_name,
      has_contact: c.has_contact === null ? c.real_name : c.has_contact,
      reporter_is_employee: c.reporter_is_employee,
      report_order: c.report_order,
      joint_reporters: c.joint_reporters,
      already_handled_by_regulator: c.already_handled_by_regulator,
      accident_grade: c.accident_grade,
      concealed_deaths: c.concealed_deaths
    };
  }

  // ---------------------------------------------------------------- conditions
  function passes(test, facts) {
    var actual = facts[test.field];
    var expected = test.value;
    if (test.op === "eq") return actual === expected;
    if (test.op === "ne") return actual !== expected;
    if (test.op === "in") {
      return Array.isArray(expected) && typeof actual === "string" && expected.indexOf(actual) !== -1;
    }
    if (!isInt(actual) || !isInt(expected)) return false;
    if (test.op === "le") return actual <= expected;
    if (test.op === "ge") return actual >= expected;
    fail("未知的条件运算", "unknown condition operator");
  }

  function holds(allTests, anyTests, facts) {
    var i;
    for (i = 0; i < allTests.length; i += 1) if (!passes(allTests[i], facts)) return false;
    if (!anyTests.length) return true;
    for (i = 0; i < anyTests.length; i += 1) if (passes(anyTests[i], facts)) return true;
    return false;
  }

  // ---------------------------------------------------------------- texts
  function render(template, values) {
    return template.replace(PLACEHOLDER, function (_, name) {
      if (!has(values, name)) fail("模板缺少取值：" + name, "template value missing: " + name);
      return values[name];
    });
  }

  function both(text) { return [text, text]; }

  // ---------------------------------------------------------------- the algorithm
  function Evaluation(data, rs, c) {
    this.data = data;
    this.rs = rs;
    this.c = c;
    this.facts = factsOf(c);
    this.steps = [];
  }

  Evaluation.prototype.step = function (rule, zh, en, values, citations) {
    var zhValues = {};
    var enValues = {};
    for (var key in values) {
      if (has(values, key)) {
        zhValues[key] = values[key][0];
        enValues[key] = values[key][1];
      }
    }
    this.steps.push({
      rule: rule,
      text_zh: render(zh, zhValues),
      text_en: render(en, enValues),
      citations: citations
    });
  };

  Evaluation.prototype.message = function (rule, key, values, citations) {
    var m = this.data.messages[key];
    this.step(rule, m.zh, m.en, values, citations);
  };

  Evaluation.prototype.range = function (amount) {
    if (cmp(amount[0], amount[1]) === 0) return both(formatAmount(amount[0]));
    var m = this.data.messages.range;
    var values = { min: formatAmount(amount[0]), max: formatAmount(amount[1]) };
    return [render(m.zh, values), render(m.en, values)];
  };

  Evaluation.prototype.grade = function () {
    if (this.c.accident_grade === null) {
      var m = this.data.messages.no_grade;
      return [m.zh, m.en];
    }
    var g = this.data.grades[this.c.accident_grade];
    return [g.zh, g.en];
  };

  Evaluation.prototype.run = function () {
    var rs = this.rs;
    var i;
    for (i = 0; i < rs.eligibility.length; i += 1) {
      var cond = rs.eligibility[i];
      if (!holds(cond.all, cond.any, this.facts)) {
        this.step("eligibility." + cond.id, cond.reason_zh, cond.reason_en, {},
          cond.citations.concat(rs.eligibility_citations));
        return this.result("not_paid", "eligibility." + cond.id, cond.id, null);
      }
    }
    var formulaId = rs.kinds[this.c.kind];
    var f = rs.formulas[formulaId];
    var rule = "formulas." + formulaId;
    var found;
    if (f.formula === "percent_of_fine") found = this.percentOfFine(rule, f);
    else if (f.formula === "per_death_by_grade") found = this.perDeath(rule, f);
    else if (f.formula === "by_avoided_grade") found = this.avoidedGrade(rule, f);
    else fail("未知的计算公式", "unknown formula");
    if (found.stop) return this.result(found.stop, rule, found.reason, null);
    var officersDecide = f.formula === "by_avoided_grade";
    var amount = this.uplift(found.amount);
    amount = this.maxSingle(amount);
    var total = this.rounded(amount);
    if (officersDecide) this.message("officers_decide", "officers_decide", {}, f.citations);
    return this.result("paid", rule, null, { total: total, officersDecide: officersDecide });
  };

  Evaluation.prototype.percentOfFine = function (rule, f) {
    var fine = frac(this.c.fine_fen, 100);
    var floor = frac(f.floor_yuan, 1);
    var cap = frac(f.cap_yuan, 1);
    if (fine.n === 0) {
      if (f.zero_fine_policy === "none") {
        this.message(rule + ".zero_fine", "zero_fine_none", {}, f.zero_fine_citations);
        return { stop: "not_paid", reason: "zero_fine" };
      }
      this.message(rule + ".zero_fine", "zero_fine_floor", { amount: both(formatAmount(floor)) },
        f.zero_fine_citations);
      return { amount: [floor, floor] };
    }
    var raw = mul(fine, frac(f.rate_basis_points, 10000));
    var values = {
      fine: both(formatAmount(fine)),
      rate: both(formatAmount(frac(f.rate_basis_points, 100))),
      raw: both(formatAmount(raw)),
      floor: both(formatAmount(floor)),
      cap: both(formatAmount(cap))
    };
    this.step(rule, f.text_zh, f.text_en, values, f.citations);
    if (cmp(raw, floor) < 0) {
      this.message(rule + ".floor", "floor", { amount: values.floor }, f.citations);
      return { amount: [floor, floor] };
    }
    if (cmp(raw, cap) > 0) {
      this.message(rule + ".cap", "cap", { amount: values.cap }, f.citations);
      return { amount: [cap, cap] };
    }
    return { amount: [raw, raw] };
  };

  Evaluation.prototype.notFound = function (rule, citations) {
    var kind = this.data.kinds[this.c.kind];
    var grade = this.grade();
    this.message(rule + ".tier_not_found", "tier_not_found", {
      document: both(this.rs.document),
      kind_zh: both(kind.zh),
      kind_en: both(kind.en),
      grade_zh: both(grade[0]),
      grade_en: both(grade[1])
    }, citations);
    return { stop: "not_determinable", reason: "tier_not_found" };
  };

  Evaluation.prototype.perDeath = function (rule, f) {
    var deaths = this.c.concealed_deaths;
    if (deaths === 0) {
      this.message(rule + ".no_deaths", "no_deaths", {}, f.no_deaths_citations);
      return { stop: "not_determinable", reason: "no_deaths" };
    }
    var g = this.c.accident_grade;
    if (g === null || !has(f.per_death_yuan, g)) {
      return this.notFound(rule, f.citations.concat(f.not_found_citations));
    }
    var perDeath = frac(f.per_death_yuan[g], 1);
    var raw = mul(perDeath, frac(deaths, 1));
    var cap = frac(f.cap_yuan, 1);
    var grade = this.grade();
    var values = {
      grade_zh: both(grade[0]),
      grade_en: both(grade[1]),
      deaths: both(formatAmount(frac(deaths, 1))),
      per_death: both(formatAmount(perDeath)),
      raw: both(formatAmount(raw)),
      cap: both(formatAmount(cap))
    };
    this.step(rule, f.text_zh, f.text_en, values, f.citations);
    if (cmp(raw, cap) > 0) {
      this.message(rule + ".cap", "cap", { amount: values.cap }, f.citations);
      return { amount: [cap, cap] };
    }
    return { amount: [raw, raw] };
  };

  Evaluation.prototype.avoidedGrade = function (rule, f) {
    var g = this.c.accident_grade;
    if (g === null || !has(f.tiers, g)) {
      return this.notFound(rule, f.citations.concat(f.not_found_citations));
    }
    var tier = f.tiers[g];
    var grade = this.grade();
    this.step(rule, f.text_zh, f.text_en, {
      grade_zh: both(grade[0]),
      grade_en: both(grade[1]),
      min: both(formatAmount(frac(tier.min_yuan, 1))),
      max: both(formatAmount(frac(tier.max_yuan, 1)))
    }, f.citations);
    return { amount: [frac(tier.min_yuan, 1), frac(tier.max_yuan, 1)] };
  };

  Evaluation.prototype.uplift = function (amount) {
    var u = this.rs.employee_uplift;
    if (!this.c.reporter_is_employee) return amount;
    if (u.percent === 0) {
      this.message("employee_uplift.none", "no_uplift", {}, u.citations);
      return amount;
    }
    if (!holds(u.when, [], this.facts)) {
      this.step("employee_uplift.not_applied", u.not_applied_zh, u.not_applied_en, {}, u.citations);
      return amount;
    }
    var factor = frac(100 + u.percent, 100);
    var raised = [mul(amount[0], factor), mul(amount[1], factor)];
    this.step("employee_uplift", u.text_zh, u.text_en, {
      percent: both(String(u.percent)),
      before: this.range(amount),
      after: this.range(raised)
    }, u.citations);
    if (u.cap_yuan !== null && u.cap_yuan !== undefined && cmp(raised[1], frac(u.cap_yuan, 1)) > 0) {
      var cap = frac(u.cap_yuan, 1);
      raised = [minF(raised[0], cap), cap];
      this.message("employee_uplift.cap", "uplift_cap", { amount: this.range(raised) }, u.citations);
    }
    return raised;
  };

  Evaluation.prototype.maxSingle = function (amount) {
    var limit = this.rs.max_single_reward_yuan;
    if (limit === null || limit === undefined || cmp(amount[1], frac(limit, 1)) <= 0) return amount;
    var cap = frac(limit, 1);
    var capped = [minF(amount[0], cap), cap];
    this.message("max_single_reward", "max_single", { amount: this.range(capped) },
      this.rs.max_single_citations);
    return capped;
  };

  Evaluation.prototype.rounded = function (amount) {
    var mode = this.rs.rounding.mode;
    var rounded = [roundF(amount[0], mode), roundF(amount[1], mode)];
    if (!isWhole(amount[0]) || !isWhole(amount[1])) {
      var label = this.data.rounding_modes[mode];
      this.message("rounding", "rounding", {
        before: this.range(amount),
        after: this.range([frac(rounded[0], 1), frac(rounded[1], 1)]),
        mode_zh: both(label.zh),
        mode_en: both(label.en)
      }, this.rs.rounding.citations);
    }
    return rounded;
  };

  Evaluation.prototype.result = function (outcome, rule, reason, paid) {
    var reward = outcome === "not_paid" ? 0 : null;
    var rewardMax = null;
    var share = reward;
    var shareMax = null;
    var officersDecide = false;
    if (paid !== null) {
      var lo = paid.total[0];
      var hi = paid.total[1];
      var n = this.c.joint_reporters;
      officersDecide = paid.officersDecide;
      reward = lo;
      share = idiv(lo, n);
      if (officersDecide) {
        rewardMax = hi;
        shareMax = idiv(hi, n);
      }
      if (n > 1) {
        this.message("joint_split", "split", {
          reporters: both(String(n)),
          total: this.range([frac(lo, 1), frac(hi, 1)]),
          share: this.range([frac(idiv(lo, n), 1), frac(idiv(hi, n), 1)])
        }, this.rs.joint_split.citations);
      }
    }
    var rs = this.rs;
    return {
      outcome: outcome,
      paid: outcome === "paid",
      reward_yuan: reward,
      reward_max_yuan: rewardMax,
      per_reporter_yuan: share,
      per_reporter_max_yuan: shareMax,
      officers_decide: officersDecide,
      basis: {
        rule_set: rs.name,
        rule_set_title_zh: rs.title_zh,
        rule_set_title_en: rs.title_en,
        rule_set_partial: rs.partial,
        outcome: outcome,
        rule: rule,
        reason: reason,
        summary_zh: this.summary("zh"),
        summary_en: this.summary("en"),
        steps: this.steps
      }
    };
  };

  Evaluation.prototype.summary = function (lang) {
    var m = this.data.messages;
    var zh = lang === "zh";
    var parts = [];
    var previous = "[]";
    for (var i = 0; i < this.steps.length; i += 1) {
      var step = this.steps[i];
      var text = zh ? step.text_zh : step.text_en;
      var key = JSON.stringify(step.citations);
      if (step.citations.length && key !== previous) {
        var rendered = [];
        for (var j = 0; j < step.citations.length; j += 1) {
          var c = step.citations[j];
          var named = render(zh ? m.citation.zh : m.citation.en, {
            document: zh ? c.document : (c.document_en || c.document),
            article: zh || !c.article ? c.article : " " + c.article
          });
          if (rendered.indexOf(named) < 0) rendered.push(named); // one document, named once
        }
        text += render(zh ? m.citations.zh : m.citations.en, {
          list: rendered.join(zh ? m.citations.separator_zh : m.citations.separator_en)
        });
      }
      previous = key;
      parts.push(text);
    }
    return render(zh ? m.summary.zh : m.summary.en, {
      steps: parts.join(zh ? m.summary.separator_zh : m.summary.separator_en)
    });
  };

  // ---------------------------------------------------------------- entry point
  function calculate(ruleSets, ruleSetName, caseObj) {
    if (!ruleSets || ruleSets.format !== 1 || !ruleSets.rule_sets) {
      fail("奖励规则数据格式不受支持", "unsupported reward rule data");
    }
    var c = readCase(ruleSets, caseObj);
    var name = ruleSetName || c.rule_set || ruleSets.default_rule_set;
    if (!has(ruleSets.rule_sets, name)) {
      fail("未知的奖励规则集：" + name, "Unknown reward rule set: " + name);
    }
    return new Evaluation(ruleSets, ruleSets.rule_sets[name], c).run();
  }

  var api = { calculate: calculate, formatAmount: formatAmount };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  if (root) root.JubaoReward = api;
})(typeof window !== "undefined" ? window : null);
