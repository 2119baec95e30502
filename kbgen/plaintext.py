"""Markdown to plain text for what leaves the site as text: the reply an agent pastes, the feed summary.

The text comes from the parse that renders case text on the page (markdown-it, ``kbgen.markdown.MD``), so
the reply reads the solution as the article shows it: a case's solution is read from the very HTML its page
shows (``from_html``: the HTML of the one parse that read the case, sanitised), other text is parsed with
the same parser (``to_text``). Code keeps every character (``HKEY_LOCAL_MACHINE`` keeps its underscores, a
highlighted block its lines), ordered lists keep their numbers, and emphasis markers vanish only where
Markdown reads them as emphasis. A second parser (Python-Markdown, before) read some Markdown otherwise
(``1)`` steps as one paragraph) and took quadratic time over some text (20,000 ``[`` took half a minute,
where the page's parse takes a second): ``kbgen check`` passed a case that then stalled the build.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it.renderer import RendererHTML

from . import markdown

_PLAIN = RendererHTML()
"""markdown-it's own renderer: the page's tokens as plain HTML (code not highlighted, nothing else to read)."""
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "tr", "dl", "dt", "dd", "hr"}
_DROP = {"script", "style", "template"}


class _Text(HTMLParser):
    """Walks the rendered HTML: one line per block, list items numbered and indented, <pre> verbatim."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line = ""
        self.lists: list[list[int]] = []  # one [next number] per open list; [0] marks a bulleted list
        self.pre = 0
        self.code: list[str] = []  # the open code block's text so far
        self.drop = 0
        self.href: list[str | None] = []
        self.cells = 0
        self.marker = ""  # the list marker just written: the item's first paragraph continues its line

    def indent(self) -> str:
        return "   " * max(0, len(self.lists) - 1)

    def newline(self) -> None:
        if self.line.strip() and self.line.rstrip() != self.marker.rstrip():
            self.lines.append(self.line.rstrip())
            self.line = ""
            self.marker = ""
        elif not self.marker:
            self.line = ""

    def paragraph_break(self) -> None:
        """Top-level blocks are separated by an empty line, as in a message."""
        self.newline()
        if not self.lists and self.lines and self.lines[-1]:
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            self.drop += 1
        elif tag in ("ol", "ul"):
            self.newline()
            start = dict(attrs).get("start") or "1"
            self.lists.append([int(start) if tag == "ol" and start.isdigit() else 0])
        elif tag == "li":
            self.newline()
            counter = self.lists[-1] if self.lists else [0]
            marker = f"{counter[0]}." if counter[0] else "-"
            if counter[0]:
                counter[0] += 1
            self.line = self.marker = f"{self.indent()}{marker} "
        elif tag == "pre":
            self.newline()
            self.pre += 1
            if self.pre == 1:
                self.code = []
        elif tag == "br":
            self.newline()
            self.line = self.indent() + ("   " if self.lists else "")
        elif tag in ("td", "th"):
            if self.cells:
                self.line = self.line.rstrip() + " | "
            self.cells += 1
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
        elif tag == "img":
            self.line += dict(attrs).get("alt") or ""
        elif tag in _BLOCKS:
            self.newline()
            if tag == "tr":
                self.cells = 0

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.drop = max(0, self.drop - 1)
        elif tag in ("ol", "ul"):
            self.newline()
            if self.lists:
                self.lists.pop()
            self.paragraph_break()
        elif tag == "pre" and self.pre:
            self.pre -= 1
            if not self.pre:
                self.code_block("".join(self.code))
            self.paragraph_break()
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and re.match(r"^(https?|mailto):", href) and href.removeprefix("mailto:") not in self.line:
                self.line += f" ({href})"  # a pasted reply keeps where the link went
        elif tag in ("p", "blockquote", "table"):
            self.paragraph_break()
        elif tag == "li" or tag in _BLOCKS:
            self.newline()

    def handle_data(self, data: str) -> None:
        if self.drop:
            return
        if self.pre:
            self.code.append(data)  # a highlighted block comes a token at a time: its lines are made at </pre>
            return
        text = re.sub(r"\s+", " ", data)
        if not self.line.strip() or self.line.rstrip() == self.marker.rstrip():
            text = text.lstrip()
            if not text:
                return
            if self.lists and not self.line:
                self.line = self.indent() + "   "  # a second paragraph inside a list item
        self.line += text

    def code_block(self, code: str) -> None:
        """A code block verbatim, each line indented under the list item it belongs to."""
        pad = self.indent() + ("   " if self.lists else "") + "    "
        for n, code_line in enumerate(code.rstrip("\n").split("\n")):
            if n or self.line.strip():
                self.newline()
            self.line = pad + code_line

    def text(self) -> str:
        self.newline()
        return "\n".join(self.lines).strip("\n")


def to_text(source: str) -> str:
    """Plain text of a Markdown block: every step, numbered; code verbatim; links as "text (url)"."""
    return from_html(_PLAIN.render(markdown.MD.parse(source, {}), markdown.MD.options, {}))


def from_html(html: str) -> str:
    """Plain text of rendered HTML, as ``to_text`` makes it: for text the site has rendered already (a case's
    sections come as HTML from the one parse that read them), so what is copied is what the page shows."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.text()


def to_line(source: str) -> str:
    """Plain text on one line (titles, meta descriptions): inline Markdown read, code kept."""
    return " ".join(to_text(source).split())


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word and marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"
