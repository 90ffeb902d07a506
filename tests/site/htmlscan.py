"""Read a built site's HTML: ids, links, asset references, the page language."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ASSET_ATTRS = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "audio": "src",
    "video": "src",
    "embed": "src",
    "object": "data",
}
ASSET_RELS = {
    "stylesheet",
    "icon",
    "preload",
    "modulepreload",
    "manifest",
    "prefetch",
    "apple-touch-icon",
    "shortcut",
}


@dataclass
class Page:
    path: Path
    lang: str = ""
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)  # a[href], link[href] (non-asset)
    assets: list[str] = field(default_factory=list)  # what the page makes the browser load
    forms: list[str] = field(default_factory=list)  # form[action]
    text: list[str] = field(default_factory=list)
    in_main: int = 0


class _Parser(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.page.lang = a.get("lang", "")
        if "id" in a:
            self.page.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.page.ids.add(a["name"])
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "article":
            self.page.in_main += 1
        if tag in ASSET_ATTRS and a.get(ASSET_ATTRS[tag]):
            self.page.assets.append(a[ASSET_ATTRS[tag]])
        if tag == "img" and a.get("srcset"):
            self.page.assets.extend(part.split()[0] for part in a["srcset"].split(","))
        if tag == "link" and a.get("href"):
            rels = set(a.get("rel", "").lower().split())
            (self.page.assets if rels & ASSET_RELS else self.page.links).append(a["href"])
        if tag == "a" and a.get("href"):
            self.page.links.append(a["href"])
        if tag == "form" and a.get("action"):
            self.page.forms.append(a["action"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        if tag == "article" and self.page.in_main:
            self.page.in_main -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and self.page.in_main:
            self.page.text.append(data)


def scan(path: Path) -> Page:
    page = Page(path)
    parser = _Parser(page)
    parser.feed(path.read_text(encoding="utf-8"))
    return page


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def url_of(site: Path, path: Path) -> str:
    """The site path a file is served at ("report/" for report/index.html)."""
    rel = path.relative_to(site).as_posix()
    return rel[: -len("index.html")] if rel.endswith("index.html") else rel
