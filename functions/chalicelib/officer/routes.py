"""The officers' API routes, listed once (docs/officer-api.md).

Both adapters serve this table: ``functions/officer/app.py`` registers each route with the
officers' own Chalice app (its own Lambda and IAM role), and the local server's WSGI
adapter (``jubao.wsgi``) matches ``/api/officer/...`` against it. No route here ever joins
the public app.
"""

from __future__ import annotations

from ..reports.models import ErrorResponse
from ..web.routing import Match, Route, RouteDoc
from ..web.routing import match as match_route
from . import handlers
from .models import (
    CosignBody,
    ExcludeBody,
    GrantBody,
    KeyEventBody,
    RevokeBody,
    TransferBody,
)

_REFUSALS = dict.fromkeys((400, 401, 403, 404, 409, 422), ErrorResponse)


def _doc(summary: str, body: type | None = None) -> RouteDoc:
    return RouteDoc(summary, body, {200: "application/json", **_REFUSALS})


CASE = "/api/officer/cases/{number}"
AUDIT = "/api/officer/audit/{unit}"

ROUTES: tuple[Route, ...] = (
    Route("officer_me", "GET", "/api/officer/me", handlers.me, _doc("我的身份 / Who am I")),
    Route(
        "officer_list_cases",
        "GET",
        "/api/officer/cases",
        handlers.list_cases,
        _doc("本单位案件（按时限） / A unit's cases by deadline"),
    ),
    Route("officer_get_case", "GET", CASE, handlers.get_case, _doc("案件 / One case")),
    Route(
        "officer_get_attachment",
        "GET",
        CASE + "/attachments/{attachment_id}",
        handlers.get_attachment,
        _doc("附件密文 / A sealed attachment"),
    ),
    Route(
        "officer_get_identity",
        "GET",
        CASE + "/identity",
        handlers.get_identity,
        _doc("举报人信息密文 / The sealed identity"),
    ),
    Route(
        "officer_grant",
        "POST",
        CASE + "/grant",
        handlers.grant,
        _doc("签收并分派 / Sign for and grant", GrantBody),
    ),
    Route(
        "officer_escalate",
        "POST",
        CASE + "/escalate",
        handlers.escalate,
        _doc("上报上级 / Escalate to a unit above", GrantBody),
    ),
    Route(
        "officer_revoke",
        "POST",
        CASE + "/revoke",
        handlers.revoke,
        _doc("撤回 / Revoke", RevokeBody),
    ),
    Route(
        "officer_transfer",
        "POST",
        CASE + "/transfer",
        handlers.transfer,
        _doc("转交 / Transfer", TransferBody),
    ),
    Route(
        "officer_exclude",
        "POST",
        CASE + "/exclude",
        handlers.exclude,
        _doc("回避 / Exclude", ExcludeBody),
    ),
    Route(
        "officer_audit_entries",
        "GET",
        AUDIT,
        handlers.audit_entries,
        _doc("审计日志 / Audit log entries"),
    ),
    Route(
        "officer_audit_checkpoint",
        "GET",
        AUDIT + "/checkpoint",
        handlers.audit_checkpoint,
        _doc("最新检查点 / Latest checkpoint"),
    ),
    Route(
        "officer_audit_checkpoints",
        "GET",
        AUDIT + "/checkpoints",
        handlers.audit_checkpoints,
        _doc("全部检查点 / All checkpoints"),
    ),
    Route(
        "officer_audit_consistency",
        "GET",
        AUDIT + "/consistency",
        handlers.audit_consistency,
        _doc("一致性证明 / Consistency proof"),
    ),
    Route(
        "officer_audit_inclusion",
        "GET",
        AUDIT + "/inclusion",
        handlers.audit_inclusion,
        _doc("包含证明 / Inclusion proof"),
    ),
    Route(
        "officer_key_event",
        "POST",
        "/api/officer/keys/events",
        handlers.key_event,
        _doc("记录密钥事件（录入、恢复、轮换） / Record a key event", KeyEventBody),
    ),
    Route(
        "officer_audit_cosign",
        "POST",
        AUDIT + "/cosign",
        handlers.audit_cosign,
        _doc("见证签名 / Cosign a checkpoint", CosignBody),
    ),
)


def match(method: str, path: str) -> Match | None:
    return match_route(method, path, ROUTES)
