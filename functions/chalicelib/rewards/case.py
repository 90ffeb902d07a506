"""The case: the facts of one report that its reward depends on.

Why a module of its own: these facts arrive from outside (``jubao reward-calc`` reads
them as JSON), so ``RewardCase`` refuses anything the engine could misread, with a
bilingual message: a fine in exact yuan and fen within the bounds of ``schema``, and an
accident grade consistent with the deaths (the grade thresholds are engine data, read
through ``loader``). The engine then trusts a case as given.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..reports.models import ReportKind
from .loader import engine_data
from .schema import (
    MAX_CONCEALED_DEATHS,
    MAX_FINE_YUAN,
    MAX_JOINT_REPORTERS,
    MAX_REPORT_ORDER,
    NAME,
    Frozen,
    Grade,
)

_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _bilingual_error(kind: str, zh: str, en: str) -> PydanticCustomError:
    return PydanticCustomError(kind, f"{zh} / {en}")


class RewardCase(Frozen):
    """The facts of one verified (or not) report that a reward depends on.

    ``has_contact`` says whether the reporter left valid contact details; when it is not
    given it follows ``real_name`` (a real-name report is taken to carry contact details,
    an anonymous one not). ``accident_grade`` is the FINAL grade of a concealed accident,
    or for a hazard/violation the grade of the accident the report avoided (only rule sets
    with graded tiers, such as ``anhui-2017``, use it). ``fine_total_yuan`` is the sum of
    the fines on the unit and on the persons concerned, in yuan with at most 2 decimals.
    """

    kind: ReportKind
    verified: StrictBool
    real_name: StrictBool
    has_contact: StrictBool | None = None
    reporter_is_employee: StrictBool = False
    report_order: StrictInt = Field(default=1, ge=1, le=MAX_REPORT_ORDER)
    joint_reporters: StrictInt = Field(default=1, ge=1, le=MAX_JOINT_REPORTERS)
    already_handled_by_regulator: StrictBool = False
    fine_total_yuan: Decimal = Decimal(0)
    accident_grade: Grade | None = None
    concealed_deaths: StrictInt = Field(default=0, ge=0, le=MAX_CONCEALED_DEATHS)
    rule_set: Annotated[str, Field(pattern=NAME)] | None = None

    @field_validator("fine_total_yuan", mode="before")
    @classmethod
    def _fine(cls, value: Any) -> Decimal:
        """Exact yuan and fen: a plain decimal number, never a float's binary noise."""
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise _bilingual_error("amount_type", "罚款金额须为数字", "the fine must be a number")
        if isinstance(value, float):
            text = repr(value)
        elif isinstance(value, Decimal):
            text = format(value, "f")
        else:
            text = str(value)
        if not _AMOUNT.fullmatch(text):
            raise _bilingual_error(
                "amount_format",
                "罚款金额须为不小于 0 的十进制数",
                "the fine must be a non-negative decimal number",
            )
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the pattern already checked
            raise _bilingual_error("amount_format", "罚款金额格式错误", "malformed fine") from exc
        if (amount * 100) % 1 != 0:
            raise _bilingual_error(
                "amount_fen", "罚款金额最多精确到分", "the fine has at most 2 decimals (fen)"
            )
        if amount > MAX_FINE_YUAN:
            raise _bilingual_error(
                "amount_range",
                f"罚款金额不得超过 {MAX_FINE_YUAN} 元",
                f"the fine may not exceed {MAX_FINE_YUAN} yuan",
            )
        return amount

    @model_validator(mode="after")
    def _consistent(self) -> RewardCase:
        concealed = self.kind is ReportKind.concealed_accident
        if concealed and self.accident_grade is None:
            raise _bilingual_error(
                "grade_required",
                "瞒报、谎报事故须给出最终确认的事故等级",
                "a concealed accident needs its final accident grade",
            )
        if not concealed and self.concealed_deaths:
            raise _bilingual_error(
                "deaths_not_applicable",
                "瞒报死亡人数只适用于瞒报、谎报事故",
                "concealed deaths apply only to a concealed accident",
            )
        if concealed and self.accident_grade is not None:
            grades = engine_data().grades
            implied = max(
                (g for g in grades.values() if g.min_deaths <= self.concealed_deaths),
                key=lambda g: g.order,
            )
            if implied.order > grades[self.accident_grade].order:
                raise _bilingual_error(
                    "grade_below_deaths",
                    f"查实死亡人数对应的事故等级至少为{implied.zh}事故",
                    f"the verified deaths make it at least a grade '{implied.en}' accident",
                )
        return self

    def facts(self) -> dict[str, Any]:
        """The values eligibility tests read (``has_contact`` resolved)."""
        return {
            "kind": self.kind.value,
            "verified": self.verified,
            "real_name": self.real_name,
            "has_contact": self.real_name if self.has_contact is None else self.has_contact,
            "reporter_is_employee": self.reporter_is_employee,
            "report_order": self.report_order,
            "joint_reporters": self.joint_reporters,
            "already_handled_by_regulator": self.already_handled_by_regulator,
            "accident_grade": self.accident_grade,
            "concealed_deaths": self.concealed_deaths,
        }
