/*
 * 有奖问答 · Quiz scoring. The questions, answers and explanations are in the page (built
 * from site/content/quiz.toml with facts from the office configuration); this only scores.
 */
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  if (!form || !window.JubaoText) return;
  var M = {
    right: ["回答正确", "Correct"],
    wrong: ["回答错误", "Wrong"],
    blank: ["未作答", "Not answered"],
    score: ["您答对了 {n} / {total} 题。", "You got {n} of {total} right."],
    pass: ["恭喜，达到获奖标准！", "Well done: that is a prize score!"],
    fail: ["看看每题的解析，再试一次吧。", "Read the explanations and try again."]
  };
  var t = window.JubaoText.of(M);
  var score = document.getElementById("quiz-score");
  form.classList.add("has-js");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var right = 0;
    var questions = form.querySelectorAll(".jubao-quiz__q");
    questions.forEach(function (q) {
      var chosen = q.querySelector("input:checked");
      var ok = chosen && chosen.value === q.dataset.correct;
      if (ok) right += 1;
      q.classList.toggle("is-right", !!ok);
      q.classList.toggle("is-wrong", !ok);
      q.querySelector(".jubao-quiz__verdict").textContent = ok ? t("right", {}) : chosen ? t("wrong", {}) : t("blank", {});
      q.querySelector("details").open = !ok;
    });
    form.classList.add("is-scored");
    var pass = right >= parseInt(form.dataset.pass, 10);
    score.textContent = t("score", { n: right, total: questions.length }) + " " + t(pass ? "pass" : "fail", {});
    score.setAttribute("tabindex", "-1");
    score.focus();
  });
  form.addEventListener("reset", function () {
    form.classList.remove("is-scored");
    score.textContent = "";
    form.querySelectorAll(".jubao-quiz__q").forEach(function (q) {
      q.classList.remove("is-right", "is-wrong");
      q.querySelector(".jubao-quiz__verdict").textContent = "";
      q.querySelector("details").open = false;
    });
  });
})();
