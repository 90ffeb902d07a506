"""``jubao officer init`` and ``keys``: the key file and the unit keys it holds."""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping
from pathlib import Path

from chalicelib import crypto
from jubao.officer import actions
from jubao.officer.actions import ActionError
from jubao.officer.keyfile import (
    Limits,
    OfficerKeys,
    inspect_keyfile,
    read_passphrase,
    write_keyfile,
)

from .context import OK, Context, create_private, read_small

# ---- key file and unit keys -------------------------------------------------------------------


def _new_passphrase(file: Path | None, env: Mapping[str, str]) -> bytes:
    if file is not None or env.get("JUBAO_PASSPHRASE_FILE"):
        return read_passphrase(file, env)
    first = getpass.getpass("New passphrase / 新口令: ").encode()
    if getpass.getpass("Again / 再次输入: ").encode() != first:
        raise ActionError("两次输入的口令不一致。", "The two passphrases differ.")
    return first


def init(ctx: Context) -> int:
    path = ctx.key_path
    officer_id: str = ctx.args.officer
    try:
        keys = OfficerKeys.new(officer_id)
    except ValueError:  # pydantic's error quotes nothing secret, but says it in English
        raise ActionError(
            "人员编号只能包含小写字母、数字和连字符。",
            "An officer id is lowercase letters, digits and hyphens.",
        ) from None
    passphrase = _new_passphrase(getattr(ctx.args, "passphrase_file", None), ctx.env)
    limits = Limits.SENSITIVE if ctx.args.sensitive else Limits.MODERATE
    write_keyfile(path, keys, passphrase, limits=limits)
    entry = actions.public_entry(keys)
    ctx.emit(
        entry,
        f"已创建密钥文件 {path}（Argon2id {limits.name.lower()}）。请将以下公钥交单位登记：\n"
        f"Key file {path} created. Give these public keys to your office's roster:\n"
        + json.dumps(entry, ensure_ascii=False, indent=2),
    )
    return OK


def export(ctx: Context) -> int:
    entry = actions.public_entry(ctx.keys())
    ctx.emit(entry, json.dumps(entry, ensure_ascii=False, indent=2))
    return OK


def import_key(ctx: Context) -> int:
    unit, role = ctx.args.unit, ctx.args.role
    if ctx.args.package is not None:
        keys = actions.import_package(ctx.keys(), read_small(ctx.args.package), unit, role)
    else:
        private = read_small(ctx.args.private_file).decode("ascii", "replace").strip()
        keys = actions.import_private(ctx.keys(), unit, role, private)
    ctx.save_keys(keys)
    key_id = actions.public_entry(keys)["unit_keys"][unit][role][0]
    ctx.emit(
        {"unit": unit, "role": role, "key_id": key_id},
        f"已导入单位 {unit} 的{role}密钥（{key_id}）。\n"
        f"Imported unit {unit}'s {role} key ({key_id}).",
    )
    return OK


def rotate(ctx: Context) -> int:
    unit, role = ctx.own_unit(), ctx.args.role
    keys, public = actions.rotate(ctx.keys(), unit, role)
    ctx.save_keys(keys)
    key_id = crypto.key_id(public)
    recorded = actions.record_key_event(ctx.client(), "rotate", unit, role, key_id=key_id)
    ctx.emit(
        {"unit": unit, "role": role, "public_key": public, "key_id": key_id, **recorded},
        f"已生成单位 {unit} 的新{role}密钥，旧密钥保留用于打开此前的举报。\n"
        f"New {role} key of unit {unit}; the old one is kept to open earlier reports.\n"
        f"公钥 / public key: {public}\n密钥标识 / key id: {key_id}\n"
        "请更新单位公钥配置（旧公钥移入 previous），并用 keys enrol 移交给本单位其他受理人员。\n"
        "Update the office's public keys (the old key moves to previous) and hand the key"
        " to the unit's other intake officer with keys enrol.",
    )
    return OK


def split(ctx: Context) -> int:
    unit, role = ctx.own_unit(), ctx.args.role
    shares = actions.split(ctx.keys(), unit, role, ctx.args.threshold, ctx.args.holder)
    out: Path | None = ctx.args.out_dir
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for holder, words in shares.items():
            create_private(out / f"{holder}.slip39", (words + "\n").encode())
        ctx.emit(
            {
                "unit": unit,
                "role": role,
                "threshold": ctx.args.threshold,
                "files": sorted(str(out / f"{h}.slip39") for h in shares),
            },
            f"已写出 {len(shares)} 份恢复份额到 {out}，任意 {ctx.args.threshold} 份可恢复密钥。\n"
            f"{len(shares)} shares written to {out}; any {ctx.args.threshold} rebuild the key.",
        )
    else:
        ctx.emit(
            {"unit": unit, "role": role, "threshold": ctx.args.threshold, "shares": shares},
            "\n".join(f"{holder}: {words}" for holder, words in shares.items()),
        )
    return OK


def recover(ctx: Context) -> int:
    unit, role = ctx.own_unit(), ctx.args.role
    shares = [read_small(p).decode("utf-8", "replace").strip() for p in ctx.args.shares]
    keys = actions.recover(ctx.keys(), unit, role, shares)
    ctx.save_keys(keys)
    recorded = actions.record_key_event(ctx.client(), "recover", unit, role)
    ctx.emit(
        {"unit": unit, "role": role, **recorded},
        f"已恢复单位 {unit} 的{role}密钥并记入审计日志。\n"
        f"Unit {unit}'s {role} key recovered and entered in the audit log.",
    )
    return OK


def enrol(ctx: Context) -> int:
    unit, role, to = ctx.own_unit(), ctx.args.role, ctx.args.to
    package = actions.enrol_package(ctx.office(), ctx.keys(), unit, role, to)
    create_private(ctx.args.out, package)
    recorded = actions.record_key_event(ctx.client(), "enrol", unit, role, subject=to)
    ctx.emit(
        {"unit": unit, "role": role, "to": to, "package": str(ctx.args.out), **recorded},
        f"已为 {to} 生成密钥移交包 {ctx.args.out}（仅 {to} 可打开）。\n"
        f"Enrolment package for {to} written to {ctx.args.out} (only {to} can open it).",
    )
    return OK


def passphrase(ctx: Context) -> int:
    keys = ctx.keys()
    new = _new_passphrase(ctx.args.new_passphrase_file, {})
    header = inspect_keyfile(ctx.key_path)
    write_keyfile(
        ctx.key_path,
        keys,
        new,
        development=header.development,
        limits=Limits.of(header.kdf.opslimit, header.kdf.memlimit),
        replace=True,
    )
    ctx.emit({"changed": True}, "口令已修改。\nPassphrase changed.")
    return OK
