"""The pydantic models of the officers' API edge (docs/officer-api.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..store.cases import CaseRecord

OFFICER_ID = r"^[a-z0-9][a-z0-9-]{1,62}$"
BLOB = r"^(content|entry:[A-Za-z0-9_-]{1,64}|attachment:[A-Za-z0-9_-]{1,64})$"


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class WrapIn(_Body):
    blob: str = Field(pattern=BLOB)
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    wrapped: str = Field(min_length=40, max_length=200, pattern=r"^[A-Za-z0-9+/]+={0,2}$")


class GrantBody(_Body):
    to: str = Field(pattern=OFFICER_ID)
    expected_version: int = Field(ge=1)
    wraps: tuple[WrapIn, ...] = Field(default=(), max_length=90)


class RevokeBody(_Body):
    officer: str = Field(pattern=OFFICER_ID)
    expected_version: int = Field(ge=1)


class TransferBody(_Body):
    from_: str = Field(alias="from", pattern=OFFICER_ID)
    to: str = Field(pattern=OFFICER_ID)
    expected_version: int = Field(ge=1)
    wraps: tuple[WrapIn, ...] = Field(default=(), max_length=90)


class ExcludeBody(_Body):
    officer: str = Field(pattern=OFFICER_ID)
    expected_version: int = Field(ge=1)


class KeyEventBody(_Body):
    """A key event done on an officer's machine, put on the record (enrolment, recovery,
    rotation): the server never sees the keys, only that it happened and who did it."""

    action: Literal["enrol", "recover", "rotate"]
    unit: str = Field(pattern=r"^[0-9]{6}$")
    role: Literal["content", "custodian"]
    subject: str | None = Field(default=None, pattern=OFFICER_ID)  # the officer enrolled
    key_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{16}$")  # the new public key


class CosignBody(_Body):
    note: str = Field(min_length=10, max_length=4096)


class CaseSummary(_Body):
    number: str
    unit: str
    kind: str
    region: str
    industry: str
    state: str
    version: int
    received_at: datetime
    updated_at: datetime
    next_deadline: date | None
    assignees: tuple[str, ...]
    excluded: tuple[str, ...]

    @classmethod
    def of(cls, case: CaseRecord) -> CaseSummary:
        return cls(
            number=case.number,
            unit=case.unit,
            kind=str(case.kind),
            region=case.region,
            industry=case.industry,
            state=str(case.state),
            version=case.version,
            received_at=case.received_at,
            updated_at=case.updated_at,
            next_deadline=case.next_deadline,
            assignees=case.assignees,
            excluded=case.excluded,
        )


def summary_json(case: CaseRecord) -> dict[str, Any]:
    return CaseSummary.of(case).model_dump(mode="json")
