"""``jubao officer``: an officer's work from their own machine, over signed requests.

The same commands work against the local server and a deployed API (``--api``). Every
private key stays in the officer's key file; everything sealed is opened here. This
module only parses arguments, prints and picks the exit code; what each command does
is ``jubao.officer.actions`` (which the local console is to share).

Exit codes: 0 done; 1 an audit log that does not verify; 2 refused (by the server or by
this machine) or a usage error; 3 the server could not be reached or answered wrongly.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from chalicelib import crypto
from chalicelib.config.office import OfficeConfig, load_office
from chalicelib.config.settings import from_env
from jubao.officer import actions, auditing
from jubao.officer.actions import ActionError
from jubao.officer.auditing import AuditError
from jubao.officer.casework import CaseworkError
from jubao.officer.client import OfficerApiError, OfficerClient
from jubao.officer.keyfile import (
    KeyFileError,
    Limits,
    OfficerKeys,
    inspect_keyfile,
    read_keyfile,
    read_passphrase,
    write_keyfile,
)
from jubao.officer.recovery import RecoveryError

DEFAULT_API: Final = "http://127.0.0.1:8000"
API_ENV: Final = "JUBAO_API"
KEY_ENV: Final = "JUBAO_OFFICER_KEY"

OK, AUDIT_FAILED, REFUSED, UNREACHABLE = 0, 1, 2, 3

Handler = Callable[["Context"], int]


# ---- arguments -----------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The global options, accepted before or after the sub-command.

    On sub-commands their default is SUPPRESS, so a value given before the
    sub-command is not overwritten by the sub-parser's default.
    """

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--api", default=default(None), help=f"API base URL ({API_ENV}; default {DEFAULT_API})"
    )
    parser.add_argument(
        "--key", type=Path, default=default(None), help=f"your key file ({KEY_ENV})"
    )
    parser.add_argument(
        "--passphrase-file",
        type=Path,
        default=default(None),
        help="file holding the key file's passphrase (JUBAO_PASSPHRASE_FILE; else asked)",
    )
    parser.add_argument(
        "--office",
        type=Path,
        default=default(None),
        help="office configuration TOML (JUBAO_OFFICE_CONFIG; default Anhui)",
    )
    parser.add_argument(
        "--public-keys",
        type=Path,
        default=default(None),
        help="the office's public-keys file (JUBAO_KEYS_FILE; default data/keys/public-keys.json)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="machine-readable output / 输出 JSON",
    )


def _sub(
    parent: Any, name: str, help_text: str, func: Handler, **kwargs: Any
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = parent.add_parser(name, help=help_text, **kwargs)
    _common(parser, top=False)
    parser.set_defaults(handler=func)
    return parser


def _unit_role(parser: argparse.ArgumentParser, *, unit_required: bool = False) -> None:
    parser.add_argument("--unit", required=unit_required, help="unit code (default: your own unit)")
    parser.add_argument("--role", choices=("content", "custodian"), default="content")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "officer",
        help="officers' work: cases, keys, audit / 办案人员：案件、密钥、审计",
        description="办案人员工作台（命令行）· An officer's work from their own machine",
    )
    _common(parser, top=True)
    parser.set_defaults(func=run)
    cmds = parser.add_subparsers(dest="officer_command", required=True, metavar="COMMAND")

    init = _sub(cmds, "init", "new key file / 新建密钥文件", _init)
    init.add_argument("--officer", required=True, help="your officer id in the roster")
    init.add_argument(
        "--sensitive", action="store_true", help="Argon2id SENSITIVE limits (slower unlock)"
    )

    keys = _sub(cmds, "keys", "key file and unit keys / 密钥管理", _missing)
    ks = keys.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    _sub(ks, "export", "your public keys, for the roster / 导出公钥", _keys_export)
    imp = _sub(ks, "import", "add a unit key / 导入单位密钥", _keys_import)
    _unit_role(imp, unit_required=True)
    source = imp.add_mutually_exclusive_group(required=True)
    source.add_argument("--package", type=Path, help="an enrolment package (keys enrol)")
    source.add_argument("--private-file", type=Path, help="a file holding a base64 private key")
    rot = _sub(ks, "rotate", "new unit key pair / 轮换单位密钥", _keys_rotate)
    _unit_role(rot)
    spl = _sub(ks, "split", "unit key as k-of-n SLIP-39 shares / 拆分恢复份额", _keys_split)
    _unit_role(spl)
    spl.add_argument("--threshold", type=int, required=True, help="shares needed (k)")
    spl.add_argument(
        "--holder", action="append", required=True, help="a share holder (repeat; n in all)"
    )
    spl.add_argument("--out-dir", type=Path, help="write one <holder>.slip39 file each")
    rec = _sub(ks, "recover", "rebuild a unit key from shares / 恢复单位密钥", _keys_recover)
    _unit_role(rec)
    rec.add_argument("shares", nargs="+", type=Path, help="files, one share each")
    enr = _sub(ks, "enrol", "hand a unit key to a new officer / 移交单位密钥", _keys_enrol)
    _unit_role(enr)
    enr.add_argument("--to", required=True, help="the new officer's id")
    enr.add_argument("--out", type=Path, required=True, help="where to write the package")
    pas = _sub(ks, "passphrase", "change the passphrase / 修改口令", _keys_passphrase)
    pas.add_argument(
        "--new-passphrase-file", type=Path, help="file holding the new passphrase (else asked)"
    )

    _sub(cmds, "whoami", "who the server says you are / 当前身份", _whoami)
    lst = _sub(cmds, "list", "cases by next deadline / 案件列表", _list)
    lst.add_argument("--unit", help="unit code (default: your own; a unit below to supervise)")
    lst.add_argument("--all", action="store_true", help="closed cases too")
    lst.add_argument("--limit", type=int, help="cases per page")
    lst.add_argument("--after", help="the cursor a previous page gave")

    show = _sub(cmds, "show", "a case, decrypted here / 查看案件", _show)
    show.add_argument("number")
    att = _sub(cmds, "attachment", "save an attachment, decrypted / 下载附件", _attachment)
    att.add_argument("number")
    att.add_argument("attachment_id")
    att.add_argument("--out", type=Path, required=True, help="file to create")
    ident = _sub(cmds, "identity", "the reporter's identity (custodian) / 举报人身份", _identity)
    ident.add_argument("number")

    asg = _sub(cmds, "assign", "sign for a case and grant it / 签收并交办", _assign)
    asg.add_argument("number")
    asg.add_argument("--to", required=True, help="the handler's officer id")
    esc = _sub(cmds, "escalate", "re-wrap a case for a unit above / 上报上级", _escalate)
    esc.add_argument("number")
    esc.add_argument("--to", required=True, help="a supervisor of a unit above")
    rev = _sub(cmds, "revoke", "withdraw a grant / 撤回授权", _revoke)
    rev.add_argument("number")
    rev.add_argument("--from", dest="officer", required=True, help="the officer's id")
    tra = _sub(cmds, "transfer", "move a case to another handler / 转交", _transfer)
    tra.add_argument("number")
    tra.add_argument("--from", dest="old", required=True)
    tra.add_argument("--to", dest="new", required=True)
    exc = _sub(cmds, "exclude", "exclude an officer (conflict of interest) / 回避", _exclude)
    exc.add_argument("number")
    exc.add_argument("--officer", required=True)

    audit = _sub(cmds, "audit", "the unit's audit log / 审计日志", _audit_list)
    audit.add_argument("--unit", help="unit code (default: your own)")
    audit.add_argument("--start", type=int, help="first entry index")
    audit.add_argument("--end", type=int, help="one past the last entry index")
    au = audit.add_subparsers(dest="audit_command", required=False, metavar="AUDIT_COMMAND")
    ver = _sub(au, "verify", "check the whole log / 校验日志", _audit_verify)
    ver.add_argument("--unit", default=argparse.SUPPRESS, help="unit code (default: your own)")
    cos = _sub(au, "cosign", "witness a unit below / 见证下级日志", _audit_cosign)
    cos.add_argument("--unit", default=argparse.SUPPRESS, required=True, help="the unit below")


# ---- the context every command runs in ------------------------------------------------------


class Context:
    """The parsed arguments, and what they name, loaded only when a command needs it."""

    def __init__(self, args: argparse.Namespace, env: Mapping[str, str]) -> None:
        self.args = args
        self.env = env
        self.as_json: bool = bool(getattr(args, "json", False))
        self._keys: OfficerKeys | None = None
        self._passphrase: bytes | None = None
        self._office: OfficeConfig | None = None

    @property
    def key_path(self) -> Path:
        path = getattr(self.args, "key", None) or self.env.get(KEY_ENV)
        if not path:
            raise ActionError(
                f"请用 --key 或 {KEY_ENV} 指定您的密钥文件。",
                f"Name your key file with --key or {KEY_ENV}.",
            )
        return Path(path)

    @property
    def api(self) -> str:
        return str(getattr(self.args, "api", None) or self.env.get(API_ENV) or DEFAULT_API)

    def passphrase(self) -> bytes:
        if self._passphrase is None:
            self._passphrase = read_passphrase(
                getattr(self.args, "passphrase_file", None), self.env
            )
        return self._passphrase

    def keys(self) -> OfficerKeys:
        if self._keys is None:
            self._keys = read_keyfile(self.key_path, self.passphrase())
        return self._keys

    def save_keys(self, keys: OfficerKeys) -> None:
        """Write changed keys back, under the same passphrase, limits and mark."""
        header = inspect_keyfile(self.key_path)
        write_keyfile(
            self.key_path,
            keys,
            self.passphrase(),
            development=header.development,
            limits=Limits.of(header.kdf.opslimit, header.kdf.memlimit),
            replace=True,
        )
        self._keys = keys

    def office(self) -> OfficeConfig:
        if self._office is None:
            settings = from_env(self.env)
            office_file = getattr(self.args, "office", None) or settings.office_config
            keys_file = getattr(self.args, "public_keys", None) or settings.keys_file
            if keys_file is not None and not Path(keys_file).exists():
                keys_file = None
            self._office = load_office(office_file, keys_file)
        return self._office

    def client(self) -> OfficerClient:
        return OfficerClient(self.api, self.keys())

    def own_unit(self) -> str:
        unit = getattr(self.args, "unit", None)
        if unit:
            return str(unit)
        officer = self.office().officer(self.keys().officer)
        if officer is not None:
            return officer.unit
        return str(self.client().get("/me")["officer"]["unit"])

    def emit(self, value: Any, text: str) -> None:
        if self.as_json:
            print(json.dumps(value, ensure_ascii=False, indent=2))
        else:
            print(text)


def run(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    """Run one officer command; every refusal ends here as a bilingual message."""
    ctx = Context(args, os.environ if env is None else env)
    handler: Handler = args.handler
    try:
        return handler(ctx)
    except OfficerApiError as exc:
        return _fail(
            ctx,
            exc.code,
            exc.message_zh,
            exc.message_en,
            exc.status,
            REFUSED if exc.refused else UNREACHABLE,
        )
    except (ActionError, CaseworkError, AuditError) as exc:
        return _fail(ctx, "refused_here", exc.zh, exc.en, 0, REFUSED)
    except KeyFileError as exc:
        return _fail(ctx, "key_file", "密钥文件无法使用。", str(exc), 0, REFUSED)
    except RecoveryError as exc:
        return _fail(ctx, "recovery", "无法恢复或移交单位密钥。", str(exc), 0, REFUSED)
    except OSError:
        # a folder missing, a disk full, no permission: say so, without a traceback
        return _fail(
            ctx, "file", "无法读写所需的文件。", "A file could not be read or written.", 0, REFUSED
        )


def _fail(ctx: Context, code: str, zh: str, en: str, status: int, exit_code: int) -> int:
    if ctx.as_json:
        error = {"code": code, "status": status, "message_zh": zh, "message_en": en}
        print(json.dumps({"error": error}, ensure_ascii=False, indent=2))
    print(f"{zh}\n{en}", file=sys.stderr)
    return exit_code


def _missing(ctx: Context) -> int:  # pragma: no cover (argparse requires a sub-command)
    return REFUSED


# ---- key file and unit keys -------------------------------------------------------------------


def _new_passphrase(file: Path | None, env: Mapping[str, str]) -> bytes:
    if file is not None or env.get("JUBAO_PASSPHRASE_FILE"):
        return read_passphrase(file, env)
    first = getpass.getpass("New passphrase / 新口令: ").encode()
    if getpass.getpass("Again / 再次输入: ").encode() != first:
        raise ActionError("两次输入的口令不一致。", "The two passphrases differ.")
    return first


def _init(ctx: Context) -> int:
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


def _keys_export(ctx: Context) -> int:
    entry = actions.public_entry(ctx.keys())
    ctx.emit(entry, json.dumps(entry, ensure_ascii=False, indent=2))
    return OK


def _keys_import(ctx: Context) -> int:
    unit, role = ctx.args.unit, ctx.args.role
    if ctx.args.package is not None:
        keys = actions.import_package(ctx.keys(), _read(ctx.args.package), unit, role)
    else:
        private = _read(ctx.args.private_file).decode("ascii", "replace").strip()
        keys = actions.import_private(ctx.keys(), unit, role, private)
    ctx.save_keys(keys)
    key_id = actions.public_entry(keys)["unit_keys"][unit][role][0]
    ctx.emit(
        {"unit": unit, "role": role, "key_id": key_id},
        f"已导入单位 {unit} 的{role}密钥（{key_id}）。\n"
        f"Imported unit {unit}'s {role} key ({key_id}).",
    )
    return OK


def _keys_rotate(ctx: Context) -> int:
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


def _keys_split(ctx: Context) -> int:
    unit, role = ctx.own_unit(), ctx.args.role
    shares = actions.split(ctx.keys(), unit, role, ctx.args.threshold, ctx.args.holder)
    out: Path | None = ctx.args.out_dir
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for holder, words in shares.items():
            _create(out / f"{holder}.slip39", (words + "\n").encode())
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


def _keys_recover(ctx: Context) -> int:
    unit, role = ctx.own_unit(), ctx.args.role
    shares = [_read(p).decode("utf-8", "replace").strip() for p in ctx.args.shares]
    keys = actions.recover(ctx.keys(), unit, role, shares)
    ctx.save_keys(keys)
    recorded = actions.record_key_event(ctx.client(), "recover", unit, role)
    ctx.emit(
        {"unit": unit, "role": role, **recorded},
        f"已恢复单位 {unit} 的{role}密钥并记入审计日志。\n"
        f"Unit {unit}'s {role} key recovered and entered in the audit log.",
    )
    return OK


def _keys_enrol(ctx: Context) -> int:
    unit, role, to = ctx.own_unit(), ctx.args.role, ctx.args.to
    package = actions.enrol_package(ctx.office(), ctx.keys(), unit, role, to)
    _create(ctx.args.out, package)
    recorded = actions.record_key_event(ctx.client(), "enrol", unit, role, subject=to)
    ctx.emit(
        {"unit": unit, "role": role, "to": to, "package": str(ctx.args.out), **recorded},
        f"已为 {to} 生成密钥移交包 {ctx.args.out}（仅 {to} 可打开）。\n"
        f"Enrolment package for {to} written to {ctx.args.out} (only {to} can open it).",
    )
    return OK


def _keys_passphrase(ctx: Context) -> int:
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


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(64 * 1024)
    except OSError:
        raise ActionError(f"无法读取文件 {path}。", f"Cannot read {path}.") from None


def _create(path: Path, data: bytes) -> None:
    """A new file readable by its owner only; never over an existing one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ActionError(f"文件 {path} 已存在。", f"{path} exists already.") from None
    except OSError:
        raise ActionError(f"无法创建文件 {path}。", f"Cannot create {path}.") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


# ---- cases ----------------------------------------------------------------------------------


def _whoami(ctx: Context) -> int:
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


def _list(ctx: Context) -> int:
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
    text = _table(list(_HEADINGS), rows) if rows else "没有案件。\nNo cases."
    if page.get("next"):
        text += f"\n下一页 / next page: --after {page['next']}"
    ctx.emit(page, text)
    return OK


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [head, *rows]
    )


def _show(ctx: Context) -> int:
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


def _attachment(ctx: Context) -> int:
    data = actions.fetch_attachment(
        ctx.client(), ctx.keys(), ctx.args.number, ctx.args.attachment_id
    )
    _create(ctx.args.out, data)
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


def _identity(ctx: Context) -> int:
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


def _assign(ctx: Context) -> int:
    a = ctx.args
    answer = actions.assign(ctx.client(), ctx.office(), ctx.keys(), a.number, a.to)
    return _changed(
        ctx,
        answer,
        f"已签收案件 {a.number} 并交 {a.to} 办理。",
        f"Case {a.number} signed for and granted to {a.to}.",
    )


def _escalate(ctx: Context) -> int:
    a = ctx.args
    answer = actions.escalate(ctx.client(), ctx.office(), ctx.keys(), a.number, a.to)
    return _changed(
        ctx,
        answer,
        f"案件 {a.number} 已上报 {a.to}（可查看内容，已记入审计日志）。",
        f"Case {a.number} escalated to {a.to} (who can now open it; audited).",
    )


def _revoke(ctx: Context) -> int:
    a = ctx.args
    answer = actions.revoke(ctx.client(), a.number, a.officer)
    return _changed(
        ctx,
        answer,
        f"已撤回 {a.officer} 对案件 {a.number} 的授权。",
        f"{a.officer}'s grant of case {a.number} revoked.",
    )


def _transfer(ctx: Context) -> int:
    a = ctx.args
    answer = actions.transfer(ctx.client(), ctx.office(), ctx.keys(), a.number, a.old, a.new)
    return _changed(
        ctx,
        answer,
        f"案件 {a.number} 已由 {a.old} 转交 {a.new}。",
        f"Case {a.number} moved from {a.old} to {a.new}.",
    )


def _exclude(ctx: Context) -> int:
    a = ctx.args
    answer = actions.exclude(ctx.client(), a.number, a.officer)
    return _changed(
        ctx,
        answer,
        f"{a.officer} 已对案件 {a.number} 回避。",
        f"{a.officer} is excluded from case {a.number}.",
    )


# ---- audit ----------------------------------------------------------------------------------


def _audit_list(ctx: Context) -> int:
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
        + (_table(head, rows) if rows else ""),
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


def _audit_verify(ctx: Context) -> int:
    unit = ctx.own_unit()
    seen = auditing.load_seen(auditing.seen_path(ctx.key_path))
    report = auditing.verify_unit(ctx.client(), ctx.office(), unit, seen)
    ctx.emit(_report_json(report), _report_text(report))
    return OK if report.ok else AUDIT_FAILED


def _audit_cosign(ctx: Context) -> int:
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


__all__ = ["register", "run"]
