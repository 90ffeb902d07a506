"""The built site runs under ``script-src 'self'``: no code inline, anywhere.

Every built HTML page is read with BeautifulSoup (a parser of its own, not the hook's) and
must have no executable inline ``<script>``, no event-handler attribute and no
``javascript:`` URL; Material's inline scripts are in files, in their original order.
The hook's own extractor is also tested on small pages it must change or refuse.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from tests.site.htmlscan import html_files, url_of
from tests.site.sitebuild import ROOT

sys.path.insert(0, str(ROOT / "site" / "hooks"))
from jubao_site import inline_scripts

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("site")]

# https://html.spec.whatwg.org/multipage/scripting.html#javascript-mime-type
SCRIPT_TYPES = {
    "",
    "module",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "application/x-javascript",
    "text/ecmascript",
    "text/jscript",
    "text/livescript",
    "text/x-javascript",
    "text/x-ecmascript",
}
SCRIPT_TYPES |= {f"text/javascript1.{n}" for n in range(6)}
JAVASCRIPT_URL = re.compile(r"^[\x00-\x20]*javascript:", re.IGNORECASE)
INLINE_FILE = re.compile(r"assets/javascripts/inline/inline\.([0-9a-f]{8})\.min\.js$")


def code_that_runs_inline(html: str) -> list[str]:
    """What in ``html`` a browser would run from the page itself (CSP 'unsafe-inline')."""
    found = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        assert isinstance(tag, Tag)
        if tag.name == "script" and not tag.has_attr("src"):
            kind = str(tag.get("type", "")).strip().lower()
            if kind in SCRIPT_TYPES:
                found.append(f"inline <script>: {tag.get_text()[:60]!r}")
        for name, value in tag.attrs.items():
            values = value if isinstance(value, list) else [value]
            if name.lower().startswith("on"):
                found.append(f"<{tag.name} {name}=…>")
            elif any(JAVASCRIPT_URL.match(re.sub(r"[\t\n\r]", "", str(v))) for v in values):
                found.append(f'<{tag.name} {name}="javascript:…">')
    return found


def test_the_scanner_sees_inline_code() -> None:
    assert code_that_runs_inline("<p>x</p><script type=application/json>{}</script>") == []
    assert code_that_runs_inline('<script src="a.js"></script>') == []
    for bad in [
        "<script>alert(1)</script>",
        "<SCRIPT type=' Text/JavaScript '>x</SCRIPT>",
        "<script type=module>x</script>",
        "<button onclick='x()'>b</button>",
        "<svg><a href=' javascript:x()'>a</a></svg>",
        "<a href='java\tscript:x'>",
        "<form action='JAVASCRIPT:x'></form>",
        "<body onload=x>",
    ]:
        assert code_that_runs_inline(bad), bad


def test_no_page_has_code_that_runs_inline(site: Path) -> None:
    pages = html_files(site)
    assert len(pages) >= 25  # 12 pages in 2 languages and the 404 page
    offences = [
        f"/{url_of(site, file)}: {offence}"
        for file in pages
        for offence in code_that_runs_inline(file.read_text(encoding="utf-8"))
    ]
    assert offences == []


def test_materials_inline_scripts_are_files_in_their_places(site: Path) -> None:
    inline_dir = site / "assets" / "javascripts" / "inline"
    written = {p.name: p.read_text(encoding="utf-8") for p in inline_dir.glob("*.js")}
    for name, code in written.items():  # each file is named by its content's hash
        digest = INLINE_FILE.search(f"assets/javascripts/inline/{name}")
        assert digest and hashlib.sha256(code.encode()).hexdigest()[:8] == digest[1], name
    used = set()
    for file in html_files(site):
        soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
        scripts = [s for s in soup.find_all("script") if isinstance(s, Tag)]
        sources = [str(s.get("src", "")) for s in scripts]
        moved = [m[0] for src in sources if (m := INLINE_FILE.search(src))]
        used.update(Path(m).name for m in moved)
        where = url_of(site, file)
        # Material's helpers first in the head, before its bundle and our scripts need them
        head_scripts = [s for s in scripts if s.find_parent("head")]
        assert head_scripts and INLINE_FILE.search(str(head_scripts[0].get("src", ""))), where
        first = written[Path(moved[0]).name]
        assert first.startswith("__md_scope=new URL("), where
        bundle = next(i for i, src in enumerate(sources) if "javascripts/bundle." in src)
        assert all(i < bundle for i, src in enumerate(sources) if INLINE_FILE.search(src)), where
        for s in scripts:  # moved scripts keep the document order: no async, no defer
            if INLINE_FILE.search(str(s.get("src", ""))):
                assert not s.has_attr("async") and not s.has_attr("defer"), where
        # the configuration stays a data block
        config = soup.find("script", id="__config")
        assert isinstance(config, Tag) and config.get("type") == "application/json", where
    assert used == set(written)  # nothing stale, nothing missing


def test_the_404_page_links_its_scripts_from_the_root(site: Path) -> None:
    soup = BeautifulSoup((site / "404.html").read_text(encoding="utf-8"), "html.parser")
    moved = [str(s["src"]) for s in soup.find_all("script", src=INLINE_FILE) if isinstance(s, Tag)]
    assert moved and all(src.startswith("/assets/javascripts/inline/") for src in moved)


PAGE = """<!doctype html><html><head>
<script>var a = "</div>"; window.order = [1];</script>
<!-- <script>not a script</script> -->
<script id="__config" type="application/json">{"x": "<b>"}</script>
<script defer async data-x='a"b'>window.order.push(2)</script>
<script type="module">import "./m.js";</script>
<script>  </script>
</head><body><p title="<script>">t</p><script>window.order.push(2)</script></body></html>"""


def test_the_extractor_moves_code_in_order_and_keeps_the_rest() -> None:
    out, files = inline_scripts.externalize(PAGE, "../..")
    assert code_that_runs_inline(out) == []
    assert len(files) == 3  # the two identical push(2) scripts share one file
    sources = re.findall(r'<script src="([^"]+)"([^>]*)>', out)
    assert [src for src, _ in sources] == [
        "../../" + inline_scripts.file_name('var a = "</div>"; window.order = [1];'),
        "../../" + inline_scripts.file_name("window.order.push(2)"),
        "../../" + inline_scripts.file_name('import "./m.js";'),
        "../../" + inline_scripts.file_name("window.order.push(2)"),
    ]
    assert sources[1][1] == ' data-x="a&quot;b"'  # async/defer dropped: order kept
    assert sources[2][1] == ' type="module"'
    for kept in (
        "<!-- <script>not a script</script> -->",
        '<script id="__config" type="application/json">{"x": "<b>"}</script>',
        '<p title="<script>">t</p>',
    ):
        assert kept in out
    assert "<script>  </script>" not in out
    assert files[inline_scripts.file_name("window.order.push(2)")] == "window.order.push(2)"
    root, _ = inline_scripts.externalize(PAGE, "/")
    assert '<script src="/assets/javascripts/inline/' in root
    here, _ = inline_scripts.externalize(PAGE, ".")
    assert '<script src="assets/javascripts/inline/' in here


@pytest.mark.parametrize(
    "bad",
    [
        '<a href="#" onclick="go()">x</a>',
        "<body onload=x()>",
        '<a href=" JavaScript:void(0)">x</a>',
        '<form action="java\nscript:x()"></form>',
        '<iframe src="javascript:x"></iframe>',
    ],
)
def test_the_extractor_refuses_code_it_cannot_move(bad: str) -> None:
    with pytest.raises(inline_scripts.UnsafeMarkup):
        inline_scripts.externalize(f"<html><body>{bad}</body></html>", ".")


def test_a_file_name_taken_by_other_code_is_an_error(tmp_path: Path) -> None:
    name = inline_scripts.file_name("a()")
    inline_scripts.write(tmp_path, {name: "a()"})
    inline_scripts.write(tmp_path, {name: "a()"})  # the second language's build: same code
    with pytest.raises(inline_scripts.UnsafeMarkup):
        inline_scripts.write(tmp_path, {name: "b()"})
