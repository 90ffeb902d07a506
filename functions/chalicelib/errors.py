"""User-facing errors: a stable code, an HTTP status and a message in Chinese and English.

Every refusal the API gives comes from the catalogue below, so clients can rely on the
codes and people always read a sentence, Chinese first. Messages never echo what the
user sent (a description or a receipt could be confidential), only which field is wrong.
A refusal over a configured limit names the limit (``{max_size}`` in the message, filled from
the error's ``limits``), so the reporter knows what would pass.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

# code -> (HTTP status, Chinese, English)
CATALOGUE: dict[str, tuple[int, str, str]] = {
    "malformed_json": (400, "请求内容不是有效的 JSON。", "The request body is not valid JSON."),
    "json_too_deep": (
        400,
        "请求内容的 JSON 嵌套层数过多。",
        "The JSON in the request is nested too deeply.",
    ),
    "malformed_form": (400, "表单内容无法解析。", "The form data could not be parsed."),
    "invalid_body": (
        400,
        "请求内容必须是一个 JSON 对象。",
        "The request body must be a JSON object.",
    ),
    "validation_failed": (
        422,
        "提交的内容有误，请按提示修改。",
        "Some fields need correcting; see the details.",
    ),
    "unsupported_media_type": (
        415,
        "不支持的内容类型，请使用 application/json。",
        "Unsupported content type; use application/json.",
    ),
    "body_too_large": (413, "提交的内容过大。", "The request body is too large."),
    "attachment_too_large": (
        413,
        "附件过大：每个文件不能超过 {max_size}。",
        "The attachment is too large: each file may be {max_size} at most.",
    ),
    "attachment_type": (
        415,
        "不支持的附件类型，请上传照片、视频或 PDF 文件。",
        "Unsupported attachment type; upload a photo, a video or a PDF.",
    ),
    "attachment_damaged": (
        422,
        "附件已损坏或不完整，请重新选择文件。",
        "The attachment is damaged or incomplete; choose the file again.",
    ),
    "attachment_unknown": (
        422,
        "附件不存在或已过期，请重新上传。",
        "The attachment is unknown or expired; upload it again.",
    ),
    "too_many_attachments": (
        422,
        "附件数量超过上限：最多 {max_files} 个文件。",
        "Too many attachments: {max_files} files at most.",
    ),
    "receipt_invalid": (
        404,
        "回执码不正确或不存在，请核对后重试。",
        "The receipt code is wrong or unknown; check it and try again.",
    ),
    "receipt_malformed": (
        422,
        "回执码格式不正确：应为 24 位数字和字母。",
        "The receipt code is malformed: it has 24 digits and letters.",
    ),
    "rate_limited": (
        429,
        "操作过于频繁，请稍后再试。",
        "Too many requests; please wait a moment and try again.",
    ),
    "bot_suspected": (
        400,
        "提交未成功：表单中应当留空的一栏被填写了（可能是浏览器自动填写）。请刷新页面后重新填写。",
        "Not sent: a field that must stay empty was filled in, perhaps by autofill. "
        "Reload the page and fill in the form again.",
    ),
    "idempotency_conflict": (
        409,
        "同一个幂等键已用于不同的举报内容。",
        "This idempotency key was already used for a different report.",
    ),
    "idempotency_key_invalid": (
        400,
        "幂等键格式不正确（16–64 位字母、数字或连字符）。",
        "Malformed idempotency key (16-64 letters, digits or hyphens).",
    ),
    "bad_request": (
        400,
        "请求格式不正确，无法处理。",
        "The request is malformed and cannot be processed.",
    ),
    "request_timeout": (
        408,
        "请求发送超时，请检查网络后重试。",
        "The request took too long to arrive; check the connection and retry.",
    ),
    "headers_too_large": (431, "请求头过大。", "The request headers are too large."),
    "transfer_encoding_unsupported": (
        501,
        "不支持该传输编码。",
        "This transfer coding is not supported.",
    ),
    "http_version_unsupported": (
        505,
        "不支持该 HTTP 版本，请使用 HTTP/1.1。",
        "This HTTP version is not supported; use HTTP/1.1.",
    ),
    "length_required": (411, "请求须带有 Content-Length。", "Content-Length is required."),
    "not_found": (404, "请求的地址不存在。", "No such address."),
    # a request that did not come through the platform's own site (CloudFront): the API's
    # direct address is refused; the message names no header and no secret
    "origin_forbidden": (
        403,
        "请通过举报平台网站访问，不接受直接发往该地址的请求。",
        "Use the platform's website: requests sent straight to this address are refused.",
    ),
    "method_not_allowed": (405, "不支持该请求方法。", "Method not allowed."),
    "internal_error": (
        500,
        "服务器内部错误，请稍后重试或拨打 12350。",
        "Internal error; retry later or call 12350.",
    ),
    "service_unavailable": (
        503,
        "服务暂时不可用，您的举报未被保存，请稍后重试或拨打 12350。",
        "The service is unavailable and your report was not saved; retry later or call 12350.",
    ),
    # officers' requests: each is signed with the officer's key (RFC 9421); the messages
    # name what is wrong with the signature, never a header value or a key
    "signature_missing": (
        401,
        "请求未签名：执法人员的每个请求都须带有签名。",
        "The request is not signed: every officer request must carry a signature.",
    ),
    "signature_malformed": (
        401,
        "请求签名格式不正确或未覆盖规定的请求要素。",
        "The request signature is malformed or does not cover the required parts.",
    ),
    "signature_unknown_key": (
        401,
        "签名密钥未知或已停用。",
        "The signing key is unknown or no longer active.",
    ),
    "signature_invalid": (401, "请求签名无效。", "The request signature is not valid."),
    "signature_expired": (
        401,
        "请求签名已过期或时间不正确，请核对电脑时钟后重试。",
        "The request signature has expired or its time is wrong; check the clock and retry.",
    ),
    "digest_mismatch": (
        401,
        "请求内容摘要缺失或与内容不符。",
        "The Content-Digest is missing or does not match the request body.",
    ),
    "signature_replayed": (
        401,
        "该签名请求已被使用过，请重新发送新的请求。",
        "This signed request was already used; send a new request.",
    ),
    # officers' access: each refusal names the rule, is audited, and reveals nothing else
    "unit_forbidden": (
        403,
        "无权查看该单位的案件。",
        "You may not see this unit's cases.",
    ),
    "case_forbidden": (
        403,
        "该案件未交由您办理，无权查看。",
        "This case has not been granted to you.",
    ),
    "identity_forbidden": (
        403,
        "仅本单位指定的举报人信息保管人可查看举报人信息。",
        "Only the unit's designated custodian may see the reporter's identity.",
    ),
    "grant_forbidden": (
        403,
        "仅办理单位的签收人员可以分派、撤回或转交案件。",
        "Only the handling unit's intake officers may assign, revoke or transfer a case.",
    ),
    "officer_excluded": (
        403,
        "该人员因回避不得办理此案件。",
        "This officer is excluded from the case (conflict of interest).",
    ),
    "escalation_forbidden": (
        403,
        "只有能打开该案件内容的人员（签收人员或承办人）可以将其上报上级单位。",
        "Only an officer who can open this case (intake or a grantee) may escalate it.",
    ),
    "escalation_target_invalid": (
        422,
        "上报对象必须是上级单位在职的监督人员。",
        "A case is escalated to an active supervisor of a unit above only.",
    ),
    "grantee_invalid": (
        422,
        "接收人员不存在、已停用，或不是本单位的办理人员。",
        "The officer is unknown, inactive, or not a handler of this unit.",
    ),
    "grant_incomplete": (
        422,
        "授权必须覆盖案件的全部密文（举报内容、补充材料和附件），且只能对接收人员的密钥。",
        "A grant must cover every sealed part of the case, wrapped to the grantee's key only.",
    ),
    "case_unknown": (404, "案件不存在。", "No such case."),
    "version_conflict": (
        409,
        "案件已被他人更新，请刷新后重试。",
        "The case was changed by someone else; reload it and try again.",
    ),
    "audit_forbidden": (
        403,
        "无权查看或见证该单位的审计日志。",
        "You may not read or witness this unit's audit log.",
    ),
    "checkpoint_invalid": (
        422,
        "检查点与日志不符或签名无效。",
        "The checkpoint does not match the log or its signature is invalid.",
    ),
    "query_invalid": (
        400,
        "查询参数不正确。",
        "The query parameters are invalid.",
    ),
}

# field-level codes -> (Chinese, English); the text names the rule, never the value
FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("此项必填。", "This field is required."),
    "too_short": ("内容过短。", "Too short."),
    "too_long": ("内容过长。", "Too long."),
    "invalid_choice": ("请从列表中选择。", "Choose a value from the list."),
    "unknown_region": ("未知的地区代码。", "Unknown region code."),
    "unknown_industry": ("未知的行业。", "Unknown industry."),
    "unknown_field": ("不允许的字段。", "Field not allowed."),
    "control_characters": (
        "包含不允许的控制字符或不可见字符。",
        "Contains control characters or invisible characters.",
    ),
    "markup": (
        "请勿输入 HTML 标记或脚本（如 <script>）。",
        "HTML markup or scripts (such as <script>) are not allowed.",
    ),
    "invalid_phone": ("电话号码格式不正确。", "This phone number is not valid."),
    "invalid_email": ("电子邮箱格式不正确。", "This email address is not valid."),
    "invalid_date": ("日期格式不正确或晚于今天。", "Not a valid date, or a date after today."),
    "invalid_format": ("格式不正确。", "Malformed value."),
    "invalid_type": ("类型不正确。", "Wrong type."),
    "out_of_range": ("数值超出范围。", "Value out of range."),
    "employee_needs_contact": (
        "本单位职工举报须提供真实姓名和有效联系方式（应急〔2020〕69号 第四条）。",
        "Employees reporting their own employer must give their name and a valid contact.",
    ),
    "contact_needed": (
        "请至少填写姓名或联系电话之一，或选择匿名举报。",
        "Give a name or a phone number, or choose to report anonymously.",
    ),
    "invalid_tag": ("海报标识无效。", "Invalid poster tag."),
}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def catalogue_messages(code: str, limits: dict[str, int | str] | None = None) -> tuple[str, str]:
    """(Chinese, English) of a catalogue code, its limits filled in."""
    _, zh, en = CATALOGUE[code]
    values = limits or {}
    return zh.format_map(values), en.format_map(values)


@dataclass(frozen=True)
class FieldError:
    """What to fix in one field. ``messages`` overrides the field code's own text when a
    refusal of the whole request is pinned on a field (a form's files: "too large")."""

    field: str
    code: str
    messages: tuple[str, str] | None = None

    def as_dict(self) -> dict[str, str]:
        zh, en = self.messages or FIELD_MESSAGES.get(self.code, FIELD_MESSAGES["invalid_format"])
        return {"field": self.field, "code": self.code, "message_zh": zh, "message_en": en}


@dataclass
class ApiError(Exception):
    """A refusal with a catalogue code; ``fields`` lists what to fix, ``limits`` the
    configured numbers its message names (every one the message asks for)."""

    code: str
    fields: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    limits: dict[str, int | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise KeyError(self.code)
        _, zh, en = CATALOGUE[self.code]
        missing = (_placeholders(zh) | _placeholders(en)) - set(self.limits)
        if missing:
            raise KeyError(f"{self.code} needs {sorted(missing)}")

    @property
    def status(self) -> int:
        return CATALOGUE[self.code][0]

    def on_field(self, name: str) -> ApiError:
        """The same refusal pinned on field ``name``, with its own message (a form
        marks the field, a script the control)."""
        return ApiError(
            self.code, [FieldError(name, self.code, self.messages())], self.headers, self.limits
        )

    def messages(self) -> tuple[str, str]:
        """(Chinese, English), limits filled in."""
        return catalogue_messages(self.code, self.limits)

    def as_dict(self) -> dict[str, Any]:
        zh, en = self.messages()
        body: dict[str, Any] = {
            "code": self.code,
            "message": f"{zh} / {en}",
            "message_zh": zh,
            "message_en": en,
        }
        if self.fields:
            body["fields"] = [f.as_dict() for f in self.fields]
        return {"error": body}

    def __str__(self) -> str:
        return self.code
