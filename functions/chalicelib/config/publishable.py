"""Is an office configuration fit to publish? Every placeholder and unconfirmed value, named.

Why: the shipped configuration is an example. Its contacts are placeholders
(``jubao@example.gov.cn``, an address "请以…为准"), its keys are left to development, and
some of its rules are research, not the office's word. Printed on a poster or put on a
public site, any of these misleads a citizen or loses a report. So the production builds
of the site and the posters, and ``jubao check --production``, ask this module and refuse
while it finds anything; development builds carry ``SAMPLE_BANNER`` on every page.

A finding names the value by its field path (``chalicelib.config.fieldpaths``) and says
why, in Chinese and English. What is found:

* placeholders: reserved example domains and addresses (``example.*``, ``*.test``,
  ``localhost``, private and documentation IP addresses), ``TODO``, ``待定``, ``某某``…;
* text that sends the reader elsewhere ("请以…为准");
* keys left to development: unit and audit keys that are empty (development makes them),
  malformed, or one key opening both content and identity; no officer roster;
* values the office marks as unconfirmed: ``[[publication.unconfirmed]]`` entries and
  ``<name>_confirmed = false`` flags;
* what the foot of a government site must state and the file leaves empty (``site.footer``:
  主办单位, contact, ICP 备案号, 网站标识码);
* a public address without https.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ..i18n import Text
from . import fieldpaths
from .office import OfficeConfig
from .settings import Settings

FindingKind = Literal[
    "placeholder", "elsewhere", "development", "unconfirmed", "insecure", "missing"
]

SAMPLE_BANNER = Text(zh="示例配置，不得对外发布", en="sample configuration, not for publication")
SAMPLE_BANNER_TEXT = f"{SAMPLE_BANNER.zh} / {SAMPLE_BANNER.en}"

KEY_BYTES = 32

# site.footer: what a government site states at its foot, and why each is needed
FOOTER_REQUIRED: dict[str, Text] = {
    "sponsor": Text(zh="未填写网站主办单位", en="the site's sponsor (主办单位) is not set"),
    "sponsor_en": Text(zh="未填写主办单位的英文名称", en="the sponsor's English name is not set"),
    "contact": Text(zh="未填写网站联系方式", en="the site's contact is not set"),
    "contact_en": Text(zh="未填写联系方式的英文说明", en="the contact in English is not set"),
    "icp": Text(zh="未填写 ICP 备案号", en="the ICP filing number (ICP备案号) is not set"),
    "site_code": Text(
        zh="未填写网站标识码", en="the government website code (网站标识码) is not set"
    ),
}

# RFC 2606 / RFC 6761 names that never belong to a real office
RESERVED_LABELS = frozenset({"example"})
RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "local"})
HOST = re.compile(
    r"(?<![\w.-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*|localhost)(?![\w-])",
    re.IGNORECASE,
)
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
ELSEWHERE = re.compile(
    r"请?以[^，。；,;]{0,40}?为准|\b(?:check with|to be confirmed|subject to confirmation)\b",
    re.IGNORECASE,
)
MARKERS = re.compile(
    r"待定|待确认|待核实|待补充|待填|占位|示例|样例|某某|[×xX]{3,}"
    r"|\b(?:TODO|TBD|TBA|FIXME|CHANGEME|REPLACE[_ ]?ME|placeholder|lorem ipsum)\b",
    re.IGNORECASE,
)
# keys that development fills in when the file leaves them empty
DEVELOPMENT_FILLED = re.compile(
    r"^(units\[[^]]+\]\.(content_key|custodian_key)|audit\.server_key)$"
)


@dataclass(frozen=True)
class Finding:
    """One value that must not reach the public: where it is, what kind, and why."""

    path: str
    kind: FindingKind
    why: Text

    def line(self) -> str:
        return f"{self.path}: {self.why.zh} / {self.why.en}"


class NotPublishable(Exception):
    """A production build was asked for with a configuration that has findings."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(report(findings))


def banner_for(settings: Settings) -> Text | None:
    """The sample banner every page of this build carries: all but production builds
    (``JUBAO_BUILD``), the site's pages and posters as the API's own answer pages."""
    return None if settings.build == "production" else SAMPLE_BANNER


def report(findings: list[Finding]) -> str:
    """The refusal as lines of text: a bilingual heading, then one line per finding."""
    head = (
        f"单位配置中有 {len(findings)} 处占位或未确认的内容，不得对外发布 / "
        f"the office configuration has {len(findings)} placeholder or unconfirmed values, "
        "not for publication:"
    )
    return "\n".join([head, *(f"  - {f.line()}" for f in findings)])


def _is_key_field(path: str) -> bool:
    name = path.rsplit(".", 1)[-1].split("[", 1)[0]
    return name.endswith(("_key", "_keys"))


def _host_reason(host: str) -> Text | None:
    labels = host.lower().split(".")
    if host.lower() == "localhost" or labels[-1] in RESERVED_TLDS:
        return Text(zh=f"保留的示例域名 {host}", en=f"reserved example domain {host}")
    if RESERVED_LABELS.intersection(labels[:-1]):
        return Text(zh=f"示例域名 {host}", en=f"example domain {host}")
    return None


def _text_findings(path: str, value: str) -> Iterator[Finding]:
    for match in HOST.finditer(value):
        reason = _host_reason(match.group(1))
        if reason is not None:
            yield Finding(path, "placeholder", reason)
            return
    for match in IPV4.finditer(value):
        try:
            address = ipaddress.ip_address(match.group(0))
        except ValueError:
            continue
        if not address.is_global:
            yield Finding(
                path,
                "placeholder",
                Text(zh=f"非公网地址 {address}", en=f"not a public address: {address}"),
            )
            return
    if found := ELSEWHERE.search(value):
        yield Finding(
            path,
            "elsewhere",
            Text(
                zh=f"让读者去别处核实（“{found.group(0)}”），须填写确定的内容",
                en=f"tells the reader to check elsewhere (“{found.group(0)}”); state the value",
            ),
        )
    if found := MARKERS.search(value):
        yield Finding(
            path,
            "placeholder",
            Text(zh=f"占位文字“{found.group(0)}”", en=f"placeholder text “{found.group(0)}”"),
        )


def _key_findings(path: str, value: str) -> Iterator[Finding]:
    if not value:
        if DEVELOPMENT_FILLED.match(path):
            yield Finding(
                path,
                "development",
                Text(
                    zh="未配置公钥：开发环境会生成开发密钥代替，真实举报不得使用",
                    en="no public key: development makes a development key in its place, "
                    "never for real reports",
                ),
            )
        else:
            yield Finding(path, "placeholder", Text(zh="公钥为空", en="the key is empty"))
        return
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        yield Finding(
            path,
            "placeholder",
            Text(
                zh="不是有效的公钥（32字节，base64）",
                en="not a valid public key (32 bytes, base64)",
            ),
        )


def _confirmation_findings(office: OfficeConfig, data: Any) -> Iterator[Finding]:
    for entry in office.publication.unconfirmed:
        yield Finding(
            entry.path,
            "unconfirmed",
            Text(
                zh=f"本单位标为未确认：{entry.note}",
                en=f"marked unconfirmed by the office: {entry.note_en}",
            ),
        )
    for path, value in fieldpaths.leaves(data):
        if path.endswith("_confirmed") and value is False:
            yield Finding(
                path.removesuffix("_confirmed"),
                "unconfirmed",
                Text(
                    zh=f"本单位未确认（{path.rsplit('.', 1)[-1]} = false）",
                    en=f"not confirmed by the office ({path.rsplit('.', 1)[-1]} = false)",
                ),
            )


def findings(office: OfficeConfig) -> list[Finding]:
    """Everything in ``office`` that must not be printed or published: the values in the
    order of the file, then those the office marks as unconfirmed.

    Check the configuration as written (``load_office(path)`` without a keys file): the
    keys file is where development keys are laid over it.
    """
    data = office.model_dump(by_alias=True, exclude={"publication"})
    found: list[Finding] = []
    for path, value in fieldpaths.leaves(data):
        if not isinstance(value, str):
            continue
        if _is_key_field(path):
            found.extend(_key_findings(path, value))
        else:
            found.extend(_text_findings(path, value))
    if not office.site.public_url.startswith("https://"):
        found.append(
            Finding(
                "site.public_url",
                "insecure",
                Text(zh="公开地址必须使用 https", en="the public address must use https"),
            )
        )
    for unit in office.units:
        if unit.content_key and unit.content_key == unit.custodian_key:
            found.append(
                Finding(
                    f"units[{unit.code}].custodian_key",
                    "development",
                    Text(
                        zh="身份密钥与内容密钥相同：举报人身份须由另一把密钥单独保护",
                        en="the custodian key is the content key: the identity needs a key "
                        "of its own",
                    ),
                )
            )
    footer = office.site.footer
    for name, why in FOOTER_REQUIRED.items():
        if not getattr(footer, name).strip():
            found.append(Finding(f"site.footer.{name}", "missing", why))
    if not office.officers:
        found.append(
            Finding(
                "officers",
                "development",
                Text(
                    zh="没有办案人员名册：开发环境使用开发名册",
                    en="no officer roster: development uses a development roster",
                ),
            )
        )
    found.extend(_confirmation_findings(office, data))
    return found


def require_publishable(office: OfficeConfig) -> None:
    """Raise ``NotPublishable`` with every finding, if there is any."""
    found = findings(office)
    if found:
        raise NotPublishable(found)
