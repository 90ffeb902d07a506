"""The site follows the office configuration: another office file, another site.

Builds with a changed copy of the office file (hotline, deadlines, a region name, the
poster threshold) and checks the changes reach every place that shows them; and the
build-time helpers refuse what would ship a wrong page.
"""

from __future__ import annotations

import json
import sys
from html import escape
from pathlib import Path

import pytest

from chalicelib.config.office import DEFAULT_CONFIG, load_office
from tests.site.sitebuild import ROOT, build_site

sys.path.insert(0, str(ROOT / "site" / "hooks"))
from jubao_site import facts, posters, quiz


def _changed_office(tmp: Path) -> Path:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace("12350", "12399")  # the hotline's value, label and note
    replacements = [
        ("acceptance_days = 7", "acceptance_days = 5"),
        # the office confirms the limit as its own: now the pages state it
        ("acceptance_days_confirmed = false", "acceptance_days_confirmed = true"),
        ("verification_days = 60", "verification_days = 45"),
        ("min_people_per_tag = 50", "min_people_per_tag = 80"),
        ('name = "蚌埠市"', 'name = "蚌埠市（测试）"'),
    ]
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp / "office.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.xdist_group("site")
def test_a_changed_office_file_changes_the_site(tmp_path: Path) -> None:
    office_file = _changed_office(tmp_path)
    office = load_office(office_file)
    build = build_site(
        tmp_path / "site",
        {
            "JUBAO_OFFICE_CONFIG": str(office_file),
            "JUBAO_POSTERS_DIR": str(tmp_path / "no-posters"),
        },
    )
    assert build.returncode == 0, build.log
    site = build.site

    def html(path: str) -> str:
        return (site / path / "index.html").read_text(encoding="utf-8")

    assert 'href="tel:12399"' in html("") and "12350" not in html("channels")
    assert "收到后 5 日内" in html("process") and "受理后 45 日内" in html("process")
    assert "within 45 days of acceptance" in html("en/process")
    assert "蚌埠市（测试）" in html("report") and "蚌埠市（测试）" in html("scope")
    assert "人数少于 <strong>80</strong> 人" in html("confidentiality")
    data = json.loads((site / "assets" / "quiz.json").read_text(encoding="utf-8"))
    hotline = next(q for q in data["questions"] if q["id"] == "hotline")
    assert hotline["choices"][hotline["correct"]]["zh"] == office.hotline.value == "12399"
    assert "posters-missing" in html("posters")  # no poster folder: the page says so
    assert not (site / "posters" / "files").exists()


def test_unknown_placeholder_fails_instead_of_shipping_braces() -> None:
    values = facts.facts(load_office(), "zh")
    assert facts.fill("拨打 {{ hotline }}", values) == "拨打 12350"
    with pytest.raises(facts.UnknownPlaceholder):
        facts.fill("{{ hotlien }}", values)


def test_quiz_refuses_a_distractor_equal_to_the_configured_answer(tmp_path: Path) -> None:
    source = (ROOT / "site" / "content" / "quiz.toml").read_text(encoding="utf-8")
    clashing = tmp_path / "quiz.toml"
    clashing.write_text(
        source.replace('{ zh = "12315", en = "12315" }', '{ zh = "12350", en = "12350" }', 1),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="duplicate choices"):
        quiz.load(load_office(), clashing)
    assert quiz.load(load_office()).questions  # the shipped file is valid


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_quiz_speaks_of_a_prize_only_with_a_claim_route(lang: str) -> None:
    office = load_office()
    assert not office.quiz.offered  # the example configures no prize
    plain = quiz.render(office, lang, lambda path: path)
    assert "获奖" not in plain and "prize" not in plain.lower().replace("prize quiz", "")
    assert ("合格线" if lang == "zh" else "pass mark") in plain
    assert 'id="quiz-claim"' not in plain
    claim = {
        "claim": "截图本页成绩，到所在街道安全生产宣传点领取纪念品",
        "claim_en": "Show "
        "this page's score at your sub-district's work-safety stand for a small gift",
    }
    offered = office.model_copy(update={"quiz": office.quiz.model_validate(claim)})
    html = quiz.render(offered, lang, lambda path: path)
    assert ("恭喜，达到获奖标准！" if lang == "zh" else "that is a prize score") in html
    assert escape(claim["claim" if lang == "zh" else "claim_en"]) in html
    assert 'id="quiz-claim" hidden' in html  # shown by the script once the mark is reached


def test_posters_page_without_posters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUBAO_POSTERS_DIR", str(tmp_path / "absent"))
    html = posters.gallery(load_office(), "zh", lambda p: p, lambda p: p)
    assert 'id="posters-missing"' in html
    assert posters.copy_into(tmp_path / "site", tmp_path / "absent") == 0


def test_posters_manifest_pointing_outside_its_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (tmp_path / "secret.png").write_bytes(b"x")
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "posters": [
                    {
                        "id": "a",
                        "region": "340100",
                        "region_name": "合肥市",
                        "region_name_en": "Hefei",
                        "lang": "zh",
                        "size": "a3",
                        "pdf": "../secret.png",
                        "png": "../secret.png",
                        "url": "https://x/",
                        "tag": None,
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(posters.ManifestError):
        posters.load_manifest(folder)
