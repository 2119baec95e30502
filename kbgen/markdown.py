"""Case bodies as Markdown: ONE parse finds the sections, cuts the private ones and renders the rest.

Before, a hand-written splitter decided where ``## Internal notes`` began and MkDocs'
Python-Markdown rendered the body later; wherever the two read a line differently (a fence
closed by a line with an info string, a setext heading after a rule, a heading nested in a
list), the notes were published. Here markdown-it-py (CommonMark, with source line maps)
parses the body once; the top-level h1/h2 heading tokens split it, and each section's HTML is
rendered from the same tokens, so what is cut and what is shown can never disagree.

A line that reads as "Internal notes" anywhere else (a nested or level-3 heading, raw HTML,
inside a code block that swallowed the real heading) is an error naming its line.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore, text_join
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.admon import admon_plugin

from .models import Diagnostic, Section
from .privacy import fold, reads_internal, reads_internal_notes

_LANG = re.compile(r"^[A-Za-z0-9_+#-]{1,32}$")
_PRIVATE_TITLE = re.compile(r"\b(?:internal|private|confidential)\b")  # 'Notes (internal)', 'Private notes': meant to stay private
_NO_SPACE = re.compile(r"#{1,6}[^\s#\d]")  # '##Solution': Python-Markdown took it for a heading, CommonMark does not


@lru_cache(maxsize=64)
def _lexer(lang: str) -> object:
    # Pygments is imported by the first code block: `kbgen similar` reads a draft with this parser and renders
    # no code, and importing Pygments costs a tenth of its time budget.
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(lang) if lang else TextLexer()
    except ClassNotFound:
        return TextLexer()


@lru_cache(maxsize=1)
def _formatter() -> object:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def code_html(code: str, info: str) -> str:
    """A code block as pymdownx.highlight writes it, so Material styles it as it does any other page's."""
    lang = info.split()[0] if info.split() else ""
    # "mermaid" would make a diagram class the theme turns into a live diagram (links included): plain code instead
    lang = lang if _LANG.match(lang) and lang.lower() != "mermaid" else ""
    from pygments import highlight as pygments_highlight

    inner = pygments_highlight(code, _lexer(lang.lower()), _formatter())
    css = f"language-{lang} highlight" if lang else "highlight"
    return f'<div class="{css}"><pre><span></span><code>{inner}</code></pre></div>\n'


def _render_fence(self: object, tokens: Sequence[Token], idx: int, options: object, env: object) -> str:
    token = tokens[idx]
    return code_html(token.content, html.unescape(token.info))


def _render_code_block(self: object, tokens: Sequence[Token], idx: int, options: object, env: object) -> str:
    return code_html(tokens[idx].content, "")


MAX_NESTING = 100
"""Token nesting markdown-it follows (a list item inside a list is two levels). Past it markdown-it silently
skips the rest of the container, so a body that gets close is an error instead (see :func:`parse_body`)."""


def _private_ranges(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """Source line ranges that are never published: the preamble and every internal section."""
    starts = [(t.map[0], reads_internal(tokens[i + 1].content)) for i, t in enumerate(tokens) if _is_split(t) and t.map]
    ranges = [(0, starts[0][0] if starts else 1 << 30)]
    for n, (line, internal) in enumerate(starts):
        if internal:
            ranges.append((line, starts[n + 1][0] if n + 1 < len(starts) else 1 << 30))
    return ranges


def _drop_private_references(state: StateCore) -> None:
    """A link reference defined in internal notes ('[t]: https://tickets/4411') must not resolve a link
    in a public section: the definitions are dropped after the block parse, before links are resolved."""
    if not (isinstance(state.env, dict) and state.env.get(_SECTIONS)):
        return  # not a whole case body (a section built by hand): nothing in it is private
    refs = state.env.get("references")
    if not refs:
        return
    ranges = _private_ranges(state.tokens)
    for label, ref in list(refs.items()):
        where = ref.get("map") if isinstance(ref, dict) else None
        if not where or any(lo <= where[0] < hi for lo, hi in ranges):
            del refs[label]


_SECTIONS = "kbgen_sections"


class _Inline:
    """One inline text's tokens (parsed and joined) and, once rendered, its HTML."""

    __slots__ = ("children", "html")

    def __init__(self, children: list[Token]) -> None:
        self.children = children
        self.html: str | None = None


INLINE_MEMO = 20_000
"""Distinct inline texts kept per parser (emptied when full): a few MB, and steps recur far more often than that."""


class _SharedInline:
    """The inline parse (and the HTML) of each distinct text once: the same steps, headings and list lines recur
    in case after case ("Restart the service.", "## Solution"), and an inline text's tokens depend on nothing
    but the text, the parser's options and the body's link reference definitions. With any definition left in
    a body its texts are parsed as usual; otherwise equal texts share one token list, never changed after it is
    made (the renderer reads it; nothing else assigns into it). It takes the place of markdown-it's ``inline``
    and ``text_join`` core rules, which run one after the other, and does the same for each text."""

    def __init__(self) -> None:
        self.by_text: dict[str, _Inline] = {}
        self.by_list: dict[int, _Inline] = {}  # id(children) -> its entry, which keeps the list alive

    def inline(self, state: StateCore) -> None:
        shared = not (isinstance(state.env, dict) and state.env.get("references"))
        for token in state.tokens:
            if token.type != "inline":
                continue
            entry = self.by_text.get(token.content) if shared else None
            if entry is None:
                children: list[Token] = []
                state.md.inline.parse(token.content, state.md, state.env, children)
                token.children = children
                text_join(_Tokens([token]))  # type: ignore[arg-type]  # it reads .tokens only
                if not shared:
                    continue
                if len(self.by_text) >= INLINE_MEMO:
                    self.by_text.clear()
                    self.by_list.clear()
                entry = self.by_text[token.content] = _Inline(token.children)
                self.by_list[id(entry.children)] = entry
            token.children = entry.children

    def html(self, children: Sequence[Token]) -> _Inline | None:
        entry = self.by_list.get(id(children))
        return entry if entry is not None and entry.children is children else None


class _Tokens:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens


class _Renderer(RendererHTML):
    """markdown-it's HTML renderer, rendering each shared inline token list once (:class:`_SharedInline`)."""

    shared: _SharedInline | None = None

    def renderInline(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        entry = self.shared.html(tokens) if self.shared is not None else None
        if entry is None:
            return super().renderInline(tokens, options, env)
        if entry.html is None:
            entry.html = super().renderInline(tokens, options, env)
        return entry.html


def _parser(shared: bool = True) -> MarkdownIt:
    """The one case-body parser; ``shared=False`` is markdown-it's own inline stage (tests compare the two)."""
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING},
                    renderer_cls=_Renderer).use(admon_plugin).enable(["table", "strikethrough"])
    md.core.ruler.after("block", "kbgen_private_references", _drop_private_references)
    if shared:
        # the two rules it replaces are next to each other, with nothing between them that a preset could enable
        assert [r.__name__ for r in md.core.ruler.getRules("")][-2:] == ["inline", "text_join"]
        inline = _SharedInline()
        md.core.ruler.at("inline", inline.inline)
        md.core.ruler.disable("text_join")
        assert isinstance(md.renderer, _Renderer)
        md.renderer.shared = inline
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("code_block", _render_code_block)
    return md


MD = _parser()


def _diag(path: str, line: int, message: str, severity: str = "error") -> Diagnostic:
    return Diagnostic(path, line, "error" if severity == "error" else "warning", message)


def render(body: str) -> str:
    """HTML of Markdown that is not a parsed case section (a Section built by hand, as tests and benches do)."""
    return MD.renderer.render(_without_comments(MD.parse(body)), MD.options, {})


def _without_comments(tokens: list[Token]) -> list[Token]:
    """HTML comments never reach a page: the loader removed them; a raw-HTML token that still holds one is dropped."""
    out: list[Token] = []
    for token in tokens:
        if token.type == "html_block" and "<!--" in token.content:
            continue
        if token.children:
            token.children = [c for c in token.children if not (c.type == "html_inline" and "<!--" in c.content)]
        out.append(token)
    return out


def _is_split(token: Token) -> bool:
    return token.type == "heading_open" and token.level == 0 and token.tag in ("h1", "h2")


def _fence_closed(token: Token, lines: Sequence[str]) -> bool:
    """CommonMark closes a fence left open at the end of the text: everything after it would be code."""
    assert token.map is not None
    last = token.map[1] - 1
    if last <= token.map[0] or last >= len(lines):
        return False
    text = lines[last].lstrip(" \t>").strip()  # a fence in a quote or list item closes after its container's marks
    return len(text) >= len(token.markup) and set(text) == {token.markup[0]}


def _checks(tokens: Sequence[Token], lines: Sequence[str], first_line: int, path: str) -> list[Diagnostic]:
    """Lines that read as internal notes outside a top-level heading, and unclosed fences, as errors."""
    problems: list[Diagnostic] = []
    private = False
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and _is_split(token):
            title = tokens[i + 1].content
            private = reads_internal(title)
            if not private and token.map is not None and _PRIVATE_TITLE.search(fold(title)):
                problems.append(_diag(path, first_line + token.map[0], f"section '{title.strip()}' reads as private, but only a heading "
                                      "that starts with 'Internal' keeps a section off the site; name it '## Internal notes'"))
            continue
        if private or token.map is None:
            continue
        line = first_line + token.map[0]
        if token.type == "heading_open" and reads_internal(tokens[i + 1].content):
            where = "nested in a list, quote or admonition" if token.level else f"a level-{token.tag[1]} heading"
            problems.append(_diag(path, line, f"'{tokens[i + 1].content.strip()}' is {where}, so it would be published; "
                                  "write it as a top-level '## Internal notes' heading at the start of a line"))
        elif token.type in ("fence", "code_block"):
            if token.type == "fence" and not _fence_closed(token, lines):
                problems.append(_diag(path, line, f"code fence '{token.markup}' is never closed (a closing fence has no text after it); "
                                      "close it, or everything after it is one code block"))
            start = line + (1 if token.type == "fence" else 0)
            for n, text in enumerate(token.content.split("\n")):
                if reads_internal_notes(text.lstrip("#").strip()):
                    problems.append(_diag(path, start + n, f"'{text.strip()}' is inside a code block that starts at line {line}, so it "
                                          "would be published as code; close the code block before the heading"))
        elif token.type == "html_block" or (token.type == "inline" and tokens[i - 1].type != "heading_open"):
            if token.type == "inline" and token.level == 1 and _NO_SPACE.match(token.content):
                problems.append(_diag(path, line, f"'{token.content.split(chr(10))[0][:40]}' is not a heading: CommonMark needs a space "
                                      "after the '#' marks; write it as '## Title'", "warning"))
            for n, text in enumerate(token.content.split("\n")):
                if reads_internal_notes(text.strip().strip("#*_:")):
                    problems.append(_diag(path, line + n, f"'{text.strip()}' reads as an internal-notes heading but is not one, so what "
                                          "follows would be published; write it as a top-level '## Internal notes' heading"))
    return problems


def parse_body(body: str, first_line: int, path: str = "") -> tuple[str, tuple[Section, ...], list[Diagnostic]]:
    """Split a body (LF line ends, comments removed) at its top-level h1/h2 headings and render each section.

    Returns (the text before the first heading, the sections, problems). Every section keeps
    its Markdown source (``body``, for dedupe and search) and its HTML (``html``, for the page),
    both from the one parse; internal sections are returned too (``Section.internal``) and
    are never rendered.

    The body is parsed in parts, each remembered (:func:`_part`): sections are copied from case to case (an
    environment, a solution), and a part's parse depends on nothing but its own text where it ends as
    :func:`_cut_points` requires. Wherever one does not (a fence or raw HTML left open, a link reference definition,
    nesting too deep), and for any body with a problem (whose messages name lines), the whole body is parsed at once,
    as it always was: the result is the same either way.
    """
    lines = body.split("\n")
    cuts = _cut_points(lines)
    if not cuts:
        return _parse(body, first_line, path).result()
    bounds = [0, *cuts, len(lines)]
    parts = [_part_of("\n".join(lines[lo:hi])) for lo, hi in itertools.pairwise(bounds)]
    if any(not part.alone for part in parts[:-1]) or any(part.tied for part in parts):
        return _parse(body, first_line, path).result()
    sections = [Section(title, source, first_line + lo + line, rendered)
                for lo, part in zip(bounds, parts, strict=False) for title, source, line, rendered in part.sections]
    return parts[0].preamble, tuple(sections), []


_CUT = re.compile(r"#{1,2}(?:[ \t]|$)")
"""A line that can start a part: an h1 or h2 heading at the start of the line."""


def _cut_points(lines: Sequence[str]) -> list[int]:
    """The lines a body can be cut before: an h1/h2 heading at the start of a line, after a blank line.

    CommonMark ends every block at such a line but a fence or raw HTML of the kinds that run past blank lines,
    and only when they are not inside a list, quote or admonition (whose content must be indented, or marked,
    and this line is neither): a part whose parse leaves one of those open at its end is not ``alone``."""
    return [n for n in range(1, len(lines)) if not lines[n - 1].strip(" \t") and _CUT.match(lines[n])]


class _Part:
    """One part of a body as parsed alone, lines counted from its start."""

    __slots__ = ("alone", "preamble", "sections", "tied")

    def __init__(self, preamble: str, sections: tuple[tuple[str, str, int, str], ...], alone: bool, tied: bool) -> None:
        self.preamble, self.sections = preamble, sections
        self.alone = alone  # no fence or raw HTML block at the top level runs to its end (into the next part)
        self.tied = tied  # a problem, a link reference definition, nesting too deep: the body is read as a whole


PARTS = 65_536
"""Distinct body parts remembered per process (each worker reads tens of thousands of files at 100,000 cases)."""

PART_TEXT = 2_000
"""Parts up to this long are remembered (sections copied from case to case are short): the memory stays bounded
whatever the files hold, and a long pasted log is parsed as it comes."""


def _part_of(text: str) -> _Part:
    return _part(text) if len(text) <= PART_TEXT else _read_part(text)


def _read_part(text: str) -> _Part:
    parsed = _parse(text)
    return _Part(parsed.preamble, tuple((s.title, s.body, s.line, s.html) for s in parsed.sections), not parsed.runs_out,
                 parsed.tied or bool(parsed.problems))


_part = lru_cache(maxsize=PARTS)(_read_part)


def _runs_out(tokens: Sequence[Token], lines: Sequence[str]) -> bool:
    """Whether a fence or raw HTML block at the top level ends on the last line that is not blank, or after it:
    closed there, or run out of text, it may go on into what follows (in a longer text)."""
    last = max((n for n, line in enumerate(lines) if line.strip(" \t")), default=-1)
    return any(t.level == 0 and t.type in ("fence", "html_block") and t.map is not None and t.map[1] > last for t in tokens)


class _Parsed:
    """A text as :func:`_parse` read it."""

    __slots__ = ("preamble", "problems", "runs_out", "sections", "tied")

    def __init__(self, preamble: str, sections: list[Section], problems: list[Diagnostic], runs_out: bool,
                 tied: bool) -> None:
        self.preamble, self.sections, self.problems, self.runs_out, self.tied = preamble, sections, problems, runs_out, tied

    def result(self) -> tuple[str, tuple[Section, ...], list[Diagnostic]]:
        return self.preamble, tuple(self.sections), self.problems


def _parse(body: str, first_line: int = 0, path: str = "") -> _Parsed:
    """The one parse of a whole body (or of a part of one, lines counted from 0: :func:`parse_body`)."""
    lines = body.split("\n")
    env: dict[str, object] = {_SECTIONS: True}
    tokens = MD.parse(body, env)
    runs_out = _runs_out(tokens, lines)  # before comments go: '<!--' left open is a raw HTML block that runs out
    if "<!--" in body:  # a token holds a comment only if the text does (the loader removed every closed one)
        tokens = _without_comments(tokens)
    problems = _checks(tokens, lines, first_line, path)
    deep = bool(tokens) and max(t.level for t in tokens) >= MAX_NESTING - 2
    if deep:  # markdown-it stopped reading: nothing after it is seen
        deepest = max(tokens, key=lambda t: t.level)
        line = first_line + (deepest.map[0] if deepest.map else 0)
        problems.append(_diag(path, line, f"lists or quotes are nested more than {MAX_NESTING // 2 - 1} levels deep here; flatten them "
                                          "(text nested deeper is not read, and could swallow the headings after it)"))
    starts = [i for i, t in enumerate(tokens) if t.type == "heading_open" and _is_split(t)]
    first_map = tokens[starts[0]].map if starts else None
    preamble = "\n".join(lines[: first_map[0]] if first_map else lines)
    sections: list[Section] = []
    for n, i in enumerate(starts):
        head = tokens[i]
        assert head.map is not None
        title = tokens[i + 1].content.strip()
        end = starts[n + 1] if n + 1 < len(starts) else len(tokens)
        stop = tokens[end].map if end < len(tokens) else None
        source = "\n".join(lines[head.map[1] : stop[0] if stop else len(lines)]).rstrip()
        internal = reads_internal(title)
        rendered = "" if internal else MD.renderer.render(tokens[i + 3 : end], MD.options, env)
        sections.append(Section(title, source, first_line + head.map[0], rendered))
    return _Parsed(preamble.strip(), sections, problems, runs_out, deep or bool(env.get("references")))
