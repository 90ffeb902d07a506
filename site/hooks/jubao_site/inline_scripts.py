"""Move every executable inline ``<script>`` of a built page into a file of its own.

The site is served under a Content-Security-Policy with ``script-src 'self'`` and no
``'unsafe-inline'`` (``chalicelib.web.http_policy.SITE_CSP``), so an inline script would not
run. MkDocs Material writes a few (``__md_scope``/``__md_get`` in the head, the palette
and tab snippets in the body). Each one's code goes to
``assets/javascripts/inline/inline.<sha256 prefix>.min.js`` (named by its content, so the
policy's fingerprint rule may cache it for good) and the block is replaced, at the same
place, by a ``<script src>`` without ``async``/``defer``: classic scripts then still run
in document order, before what follows them.

Data blocks (``<script type="application/json">``, Material's configuration) are not
executed and stay. Inline event-handler attributes (``onclick=``) and ``javascript:``
URLs cannot be moved into a file without rewriting the code, and the policy would block
them: the build stops on them instead.

The HTML is read with the standard library's tokenizer (``html.parser``), which knows
that a script's content is raw text, so ``"</div>"`` inside a script or a ``<script>``
inside a comment is not mistaken for markup; only the script elements' own text is cut
and replaced, the rest of the page stays byte for byte.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

INLINE_DIR = "assets/javascripts/inline"

# https://html.spec.whatwg.org/multipage/scripting.html#javascript-mime-type
JAVASCRIPT_TYPES = frozenset(
    {
        "application/ecmascript", "application/javascript", "application/x-ecmascript",
        "application/x-javascript", "text/ecmascript", "text/javascript",
        "text/javascript1.0", "text/javascript1.1", "text/javascript1.2",
        "text/javascript1.3", "text/javascript1.4", "text/javascript1.5", "text/jscript",
        "text/livescript", "text/x-ecmascript", "text/x-javascript",
    }
)  # fmt: skip
# a URL parser drops leading C0 controls and spaces, and tabs and newlines anywhere
_JAVASCRIPT_URL = re.compile(r"^[\x00-\x20]*" + r"[\t\n\r]*".join("javascript") + ":", re.I)
_EVENT_HANDLER = re.compile(r"^on[a-z]+$", re.IGNORECASE)


class UnsafeMarkup(ValueError):
    """Markup that would run code inline and cannot be moved into a file."""


def is_executable(script_type: str | None, language: str | None = None) -> bool:
    """Whether a ``<script>`` with this ``type`` (and legacy ``language``) runs code."""
    if script_type is None:
        return (
            language is None
            or language.strip() == ""
            or (f"text/{language.strip().lower()}" in JAVASCRIPT_TYPES)
        )
    value = script_type.strip().lower()
    return value in ("", "module") or value in JAVASCRIPT_TYPES


def is_javascript_url(value: str) -> bool:
    """Whether an attribute value is a ``javascript:`` URL as a browser would parse it."""
    return bool(_JAVASCRIPT_URL.match(value))


@dataclass
class _Script:
    start: int  # offset of "<script"
    body_start: int  # offset just after the start tag's ">"
    attrs: list[tuple[str, str | None]]
    executable: bool
    body_end: int = -1  # offset of "</script"
    end: int = -1  # offset just after the end tag's ">"


@dataclass
class _Finder(HTMLParser):
    html: str
    scripts: list[_Script] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", self.html)]
        self._open: _Script | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag != "script":
            return
        start = self._offset()
        text = self.get_starttag_text() or ""
        a = dict(attrs)
        executable = "src" not in a and is_executable(a.get("type"), a.get("language"))
        self._open = _Script(start, start + len(text), attrs, executable)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)  # "<script/>" is not self-closing in HTML: not used here

    def handle_endtag(self, tag: str) -> None:
        if tag != "script" or self._open is None:
            return
        script, self._open = self._open, None
        script.body_end = self._offset()
        script.end = self.html.index(">", script.body_end) + 1
        self.scripts.append(script)

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if _EVENT_HANDLER.match(name):
                self.problems.append(f"line {line}: <{tag} {name}=…> (inline event handler)")
            elif value is not None and is_javascript_url(value):
                self.problems.append(f'line {line}: <{tag} {name}="javascript:…">')


def _start_tag(src: str, attrs: list[tuple[str, str | None]]) -> str:
    kept = [f'src="{src}"']
    for name, value in attrs:
        if name in ("async", "defer", "src"):  # no effect inline; would change the order
            continue
        if value is None:
            kept.append(name)
        else:
            quoted = value.replace("&", "&amp;").replace('"', "&quot;")
            kept.append(f'{name}="{quoted}"')
    return "<script " + " ".join(kept) + ">"


def file_name(code: str) -> str:
    """The site path of the file that holds ``code``: named by its SHA-256."""
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()[:8]
    return f"{INLINE_DIR}/inline.{digest}.min.js"


def externalize(html: str, base_url: str) -> tuple[str, dict[str, str]]:
    """Return ``html`` without executable inline scripts, and the files to write.

    ``base_url`` is the page's way to the site root (``".."``, ``"."``, or ``"/"`` for the
    404 page, which is served at any path). The files map site paths to their code.
    Raises ``UnsafeMarkup`` on event-handler attributes and ``javascript:`` URLs.
    """
    finder = _Finder(html)
    finder.feed(html)
    finder.close()
    if finder.problems:
        raise UnsafeMarkup("; ".join(finder.problems))
    files: dict[str, str] = {}
    out: list[str] = []
    done = 0
    for script in finder.scripts:
        if not script.executable:
            continue
        code = html[script.body_start : script.body_end]
        if not code.strip():
            out.append(html[done : script.start])  # an empty inline script does nothing
            done = script.end
            continue
        name = file_name(code)
        if files.get(name, code) != code:
            raise UnsafeMarkup(f"two different scripts share the file name {name}")
        files[name] = code
        src = base_url.rstrip("/") + "/" + name if base_url not in ("", ".") else name
        out.append(html[done : script.start])
        out.append(_start_tag(src, script.attrs) + "</script>")
        done = script.end
    out.append(html[done:])
    return "".join(out), files


def write(site_dir: Path, files: dict[str, str]) -> None:
    """Write the extracted scripts; a name already taken by other code is an error."""
    for name, code in files.items():
        path = site_dir / name
        if path.is_file():
            if path.read_text(encoding="utf-8") != code:
                raise UnsafeMarkup(f"{name} exists with different code")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
