"""Nothing unconfirmed reaches print or the public (issue 11): the checker and ``jubao check``.

The shipped configuration is an example: the checker must name each of its placeholders,
its keys left to development and every value the office marks as unconfirmed; a
configuration with all values filled and confirmed must pass. Property tests put a
placeholder into any text value of a filled configuration and expect it found there,
and ordinary addresses and telephone numbers must not be taken for placeholders.
``jubao check --production`` is run as a process, as an office would run it.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib import crypto
from chalicelib.config import fieldpaths, publishable
from chalicelib.config.office import OfficeConfig, load_office
from chalicelib.config.publishable import Finding
from tests.office_files import filled_office_data, shipped_office_data, write_office

ROOT = Path(__file__).resolve().parents[1]
FILLED = filled_office_data()

PLACEHOLDERS = [
    "jubao@example.gov.cn",
    "https://jubao.example.gov.cn/report/",
    "www.example.com",
    "jubao@example.org",
    "mail.office.test",
    "http://localhost:8000/",
    "192.168.1.10",
    "203.0.113.5",
    "（请以省应急管理厅公布的通信地址为准）",
    "以官方网站公布为准",
    "待定",
    "待确认",
    "TODO",
    "TBD",
    "0551-xxxxxxxx",
    "某某街道",
    "to be confirmed",
    "please check with the office",
]
# ordinary text of a filled configuration: addresses, numbers, names (no placeholder)
ORDINARY = st.text(
    alphabet="安徽省合肥市包河区路号楼电话举报中心邮编一二三0123456789-（）", max_size=30
)


def _findings_at(data: dict[str, Any]) -> list[Finding]:
    return publishable.findings(OfficeConfig.model_validate(data))


def _text_paths(data: dict[str, Any]) -> list[str]:
    return sorted(
        path
        for path, value in fieldpaths.leaves(data)
        if isinstance(value, str)
        and not path.rsplit(".", 1)[-1].split("[", 1)[0].endswith(("_key", "_keys"))
    )


def _set(data: Any, target: str, value: str, prefix: str = "") -> bool:
    """Set the value at field path ``target`` in plain data; True if it was found."""
    if isinstance(data, dict):
        for key in data:
            path = f"{prefix}.{key}" if prefix else key
            if path == target:
                data[key] = value
                return True
            if _set(data[key], target, value, path):
                return True
    elif isinstance(data, list):
        names = fieldpaths.item_names(data)
        for i, (name, item) in enumerate(zip(names, data, strict=True)):
            path = f"{prefix}[{name}]"
            if path == target:
                data[i] = value
                return True
            if _set(item, target, value, path):
                return True
    return False


# -- the shipped example --------------------------------------------------------------------


def test_the_shipped_configuration_names_every_placeholder_and_unconfirmed_value() -> None:
    office = load_office()
    found = publishable.findings(office)
    by_path = {f.path: f for f in found}
    assert by_path["site.public_url"].kind == "placeholder"
    assert "example.gov.cn" in by_path["site.public_url"].why.en
    assert by_path["channels[email].value"].kind == "placeholder"
    assert by_path["channels[letter].value"].kind == "elsewhere"
    assert "请以" in by_path["channels[letter].value"].why.zh
    for unit in office.units:  # no keys in the file: development makes them
        for role in ("content_key", "custodian_key"):
            assert by_path[f"units[{unit.code}].{role}"].kind == "development"
    assert by_path["audit.server_key"].kind == "development"
    assert by_path["officers"].kind == "development"
    for entry in office.publication.unconfirmed:
        assert by_path[entry.path].kind == "unconfirmed"
        assert entry.note in by_path[entry.path].why.zh
        assert entry.note_en in by_path[entry.path].why.en
    assert len(office.publication.unconfirmed) >= 5
    flags = [p for p, v in fieldpaths.leaves(office.model_dump()) if p.endswith("_confirmed")]
    for flag in flags:  # e.g. rules.deadlines.acceptance_days_confirmed = false
        assert by_path[flag.removesuffix("_confirmed")].kind == "unconfirmed"
    for finding in found:  # every reason in both languages, Chinese first in the report
        assert finding.why.zh and finding.why.en
        assert f"{finding.path}: {finding.why.zh} / {finding.why.en}" in publishable.report(found)
    with pytest.raises(publishable.NotPublishable) as refused:
        publishable.require_publishable(office)
    assert refused.value.findings == found


def test_the_footer_of_a_government_site_is_required_for_production() -> None:
    """主办单位, contact, ICP 备案号 and 网站标识码: the example leaves them empty, and a
    production build must name each one that is still empty."""
    by_path = {f.path: f for f in publishable.findings(load_office())}
    for name in publishable.FOOTER_REQUIRED:
        assert by_path[f"site.footer.{name}"].kind == "missing"
    assert "ICP" in by_path["site.footer.icp"].why.zh
    assert "网站标识码" in by_path["site.footer.site_code"].why.zh
    for name in publishable.FOOTER_REQUIRED:
        data = copy.deepcopy(FILLED)
        data["site"]["footer"][name] = ""
        assert [f.path for f in _findings_at(data)] == [f"site.footer.{name}"]


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("icp", "ICP备12345678号"),
        ("icp", "皖ICP备号"),
        ("icp", "皖ICP备12345678"),
        ("site_code", "34000000"),
        ("site_code", "340000000１"),
    ],
)
def test_malformed_footer_numbers_are_refused_when_loaded(name: str, bad: str) -> None:
    data = copy.deepcopy(FILLED)
    data["site"]["footer"][name] = bad
    with pytest.raises(ValidationError):
        OfficeConfig.model_validate(data)


def test_a_filled_confirmed_configuration_has_no_findings() -> None:
    office = OfficeConfig.model_validate(FILLED)
    assert publishable.findings(office) == []
    publishable.require_publishable(office)


def test_the_banner_text_is_the_issues_wording() -> None:
    wording = "示例配置，不得对外发布 / sample configuration, not for publication"
    assert wording == publishable.SAMPLE_BANNER_TEXT


# -- any placeholder, anywhere --------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(_text_paths(FILLED)),
    placeholder=st.sampled_from(PLACEHOLDERS),
    before=ORDINARY,
    after=ORDINARY,
)
def test_a_placeholder_in_any_text_value_is_found_there(
    path: str, placeholder: str, before: str, after: str
) -> None:
    data = copy.deepcopy(FILLED)
    assert _set(data, path, f"{before} {placeholder} {after}")
    try:
        office = OfficeConfig.model_validate(data)
    except ValidationError:
        assume(False)  # a code or a choice field cannot hold text at all
        return
    found = publishable.findings(office)
    assert [f.path for f in found] == [path]
    assert found[0].kind in ("placeholder", "elsewhere")


@settings(max_examples=200, deadline=None)
@given(path=st.sampled_from(_text_paths(FILLED)), text=ORDINARY)
def test_ordinary_text_is_never_a_placeholder(path: str, text: str) -> None:
    assume(text.strip() or not path.startswith("site.footer."))  # an empty footer is missing
    data = copy.deepcopy(FILLED)
    assert _set(data, path, text)
    try:
        office = OfficeConfig.model_validate(data)
    except ValidationError:
        assume(False)
        return
    assert publishable.findings(office) == []


@settings(max_examples=100, deadline=None)
@given(host=st.from_regex(r"[a-z]{1,12}(\.[a-z]{2,8}){0,2}", fullmatch=True))
def test_example_domains_are_placeholders_at_any_depth(host: str) -> None:
    for url in (f"https://{host}.example.org/", f"https://example.{host}/"):
        data = copy.deepcopy(FILLED)
        data["site"]["public_url"] = url
        assert [f.path for f in _findings_at(data)] == ["site.public_url"], url


def test_the_site_must_be_https() -> None:
    data = copy.deepcopy(FILLED)
    data["site"]["public_url"] = "http://jubao.anhui-safety.cn/"
    [finding] = _findings_at(data)
    assert (finding.path, finding.kind) == ("site.public_url", "insecure")


# -- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["CHANGEME", "AAAA", crypto.b64e(b"x" * 31)])
def test_a_malformed_key_is_a_placeholder(bad: str) -> None:
    data = copy.deepcopy(FILLED)
    data["units"][3]["content_key"] = bad
    code = data["units"][3]["code"]
    [finding] = _findings_at(data)
    assert (finding.path, finding.kind) == (f"units[{code}].content_key", "placeholder")


def test_one_key_for_content_and_identity_is_refused() -> None:
    data = copy.deepcopy(FILLED)
    data["units"][0]["custodian_key"] = data["units"][0]["content_key"]
    [finding] = _findings_at(data)
    assert finding.path == f"units[{data['units'][0]['code']}].custodian_key"
    assert finding.kind == "development"


def test_development_keys_laid_over_the_file_do_not_count(tmp_path: Path) -> None:
    from jubao.devkeys import ensure_dev_keys

    shipped = load_office()
    keys = ensure_dev_keys(shipped, tmp_path / "keys")
    with_dev_keys = load_office(None, keys.public_keys)
    assert all(u.content_key for u in with_dev_keys.units)
    as_written = {f.path for f in publishable.findings(load_office())}
    assert "units[340000].content_key" in as_written


# -- the publication table and its paths ----------------------------------------------------


def test_unconfirmed_paths_must_name_a_value() -> None:
    data = copy.deepcopy(FILLED)
    for bad in ("site.public_uri", "channels[fax].value", "publication", "regions[999999]"):
        data["publication"] = {"unconfirmed": [{"path": bad, "note": "x", "note_en": "x"}]}
        with pytest.raises(ValidationError, match="names no value"):
            OfficeConfig.model_validate(data)
    entry = {"path": "site.public_url", "note": "x", "note_en": "x"}
    data["publication"] = {"unconfirmed": [entry, entry]}
    with pytest.raises(ValidationError, match="twice"):
        OfficeConfig.model_validate(data)
    data["publication"] = {"unconfirmed": [{"path": "site.public_url", "note": "", "note_en": ""}]}
    with pytest.raises(ValidationError):  # why it is unconfirmed, in both languages
        OfficeConfig.model_validate(data)


def test_a_value_with_its_own_flag_is_not_listed_again() -> None:
    flags = [p for p, _ in fieldpaths.leaves(FILLED) if p.endswith("_confirmed")]
    if not flags:
        pytest.skip("no *_confirmed flag in this configuration")
    data = copy.deepcopy(FILLED)
    path = flags[0].removesuffix("_confirmed")
    data["publication"] = {"unconfirmed": [{"path": path, "note": "x", "note_en": "x"}]}
    with pytest.raises(ValidationError, match="its own flag"):
        OfficeConfig.model_validate(data)


def test_marked_values_are_findings_with_the_offices_reason() -> None:
    data = copy.deepcopy(FILLED)
    data["publication"] = {
        "unconfirmed": [
            {"path": "regions[340100].name_en", "note": "英文名待核", "note_en": "check it"},
            {"path": "rules.deadlines", "note": "整体未确认", "note_en": "all of them"},
        ]
    }
    found = _findings_at(data)
    assert [(f.path, f.kind) for f in found] == [
        ("regions[340100].name_en", "unconfirmed"),
        ("rules.deadlines", "unconfirmed"),
    ]
    assert "英文名待核" in found[0].why.zh and "check it" in found[0].why.en


def test_items_are_named_by_their_key_or_by_position_when_it_repeats() -> None:
    data = {"channels": [{"kind": "wechat"}, {"kind": "wechat"}, {"kind": "email"}]}
    assert fieldpaths.paths(data) >= {"channels[0]", "channels[1]", "channels[email].kind"}
    assert "channels[wechat]" not in fieldpaths.paths(data)


# -- jubao check, as a process --------------------------------------------------------------


def _jubao(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}
    child["PYTHONPATH"] = os.pathsep.join([str(ROOT / "functions"), str(ROOT)])
    child.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "jubao.cli", *args],
        cwd=ROOT,
        env=child,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_production_fails_on_the_shipped_configuration_naming_each_finding() -> None:
    done = _jubao("check", "--production")
    assert done.returncode == 1, done.stderr
    found = publishable.findings(load_office())
    for finding in found:
        assert f"{finding.path}: {finding.why.zh} / {finding.why.en}" in done.stderr
    assert f"{len(found)} 处" in done.stderr and "not for publication" in done.stderr
    by_env = _jubao("check", env={"JUBAO_BUILD": "production"})
    assert by_env.returncode == 1 and by_env.stderr == done.stderr


def test_check_passes_a_filled_confirmed_configuration(tmp_path: Path) -> None:
    office_file = write_office(filled_office_data(), tmp_path / "office.toml")
    done = _jubao("check", "--production", "--office", str(office_file))
    assert (done.returncode, done.stderr) == (0, "")
    assert "fit to publish" in done.stdout
    by_env = _jubao("check", "--production", env={"JUBAO_OFFICE_CONFIG": str(office_file)})
    assert by_env.returncode == 0, by_env.stderr


def test_check_without_production_reports_and_exits_0() -> None:
    done = _jubao("check")
    assert done.returncode == 0
    assert "site.public_url" in done.stdout and publishable.SAMPLE_BANNER.zh in done.stdout


def test_check_refuses_an_invalid_file(tmp_path: Path) -> None:
    data = shipped_office_data()
    data["publication"] = {"unconfirmed": [{"path": "nowhere", "note": "x", "note_en": "x"}]}
    bad = write_office(data, tmp_path / "bad.toml")
    done = _jubao("check", "--production", "--office", str(bad))
    assert done.returncode == 2 and "names no value" in done.stderr
    missing = _jubao("check", "--office", str(tmp_path / "missing.toml"))
    assert missing.returncode == 2 and "错误 / error" in missing.stderr
