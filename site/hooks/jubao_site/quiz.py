"""The prize quiz (有奖问答): questions from ``site/content/quiz.toml``, facts from the config.

Choices that state a fact (the hotline, a deadline) are written as placeholders and filled
from the office configuration, so the quiz cannot contradict the site or the rules. The
build fails if a filled question has duplicate choices (a distractor that happens to equal
the configured answer) or a correct index out of range.

The quiz is rendered into the page as an ordinary form, so it reads without JavaScript
(each answer and its explanation sit in a ``<details>``); the page script only scores it,
and only once every question is answered: a blank or half-filled submit names the
questions still open and reveals nothing. Without JavaScript there is nothing to submit
(the buttons appear with the script), so nobody loses their answers to a reload.

A prize is spoken of only when the office says how to claim one (``quiz.claim`` in the
office configuration): then the pass message is "恭喜，达到获奖标准！" followed by where
and how; otherwise reaching the pass mark is just that.
"""

from __future__ import annotations

import tomllib
from html import escape
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.config.office import OfficeConfig
from chalicelib.i18n import Lang, Text, pick

from . import facts
from .blocks import Link

QUIZ_FILE = Path(__file__).resolve().parents[2] / "content" / "quiz.toml"


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    question: Text
    choices: list[Text] = Field(min_length=2, max_length=6)
    correct: int = Field(ge=0)
    explanation: Text
    fact: str | None = None  # the configuration fact the correct choice states, if any

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.correct >= len(self.choices):
            raise ValueError(f"question {self.id}: correct index out of range")
        for lang in facts.LANGS:
            texts = [c(lang) for c in self.choices]
            if len(set(texts)) != len(texts):
                raise ValueError(f"question {self.id}: duplicate choices in {lang}")
        return self


class Quiz(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: Text
    pass_mark: int = Field(ge=1)
    questions: list[Question] = Field(min_length=1)


def _fill(value: Any, values_by_lang: dict[str, dict[str, str]], lang: str | None) -> Any:
    """Fill placeholders; a {zh, en} pair is filled with the facts of its own language."""
    if isinstance(value, dict):
        return {
            key: _fill(item, values_by_lang, key if key in values_by_lang else lang)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_fill(item, values_by_lang, lang) for item in value]
    if isinstance(value, str):
        return facts.fill(value, values_by_lang[lang or "zh"])
    return value


def load(office: OfficeConfig, path: Path = QUIZ_FILE) -> Quiz:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    values: dict[str, dict[str, str]] = {lang: facts.facts(office, lang) for lang in facts.LANGS}
    return Quiz.model_validate(_fill(raw, values, None))


def as_json(quiz: Quiz) -> dict[str, Any]:
    """The filled quiz as published at ``assets/quiz.json`` (both languages)."""
    return quiz.model_dump(mode="json")


def render(office: OfficeConfig, lang: Lang, link: Link) -> str:
    quiz = load(office)
    items = []
    for number, q in enumerate(quiz.questions, start=1):
        choices = "".join(
            f'<label class="choice"><input type="radio" name="q-{q.id}" value="{i}"> '
            f"{escape(choice(lang))}</label>"
            for i, choice in enumerate(q.choices)
        )
        answer_label = pick(lang, "查看答案", "Show the answer")
        answer = escape(q.choices[q.correct](lang))
        items.append(
            f'<li class="jubao-quiz__q" data-question="{q.id}" data-correct="{q.correct}">'
            f'<fieldset><legend><span class="jubao-quiz__no">{number}.</span> '
            f"{escape(q.question(lang))}</legend>{choices}</fieldset>"
            f'<p class="jubao-quiz__verdict" aria-live="polite"></p>'
            f'<details class="jubao-quiz__explain"><summary>{answer_label}</summary>'
            f"<p><strong>{answer}</strong></p><p>{escape(q.explanation(lang))}</p>"
            "</details></li>"
        )
    submit = pick(lang, "交卷并查看得分", "Score my answers")
    again = pick(lang, "重新作答", "Start again")
    needs_js = pick(
        lang,
        "自动计分需要启用浏览器的 JavaScript；您也可以展开每题的“查看答案”自行核对。",
        "Automatic scoring needs JavaScript; you can also open “Show the answer” under "
        "each question.",
    )
    prize = office.quiz
    claim = pick(lang, prize.claim, prize.claim_en or prize.claim).strip()
    if prize.offered:
        passed = pick(lang, "恭喜，达到获奖标准！", "Well done: that is a prize score!")
        claim_html = (
            f'<p class="jubao-quiz__claim" id="quiz-claim" hidden>'
            f"<strong>{pick(lang, '领奖办法：', 'How to claim: ')}</strong>{escape(claim)}</p>"
        )
    else:
        passed = pick(
            lang,
            f"恭喜，达到合格线（答对 {quiz.pass_mark} 题）！",
            f"Well done: you reached the pass mark ({quiz.pass_mark} right).",
        )
        claim_html = ""
    return (
        f'<form class="jubao-quiz" id="quiz" data-pass="{quiz.pass_mark}" '
        f'data-total="{len(quiz.questions)}" data-passed="{escape(passed)}" novalidate>'
        f'<noscript><p class="jubao-note">{needs_js}</p></noscript>'
        f'<ol class="jubao-quiz__list">{"".join(items)}</ol>'
        '<div class="jubao-quiz__actions" hidden>'
        f'<button type="submit" class="md-button md-button--primary">{submit}</button> '
        f'<button type="reset" class="md-button">{again}</button></div>'
        '<p class="jubao-quiz__score" id="quiz-score" role="status" aria-live="polite"></p>'
        f"{claim_html}"
        "</form>"
    )
