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
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jubao.officer.client import OfficerApiError
from jubao.officer.errors import OfficerError
from jubao.officer.keyfile import KeyFileError
from jubao.officer.recovery import RecoveryError

from . import audit, cases, keys
from .context import API_ENV, DEFAULT_API, KEY_ENV, REFUSED, UNREACHABLE, Context, Handler, fail

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

    init = _sub(cmds, "init", "new key file / 新建密钥文件", keys.init)
    init.add_argument("--officer", required=True, help="your officer id in the roster")
    init.add_argument(
        "--sensitive", action="store_true", help="Argon2id SENSITIVE limits (slower unlock)"
    )

    keys_cmd = _sub(cmds, "keys", "key file and unit keys / 密钥管理", missing)
    ks = keys_cmd.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    _sub(ks, "export", "your public keys, for the roster / 导出公钥", keys.export)
    imp = _sub(ks, "import", "add a unit key / 导入单位密钥", keys.import_key)
    _unit_role(imp, unit_required=True)
    source = imp.add_mutually_exclusive_group(required=True)
    source.add_argument("--package", type=Path, help="an enrolment package (keys enrol)")
    source.add_argument("--private-file", type=Path, help="a file holding a base64 private key")
    rot = _sub(ks, "rotate", "new unit key pair / 轮换单位密钥", keys.rotate)
    _unit_role(rot)
    spl = _sub(ks, "split", "unit key as k-of-n SLIP-39 shares / 拆分恢复份额", keys.split)
    _unit_role(spl)
    spl.add_argument("--threshold", type=int, required=True, help="shares needed (k)")
    spl.add_argument(
        "--holder", action="append", required=True, help="a share holder (repeat; n in all)"
    )
    spl.add_argument("--out-dir", type=Path, help="write one <holder>.slip39 file each")
    rec = _sub(ks, "recover", "rebuild a unit key from shares / 恢复单位密钥", keys.recover)
    _unit_role(rec)
    rec.add_argument("shares", nargs="+", type=Path, help="files, one share each")
    enr = _sub(ks, "enrol", "hand a unit key to a new officer / 移交单位密钥", keys.enrol)
    _unit_role(enr)
    enr.add_argument("--to", required=True, help="the new officer's id")
    enr.add_argument("--out", type=Path, required=True, help="where to write the package")
    pas = _sub(ks, "passphrase", "change the passphrase / 修改口令", keys.passphrase)
    pas.add_argument(
        "--new-passphrase-file", type=Path, help="file holding the new passphrase (else asked)"
    )

    _sub(cmds, "whoami", "who the server says you are / 当前身份", cases.whoami)
    lst = _sub(cmds, "list", "cases by next deadline / 案件列表", cases.list_cases)
    lst.add_argument("--unit", help="unit code (default: your own; a unit below to supervise)")
    lst.add_argument("--all", action="store_true", help="closed cases too")
    lst.add_argument("--limit", type=int, help="cases per page")
    lst.add_argument("--after", help="the cursor a previous page gave")

    show = _sub(cmds, "show", "a case, decrypted here / 查看案件", cases.show)
    show.add_argument("number")
    att = _sub(cmds, "attachment", "save an attachment, decrypted / 下载附件", cases.attachment)
    att.add_argument("number")
    att.add_argument("attachment_id")
    att.add_argument("--out", type=Path, required=True, help="file to create")
    ident = _sub(
        cmds, "identity", "the reporter's identity (custodian) / 举报人身份", cases.identity
    )
    ident.add_argument("number")

    asg = _sub(cmds, "assign", "sign for a case and grant it / 签收并交办", cases.assign)
    asg.add_argument("number")
    asg.add_argument("--to", required=True, help="the handler's officer id")
    esc = _sub(cmds, "escalate", "re-wrap a case for a unit above / 上报上级", cases.escalate)
    esc.add_argument("number")
    esc.add_argument("--to", required=True, help="a supervisor of a unit above")
    rev = _sub(cmds, "revoke", "withdraw a grant / 撤回授权", cases.revoke)
    rev.add_argument("number")
    rev.add_argument("--from", dest="officer", required=True, help="the officer's id")
    tra = _sub(cmds, "transfer", "move a case to another handler / 转交", cases.transfer)
    tra.add_argument("number")
    tra.add_argument("--from", dest="old", required=True)
    tra.add_argument("--to", dest="new", required=True)
    exc = _sub(cmds, "exclude", "exclude an officer (conflict of interest) / 回避", cases.exclude)
    exc.add_argument("number")
    exc.add_argument("--officer", required=True)

    audit_cmd = _sub(cmds, "audit", "the unit's audit log / 审计日志", audit.entries)
    audit_cmd.add_argument("--unit", help="unit code (default: your own)")
    audit_cmd.add_argument("--start", type=int, help="first entry index")
    audit_cmd.add_argument("--end", type=int, help="one past the last entry index")
    au = audit_cmd.add_subparsers(dest="audit_command", required=False, metavar="AUDIT_COMMAND")
    ver = _sub(au, "verify", "check the whole log / 校验日志", audit.verify)
    ver.add_argument("--unit", default=argparse.SUPPRESS, help="unit code (default: your own)")
    cos = _sub(au, "cosign", "witness a unit below / 见证下级日志", audit.cosign)
    cos.add_argument("--unit", default=argparse.SUPPRESS, required=True, help="the unit below")


def run(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    """Run one officer command; every refusal ends here as a bilingual message."""
    ctx = Context(args, os.environ if env is None else env)
    handler: Handler = args.handler
    try:
        return handler(ctx)
    except OfficerApiError as exc:
        return fail(
            ctx,
            exc.code,
            exc.message_zh,
            exc.message_en,
            exc.status,
            REFUSED if exc.refused else UNREACHABLE,
        )
    except OfficerError as exc:  # ActionError, CaseworkError, AuditError
        return fail(ctx, "refused_here", exc.zh, exc.en, 0, REFUSED)
    except KeyFileError as exc:
        return fail(ctx, "key_file", "密钥文件无法使用。", str(exc), 0, REFUSED)
    except RecoveryError as exc:
        return fail(ctx, "recovery", "无法恢复或移交单位密钥。", str(exc), 0, REFUSED)
    except OSError:
        # a folder missing, a disk full, no permission: say so, without a traceback
        return fail(
            ctx, "file", "无法读写所需的文件。", "A file could not be read or written.", 0, REFUSED
        )


def missing(ctx: Context) -> int:  # pragma: no cover (argparse requires a sub-command)
    return REFUSED


__all__ = ["register", "run"]
