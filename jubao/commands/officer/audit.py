"""``jubao officer audit``, ``audit verify`` and ``audit cosign``: the unit's log, checked here."""

from __future__ import annotations

from typing import Any

from jubao.officer import auditing

from .context import AUDIT_FAILED, OK, Context, table

# ---- audit ----------------------------------------------------------------------------------


def entries(ctx: Context) -> int:
    unit = ctx.own_unit()
    query = {"start": ctx.args.start, "end": ctx.args.end}
    answer = ctx.client().get(f"/audit/{unit}", query)
    rows = [
        [
            str(e.get("index")),
            str(e.get("at")),
            str(e.get("actor")),
            str(e.get("action")),
            str(e.get("case") or "-"),
            str(e.get("outcome")),
        ]
        for e in answer.get("entries", [])
    ]
    head = ["序号 index", "时间 at", "人员 actor", "操作 action", "案件 case", "结果 outcome"]
    ctx.emit(
        answer,
        f"单位 / unit {unit}: {answer.get('size')} 条 / entries\n"
        + (table(head, rows) if rows else ""),
    )
    return OK


def _report_json(report: auditing.Report) -> dict[str, Any]:
    return {
        "unit": report.unit,
        "ok": report.ok,
        "size": report.size,
        "root": report.root_hex,
        "first_bad": report.first_bad,
        "problems": report.problems,
        "awaiting_witness": report.awaiting_witness,
        "latest_size": report.latest_size,
    }


def _report_text(report: auditing.Report) -> str:
    if report.ok:
        lines = [
            f"单位 {report.unit} 的审计日志校验通过：{report.size} 条，根 {report.root_hex}。",
            f"Unit {report.unit}'s audit log verifies: {report.size} entries,"
            f" root {report.root_hex}.",
        ]
    else:
        lines = [
            f"单位 {report.unit} 的审计日志校验失败！ / Unit {report.unit}'s audit log"
            " does NOT verify!"
        ]
        if report.first_bad is not None:
            lines.append(f"第一个错误条目 / first bad entry: {report.first_bad}")
        lines += [f"- {p}" for p in report.problems]
    lines += [f"（待见证 / awaiting witness）{p}" for p in report.awaiting_witness]
    return "\n".join(lines)


def verify(ctx: Context) -> int:
    unit = ctx.own_unit()
    seen = auditing.load_seen(auditing.seen_path(ctx.key_path))
    report = auditing.verify_unit(ctx.client(), ctx.office(), unit, seen)
    ctx.emit(_report_json(report), _report_text(report))
    return OK if report.ok else AUDIT_FAILED


def cosign(ctx: Context) -> int:
    unit = ctx.own_unit()
    seen = auditing.load_seen(auditing.seen_path(ctx.key_path))
    done = auditing.cosign_unit(ctx.client(), ctx.office(), ctx.keys(), unit, seen)
    value = {**_report_json(done.report), "cosigned": done.note is not None, "note": done.note}
    if done.note is None:
        ctx.emit(
            value,
            "未见证：日志校验失败。 / Not cosigned: the log does not verify.\n"
            + _report_text(done.report),
        )
        return AUDIT_FAILED
    ctx.emit(
        value,
        f"已见证单位 {unit} 的检查点（{done.report.size} 条）。\n"
        f"Checkpoint of unit {unit} cosigned ({done.report.size} entries).",
    )
    return OK


__all__ = ["cosign", "entries", "verify"]
