"""``jubao officer`` end to end: the command line, as a process, against the real server.

The README's flow (list, show, assign, show as the handler, identity, audit verify and
cosign) with the development roster's key files, then what officers do with keys
(init, export, split and recover, enrol and import, rotate, passphrase), and how a
refusal looks: exit code 2, the catalogue's Chinese and English message, and with
``--json`` an error object. Nothing sealed is opened anywhere but in the CLI process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib import crypto
from chalicelib.media import strip_jpeg
from jubao.officer.keyfile import (
    Limits,
    OfficerKeys,
    inspect_keyfile,
    read_keyfile,
    write_keyfile,
)
from tests.api.client import multipart, post_json, request
from tests.conftest import LiveServer, start_server, venv_tool
from tests.test_attachments import photo

pytestmark = pytest.mark.xdist_group("officer-cli")

UNIT = "340104"  # 蜀山区
CITY = "340100"
OTHER_COUNTY = "340102"
TAMPERED_UNIT = "340111"  # 包河区: its log is damaged on purpose by one test
MARKER = "命令行举报标记-5c1e"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp("officer-cli")
    env = {"JUBAO_SUBMIT_RATE_PER_MINUTE": "100000", "JUBAO_STATUS_RATE_PER_MINUTE": "100000"}
    live = start_server(base / "data", env=env, log=base / "server.log", dev_roster=True)
    yield live
    live.stop()


class Cli:
    """``jubao officer`` as an officer's machine runs it: a process, the office's files."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.keys_dir = server.data_dir / "keys" / "officers"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")},
            "JUBAO_API": server.url,
            "JUBAO_KEYS_FILE": str(server.data_dir / "keys" / "public-keys.json"),
            "JUBAO_PASSPHRASE_FILE": str(self.keys_dir / "PASSPHRASE"),
        }

    def key(self, officer: str) -> Path:
        return self.keys_dir / f"{officer}.key"

    def run(self, *args: str | Path, key: str | Path | None = None, **env: str) -> Result:
        argv = [venv_tool("jubao"), "officer"]
        if key is not None:
            argv += ["--key", str(self.key(key) if isinstance(key, str) else key)]
        done = subprocess.run(
            [*argv, *map(str, args)],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str | Path, key: str | Path | None = None) -> Result:
        result = self.run(*args, key=key)
        assert result.code == 0, result.err
        return result


@pytest.fixture(scope="module")
def cli(server: LiveServer) -> Cli:
    return Cli(server)


def submit(server: LiveServer, region: str = UNIT, **extra: Any) -> dict[str, Any]:
    report = {
        "kind": "hazard",
        "region": region,
        "industry": "fire",
        "unit_name": "合肥某仓库",
        "description": f"仓库内违规存放易燃物品，消防设施损坏。{MARKER}-{uuid.uuid4().hex[:6]}",
        **extra,
    }
    reply = post_json(f"{server.url}/api/reports", report)
    assert reply.status == 201, reply.text
    answer: dict[str, Any] = reply.json
    return answer


def upload(server: LiveServer, data: bytes) -> str:
    ticket = post_json(
        f"{server.url}/api/attachments",
        {"region": UNIT, "content_type": "image/jpeg", "size": len(data)},
    ).json
    form, ctype = multipart(ticket["fields"], [("file", "p.jpg", "image/jpeg", data)])
    sent = request("POST", server.url + ticket["url"], form, {"Content-Type": ctype})
    assert sent.status == 204, sent.text
    attachment: str = ticket["attachment_id"]
    return attachment


def refused(result: Result, zh: str, en: str) -> None:
    assert result.code == 2, (result.code, result.err)
    assert zh in result.err and en in result.err


# ---- the README's flow ----------------------------------------------------------------------


def test_the_readme_flow_from_list_to_cosign(server, cli, tmp_path):
    original = photo("CliPhone")
    attachment = upload(server, original)
    reporter = {"name": "王五标记", "phone": "13700000000"}
    number = submit(server, reporter=reporter, attachments=[attachment])["report_number"]
    intake = f"{UNIT}-intake"

    listed = cli.ok("list", "--json", key=intake).json
    assert number in [case["number"] for case in listed["cases"]]
    text = cli.ok("list", key=intake).out
    assert "编号 number" in text and number in text

    shown = cli.ok("show", number, "--json", key=intake).json
    assert (shown["number"], shown["state"], shown["unit"]) == (number, "received", UNIT)
    assert MARKER in shown["description"]
    assert shown["access"] == "unit_key" and shown["assignees"] == []
    assert "王五标记" not in json.dumps(shown, ensure_ascii=False)  # the identity is apart

    handler = f"{UNIT}-handler"
    refused(
        cli.run("show", number, key=handler),
        "该案件未交由您办理",
        "This case has not been granted to you.",
    )
    granted = cli.ok("assign", number, "--to", handler, key=intake)
    assert f"granted to {handler}" in granted.out

    mine = cli.ok("show", number, "--json", key=handler).json
    assert mine["access"] == "grant" and mine["assignees"] == [handler]
    assert MARKER in mine["description"]
    assert [a["id"] for a in mine["attachments"]] == [attachment]
    readable = cli.ok("show", number, key=handler).out
    assert MARKER in readable and "举报内容 / content" in readable

    out = tmp_path / "evidence.jpg"
    saved = cli.ok("attachment", number, attachment, "--out", out, "--json", key=handler).json
    assert out.read_bytes() == strip_jpeg(original) and saved["size"] == out.stat().st_size
    assert b"MakeCliPhone" not in out.read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    refused(
        cli.run("attachment", number, attachment, "--out", out, key=handler), "已存在", "exists"
    )

    refused(cli.run("show", number, key=f"{UNIT}-handler2"), "该案件未交由您办理", "granted")
    refused(cli.run("show", number, key=f"{OTHER_COUNTY}-intake"), "该案件未交由您办理", "granted")

    identity = cli.ok("identity", number, "--json", key=f"{UNIT}-custodian").json
    assert identity["identity"]["name"] == "王五标记"
    refused(
        cli.run("identity", number, key=handler),
        "仅本单位指定的举报人信息保管人可查看举报人信息",
        "Only the unit's designated custodian",
    )

    above = cli.ok("show", number, "--json", key=f"{CITY}-supervisor").json
    assert above["access"] == "metadata" and above["description"] is None
    assert above["content"] is None and above["state"] == "received"

    verified = cli.ok("audit", "verify", "--json", key=intake).json
    assert verified["ok"] and verified["problems"] == [] and verified["size"] > 0
    log = cli.ok("audit", "--json", key=intake).json
    actions = {(e["actor"], e["action"], e["outcome"]) for e in log["entries"]}
    assert {
        (intake, "grant", "ok"),
        (f"{UNIT}-custodian", "read_identity", "ok"),
        (handler, "refusal", "identity_forbidden"),
    } <= actions

    cosigned = cli.ok("audit", "cosign", "--unit", UNIT, "--json", key=f"{CITY}-supervisor").json
    assert cosigned["cosigned"] and f"— {CITY}-supervisor " in cosigned["note"]
    refused(
        cli.run("audit", "cosign", "--unit", UNIT, key=f"{OTHER_COUNTY}-intake"),
        "只有上一级单位的监督人员",
        "Only a supervisor of the unit directly above",
    )


def test_revoke_transfer_and_exclude(server, cli):
    number = submit(server)["report_number"]
    intake, one, two = f"{UNIT}-intake", f"{UNIT}-handler", f"{UNIT}-handler2"
    cli.ok("assign", number, "--to", one, key=intake)
    moved = cli.ok("transfer", number, "--from", one, "--to", two, "--json", key=intake).json
    assert moved["case"]["assignees"] == [two]
    refused(cli.run("show", number, key=one), "该案件未交由您办理", "granted")
    assert MARKER in cli.ok("show", number, "--json", key=two).json["description"]

    revoked = cli.ok("revoke", number, "--from", two, "--json", key=intake).json
    assert revoked["case"]["assignees"] == []
    refused(cli.run("show", number, key=two), "该案件未交由您办理", "granted")

    excluded = cli.ok("exclude", number, "--officer", one, "--json", key=intake).json
    assert excluded["case"]["excluded"] == [one]
    # refused on this machine before anything is wrapped for them
    refused(cli.run("assign", number, "--to", one, key=intake), "回避", "excluded")
    refused(
        cli.run("assign", number, "--to", f"{OTHER_COUNTY}-handler", key=intake),
        "不属于承办单位",
        "is not of the handling unit",
    )
    refused(cli.run("assign", number, "--to", "nobody-here", key=intake), "名册", "roster")
    # only intake officers sign for cases: the server says no to a handler
    result = cli.run("assign", number, "--to", two, key=one)
    assert result.code == 2 and result.err.strip()


def test_escalate_to_the_city(server, cli):
    number = submit(server)["report_number"]
    handler, city = f"{UNIT}-handler", f"{CITY}-supervisor"
    cli.ok("assign", number, "--to", handler, key=f"{UNIT}-intake")
    assert cli.ok("show", number, "--json", key=city).json["description"] is None
    refused(
        cli.run("escalate", number, "--to", f"{CITY}-handler", key=handler),
        "不是承办单位",
        "is not a supervisor of a unit above",
    )
    done = cli.ok("escalate", number, "--to", city, "--json", key=handler).json
    assert city in done["case"]["assignees"]
    assert MARKER in cli.ok("show", number, "--json", key=city).json["description"]
    refused(
        cli.run("escalate", number, "--to", city, key=f"{UNIT}-handler2"),
        "该案件未交由您办理",
        "granted",
    )


# ---- keys -----------------------------------------------------------------------------------


def test_init_makes_a_real_key_file_and_exports_public_keys_only(cli, tmp_path):
    path = tmp_path / "new.key"
    made = cli.ok("init", "--officer", f"{UNIT}-newcomer", "--json", key=path).json
    header = inspect_keyfile(path)
    assert header.officer == f"{UNIT}-newcomer" and not header.development
    assert Limits.of(header.kdf.opslimit, header.kdf.memlimit) is Limits.MODERATE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = read_keyfile(path, (cli.keys_dir / "PASSPHRASE").read_text().strip().encode())
    assert made["signing_key"] == keys.signing_public
    assert made["encryption_key"] == keys.encryption_public
    assert keys.signing_seed not in path.read_text() and keys.encryption_key not in path.read_text()
    assert cli.ok("keys", "export", "--json", key=path).json == made
    refused(
        cli.run("init", "--officer", f"{UNIT}-newcomer", key=path),
        "密钥文件无法使用",
        "a key file already exists there",
    )
    nowhere = cli.run("init", "--officer", f"{UNIT}-other", key=tmp_path / "no" / "such.key")
    refused(nowhere, "无法读写所需的文件", "A file could not be read or written.")
    assert "Traceback" not in nowhere.err
    # not in the roster: the server does not know the key
    result = cli.run("whoami", key=path)
    assert result.code == 2 and "签名" in result.err


def test_split_and_recover_a_unit_key(server, cli, tmp_path):
    intake = f"{UNIT}-intake"
    shares = tmp_path / "shares"
    cli.ok(
        "keys",
        "split",
        "--threshold",
        "2",
        *("--holder", "zhang", "--holder", "li"),
        *("--holder", "wang", "--out-dir", shares),
        key=intake,
    )
    files = sorted(shares.iterdir())
    assert [f.name for f in files] == ["li.slip39", "wang.slip39", "zhang.slip39"]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)

    machine = tmp_path / "new-machine.key"
    machine.write_bytes(cli.key(intake).read_bytes())
    passphrase = (cli.keys_dir / "PASSPHRASE").read_text().strip().encode()
    held = read_keyfile(machine, passphrase).unit_keys[UNIT].content
    # a machine that lost the unit key: the same officer keys without it
    bare = OfficerKeys.model_validate(
        read_keyfile(machine, passphrase).model_dump() | {"unit_keys": {}}
    )
    write_keyfile(
        machine, bare, passphrase, development=True, limits=Limits.INTERACTIVE, replace=True
    )
    number = submit(server)["report_number"]
    refused(cli.run("show", number, key=machine), "没有能打开该内容的密钥", "None of the keys")

    refused(cli.run("keys", "recover", files[0], key=machine), "无法恢复", "too few shares")
    recovered = cli.ok("keys", "recover", files[0], files[2], "--json", key=machine).json
    assert read_keyfile(machine, passphrase).unit_keys[UNIT].content == (held[0],)
    assert MARKER in cli.ok("show", number, "--json", key=machine).json["description"]
    entry = cli.ok("audit", "--json", key=intake).json["entries"][recovered["index"]]
    assert (entry["action"], entry["actor"]) == ("recover", intake)


def test_enrol_hands_a_unit_key_to_its_officer_only(cli, tmp_path):
    custodian = f"{UNIT}-custodian"
    package = tmp_path / "custodian.pkg"
    done = cli.ok(
        "keys",
        "enrol",
        "--role",
        "custodian",
        "--to",
        custodian,
        "--out",
        package,
        "--json",
        key=custodian,
    ).json
    assert stat.S_IMODE(package.stat().st_mode) == 0o600
    entry = cli.ok("audit", "--json", key=f"{UNIT}-intake").json["entries"][done["index"]]
    assert entry["action"] == "enrol" and entry["detail"]["subject"] == custodian

    copy = tmp_path / "c.key"
    copy.write_bytes(cli.key(custodian).read_bytes())
    imported = cli.ok(
        "keys",
        "import",
        "--unit",
        UNIT,
        "--role",
        "custodian",
        "--package",
        package,
        "--json",
        key=copy,
    ).json
    expected = crypto.key_id(
        crypto.public_from_private(
            read_keyfile(cli.key(custodian), _passphrase(cli)).unit_keys[UNIT].custodian[0]
        )
    )
    assert imported["key_id"] == expected
    # the package opens only as what it is: this unit's custodian key, for this officer
    refused(
        cli.run(
            "keys", "import", "--unit", UNIT, "--role", "content", "--package", package, key=copy
        ),
        "无法恢复或移交",
        "not for this officer, unit and role",
    )
    refused(
        cli.run(
            "keys",
            "import",
            "--unit",
            UNIT,
            "--role",
            "custodian",
            "--package",
            package,
            key=f"{UNIT}-handler",
        ),
        "无法恢复或移交",
        "not for this officer",
    )
    refused(
        cli.run(
            "keys",
            "enrol",
            "--to",
            f"{UNIT}-handler",
            "--out",
            tmp_path / "x",
            key=f"{UNIT}-intake",
        ),
        "不是单位",
        "is not an intake officer",
    )
    assert not (tmp_path / "x").exists()


def test_rotate_keeps_earlier_reports_open(server, cli, tmp_path):
    before = submit(server)["report_number"]
    machine = tmp_path / "intake.key"
    machine.write_bytes(cli.key(f"{UNIT}-intake").read_bytes())
    rotated = cli.ok("keys", "rotate", "--json", key=machine).json
    keys = read_keyfile(machine, _passphrase(cli)).unit_keys[UNIT].content
    assert (
        len(keys) == 2 and crypto.key_id(crypto.public_from_private(keys[0])) == rotated["key_id"]
    )
    assert crypto.public_from_private(keys[0]) == rotated["public_key"]
    assert MARKER in cli.ok("show", before, "--json", key=machine).json["description"]
    entry = cli.ok("audit", "--json", key=machine).json["entries"][rotated["index"]]
    assert entry["action"] == "rotate" and entry["detail"]["key_id"] == rotated["key_id"]


def test_passphrase_change(cli, tmp_path):
    machine = tmp_path / "h.key"
    machine.write_bytes(cli.key(f"{UNIT}-handler").read_bytes())
    new = tmp_path / "new-passphrase"
    new.write_text("一个新的长口令 correct horse\n")
    cli.ok("keys", "passphrase", "--new-passphrase-file", new, key=machine)
    refused(cli.run("whoami", key=machine), "密钥文件无法使用", "wrong passphrase")
    me = cli.run("whoami", "--json", key=machine, JUBAO_PASSPHRASE_FILE=str(new))
    assert me.code == 0 and me.json["officer"]["id"] == f"{UNIT}-handler"


# ---- refusals, options, tampering -------------------------------------------------------------


def test_refusals_are_bilingual_with_exit_codes_and_json_errors(server, cli):
    number = submit(server)["report_number"]
    result = cli.run("show", number, "--json", key=f"{OTHER_COUNTY}-intake")
    assert result.code == 2
    assert result.json == {
        "error": {
            "code": "case_forbidden",
            "status": 403,
            "message_zh": "该案件未交由您办理，无权查看。",
            "message_en": "This case has not been granted to you.",
        }
    }
    down = cli.run("whoami", key=f"{UNIT}-intake", JUBAO_API="http://127.0.0.1:9")
    assert down.code == 3 and "无法连接" in down.err and "cannot be reached" in down.err
    missing = cli.run("whoami")
    refused(missing, "请用 --key", "JUBAO_OFFICER_KEY")
    # the options may come after the sub-command, and the environment names the key
    after = cli.run("whoami", "--json", "--key", cli.key(f"{UNIT}-intake"))
    assert after.code == 0 and after.json["officer"]["id"] == f"{UNIT}-intake"
    by_env = cli.run("whoami", "--json", JUBAO_OFFICER_KEY=str(cli.key(f"{UNIT}-custodian")))
    assert by_env.json["officer"]["id"] == f"{UNIT}-custodian"
    for text in (result.err, down.err, missing.err):
        assert number not in text or "show" not in text


def test_audit_verify_names_the_first_changed_entry(server, cli):
    number = submit(server, region=TAMPERED_UNIT)["report_number"]
    intake = f"{TAMPERED_UNIT}-intake"
    cli.ok("list", key=intake)
    cli.ok("show", number, key=intake)
    cli.ok("show", number, key=intake)  # entry 2: its link to entry 1 gives the edit away
    assert cli.ok("audit", "verify", "--json", key=intake).json["ok"]
    with sqlite3.connect(server.data_dir / "jubao.sqlite3") as db:
        (raw,) = db.execute(
            "SELECT entry FROM audit WHERE log = ? AND idx = 1", (TAMPERED_UNIT,)
        ).fetchone()
        changed = bytes(raw).replace(b'"outcome":"ok"', b'"outcome":"no"')
        assert changed != bytes(raw)
        db.execute("UPDATE audit SET entry = ? WHERE log = ? AND idx = 1", (changed, TAMPERED_UNIT))
    failed = cli.run("audit", "verify", "--json", key=intake)
    assert failed.code == 1, failed.err
    assert failed.json["ok"] is False and failed.json["first_bad"] == 1
    text = cli.run("audit", "verify", key=intake)
    assert text.code == 1 and "校验失败" in text.out and "first bad entry: 1" in text.out


def _passphrase(cli: Cli) -> bytes:
    return (cli.keys_dir / "PASSPHRASE").read_text().strip().encode()
