"""``jubao officer whoami``, ``list``, ``show``, ``attachment`` and ``identity``, and the
grants: ``assign``, ``escalate``, ``revoke``, ``transfer``, ``exclude``."""

from __future__ import annotations

from typing import Any

from jubao.officer import actions

from .context import OK, Context, create_private, table

# ---- cases ----------------------------------------------------------------------------------


def whoami(ctx: Context) -> int:
    me = actions.whoami(ctx.client())
    officer, unit = me.get("officer", {}), me.get("unit", {})
    ctx.emit(
        me,
        f"{officer.get('id')}（{officer.get('name') or '-'}）"
        f" · {unit.get('name')} / {unit.get('name_en')} ({unit.get('code')})\n"
        f"角色 / roles: {', '.join(officer.get('roles', []))}\n"
        f"可见单位 / units visible: {', '.join(me.get('units_visible', []))}",
    )
    return OK


_COLUMNS = ("number", "state", "kind", "region", "industry", "next_deadline", "assignees")
_HEADINGS = (
    "编号 number",
    "状态 state",
    "类别 kind",
    "地区 region",
    "行业 industry",
    "下一期限 deadline",
    "承办 assignees",
)


def list_cases(ctx: Context) -> int:
    page = actions.list_cases(
        ctx.client(),
        unit=ctx.args.unit,
        after=ctx.args.after,
        limit=ctx.args.limit,
        every=ctx.args.all,
    )
    rows = [
        [
            ", ".join(v) if isinstance(v, list) else str(v or "-")
            for v in (case.get(c) for c in _COLUMNS)
        ]
        for case in page.get("cases", [])
    ]
    text = table(list(_HEADINGS), rows) if rows else "没有案件。\nNo cases."
    if page.get("next"):
        text += f"\n下一页 / next page: --after {page['next']}"
    ctx.emit(page, text)
    return OK


def show(ctx: Context) -> int:
    opened = actions.show_case(ctx.client(), ctx.keys(), ctx.args.number)
    ctx.emit(opened.as_json(), _case_text(opened))
    return OK


def _case_text(opened: actions.OpenedCase) -> str:
    case = opened.summary
    lines = [
        f"案件 / case {case.get('number')}  状态 / state: {case.get('state')}"
        f"  版本 / version: {case.get('version')}",
        f"承办单位 / unit: {case.get('unit')}  类别 / kind: {case.get('kind')}"
        f"  地区 / region: {case.get('region')}  行业 / industry: {case.get('industry')}",
        f"收到 / received: {case.get('received_at')}  下一期限 / next deadline:"
        f" {case.get('next_deadline') or '-'}",
        f"承办人 / assignees: {', '.join(case.get('assignees') or []) or '-'}"
        f"  回避 / excluded: {', '.join(case.get('excluded') or []) or '-'}",
    ]
    if opened.content is None:
        lines.append("您只能查看基本信息。 / Metadata only: you cannot open this case's content.")
    else:
        lines.append("— 举报内容 / content —")
        lines += [f"{k}: {v}" for k, v in opened.content.items() if v not in (None, "", [])]
        for sup in opened.supplements:
            lines.append(f"— 补充材料 / supplement {sup.get('id')} ({sup.get('at')}) —")
            lines.append(str(sup.get("text", "")))
    attachments = opened.view.get("attachments") or []
    if attachments:
        lines.append("— 附件 / attachments —")
        lines += [f"{a.get('id')}  {a.get('content_type')}  {a.get('size')} B" for a in attachments]
    lines.append(f"审计记录 / audit entries of this case: {len(opened.view.get('history') or [])}")
    return "\n".join(lines)


def attachment(ctx: Context) -> int:
    data = actions.fetch_attachment(
        ctx.client(), ctx.keys(), ctx.args.number, ctx.args.attachment_id
    )
    create_private(ctx.args.out, data)
    ctx.emit(
        {
            "number": ctx.args.number,
            "id": ctx.args.attachment_id,
            "out": str(ctx.args.out),
            "size": len(data),
        },
        f"附件已解密保存到 {ctx.args.out}（{len(data)} 字节）。\n"
        f"Attachment decrypted to {ctx.args.out} ({len(data)} bytes).",
    )
    return OK


def identity(ctx: Context) -> int:
    identity = actions.open_identity(ctx.client(), ctx.keys(), ctx.args.number)
    if identity is None:
        text = "匿名举报，未留身份信息。\nAnonymous report: no identity was given."
    else:
        text = "\n".join(f"{k}: {v}" for k, v in identity.items() if v not in (None, ""))
    ctx.emit({"number": ctx.args.number, "identity": identity}, text)
    return OK


def _changed(ctx: Context, answer: dict[str, Any], zh: str, en: str) -> int:
    case = answer.get("case", {})
    ctx.emit(
        answer,
        f"{zh}\n{en}\n承办人 / assignees: {', '.join(case.get('assignees') or []) or '-'}"
        f"  版本 / version: {case.get('version')}",
    )
    return OK


def assign(ctx: Context) -> int:
    a = ctx.args
    answer = actions.assign(ctx.client(), ctx.office(), ctx.keys(), a.number, a.to)
    return _changed(
        ctx,
        answer,
        f"已签收案件 {a.number} 并交 {a.to} 办理。",
        f"Case {a.number} signed for and granted to {a.to}.",
    )


def escalate(ctx: Context) -> int:
    a = ctx.args
    answer = actions.escalate(ctx.client(), ctx.office(), ctx.keys(), a.number, a.to)
    return _changed(
        ctx,
        answer,
        f"案件 {a.number} 已上报 {a.to}（可查看内容，已记入审计日志）。",
        f"Case {a.number} escalated to {a.to} (who can now open it; audited).",
    )


def revoke(ctx: Context) -> int:
    a = ctx.args
    answer = actions.revoke(ctx.client(), a.number, a.officer)
    return _changed(
        ctx,
        answer,
        f"已撤回 {a.officer} 对案件 {a.number} 的授权。",
        f"{a.officer}'s grant of case {a.number} revoked.",
    )


def transfer(ctx: Context) -> int:
    a = ctx.args
    answer = actions.transfer(ctx.client(), ctx.office(), ctx.keys(), a.number, a.old, a.new)
    return _changed(
        ctx,
        answer,
        f"案件 {a.number} 已由 {a.old} 转交 {a.new}。",
        f"Case {a.number} moved from {a.old} to {a.new}.",
    )


def exclude(ctx: Context) -> int:
    a = ctx.args
    answer = actions.exclude(ctx.client(), a.number, a.officer)
    return _changed(
        ctx,
        answer,
        f"{a.officer} 已对案件 {a.number} 回避。",
        f"{a.officer} is excluded from case {a.number}.",
    )
