/*
 * 有奖问答 · Quiz scoring. The questions, answers and explanations are in the page (built
 * from site/content/quiz.toml with facts from the office configuration); this only scores.
 * A submit with questions left open names them and reveals no answer. The pass message
 * (and how to claim a prize, if the office runs one) is in the page: data-passed and
 * #quiz-claim, from the office configuration.
 */
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  if (!form || !window.JubaoText) return;
  var M = {
    right: ["回答正确", "Correct"],
    wrong: ["回答错误", "Wrong"],
    blank: ["未作答", "Not answered"],
    open: ["还有 {n} 题未作答（第 {list} 题），请全部作答后再交卷。",
      "{n} questions are not answered yet ({list}); answer every question, then score."],
    openOne: ["还有 1 题未作答（第 {list} 题），请作答后再交卷。",
      "Question {list} is not answered yet; answer it, then score."],
    score: ["您答对了 {n} / {total} 题。", "You got {n} of {total} right."],
    fail: ["看看每题的解析，再试一次吧。", "Read the explanations and try again."]
  };
  var t = window.JubaoText.of(M);
  var EN = window.JubaoText.en;
  var score = document.getElementById("quiz-score");
  var claim = document.getElementById("quiz-claim");
  var actions = form.querySelector(".jubao-quiz__actions");
  if (actions) actions.hidden = false;
  form.classList.add("has-js");

  function say(text) {
    score.textContent = text;
    score.setAttribute("tabindex", "-1");
    score.focus();
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var questions = form.querySelectorAll(".jubao-quiz__q");
    var open = [];
    questions.forEach(function (q, i) {
      var answered = !!q.querySelector("input:checked");
      q.classList.toggle("is-blank", !answered);
      if (!answered) open.push(i + 1);
    });
    if (open.length) {
      // nothing is scored or revealed until every question is answered
      form.classList.remove("is-scored");
      if (claim) claim.hidden = true;
      questions.forEach(function (q) {
        q.classList.remove("is-right", "is-wrong");
        q.querySelector(".jubao-quiz__verdict").textContent = q.classList.contains("is-blank") ? t("blank", {}) : "";
        q.querySelector("details").open = false;
      });
      var list = open.join(EN ? ", " : "、");
      say(t(open.length === 1 ? "openOne" : "open", { n: open.length, list: list }));
      return;
    }
    var right = 0;
    questions.forEach(function (q) {
      var chosen = q.querySelector("input:checked");
      var ok = chosen.value === q.dataset.correct;
      if (ok) right += 1;
      q.classList.toggle("is-right", ok);
      q.classList.toggle("is-wrong", !ok);
      q.querySelector(".jubao-quiz__verdict").textContent = ok ? t("right", {}) : t("wrong", {});
      q.querySelector("details").open = !ok;
    });
    form.classList.add("is-scored");
    var pass = right >= parseInt(form.dataset.pass, 10);
    if (claim) claim.hidden = !pass;
    say(t("score", { n: right, total: questions.length }) + " " + (pass ? form.dataset.passed : t("fail", {})));
  });
  form.addEventListener("reset", function () {
    form.classList.remove("is-scored");
    score.textContent = "";
    if (claim) claim.hidden = true;
    form.querySelectorAll(".jubao-quiz__q").forEach(function (q) {
      q.classList.remove("is-right", "is-wrong", "is-blank");
      q.querySelector(".jubao-quiz__verdict").textContent = "";
      q.querySelector("details").open = false;
    });
  });
})();
